"""The weekly leaders' digest: gather the week's numbers, then post one message (or store it).

Deterministic orchestration only: the day comes from workflow.now() (or the input), the store
and Slack are reached through the two activities named below. Started by a Temporal Schedule
(`winback digest schedule`), or once by hand (`winback digest now`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

DIGEST_WORKFLOW_ID = "winback-digest"
ACTIVITY_FIGURES = "digest_figures"
ACTIVITY_POST = "digest_post"


@dataclass(frozen=True)
class DigestInput:
    days: int = 7
    as_of: str | None = None  # ISO day the week ends on (inclusive); default: today (UTC)


@dataclass(frozen=True)
class DigestRequest:
    as_of: str
    days: int


@dataclass(frozen=True)
class DigestFigures:
    """The week in numbers: what the message says, as plain data for the workflow history."""

    start: str
    end: str
    new_count: int
    new_value: float
    lost_count: int
    lost_value: float
    top_reasons: list[str] = field(default_factory=list)  # "Charged twice (3)"
    outcomes: dict[str, int] = field(default_factory=dict)  # rescued/lost/no_contact this week
    value_saved: float = 0.0
    open_cases: int = 0
    spikes: list[str] = field(default_factory=list)  # "Unexpected fees: 30 vs 8.5 expected"


@dataclass(frozen=True)
class DigestDelivery:
    status: str  # "sent" (Slack) | "stored" (outbox file, Slack off)
    where: str  # channel, or the outbox file's path


@workflow.defn(name="DigestWorkflow")
class DigestWorkflow:
    @workflow.run
    async def run(self, inp: DigestInput) -> DigestDelivery:
        if inp.days < 1:
            raise ApplicationError(
                f"digest days must be at least 1, not {inp.days}", non_retryable=True
            )
        as_of = inp.as_of or workflow.now().date().isoformat()
        figures = await workflow.execute_activity(
            ACTIVITY_FIGURES,
            DigestRequest(as_of, inp.days),
            result_type=DigestFigures,
            start_to_close_timeout=timedelta(minutes=2),
        )
        return await workflow.execute_activity(
            ACTIVITY_POST,
            figures,
            result_type=DigestDelivery,
            start_to_close_timeout=timedelta(minutes=1),
            retry_policy=RetryPolicy(maximum_attempts=10),
        )
