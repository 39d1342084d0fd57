"""Store activities of the rescue workflow: open the case, write each audit line once.

Leaders' numbers come from RescueCase/RescueEvent, not from Temporal history, so every step,
actor and time lands here. Event keys come from the workflow, so a retried activity writes
its line once.
Annotations are real types, not strings: CaseContext (with its plan) is decoded in every
rescue's workflow, and the payload converter would eval string annotations on each decode.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from classifiers.redaction import redact_text
from store.db import transaction
from store.models import FeedbackItem, RescueCase, RescueEvent
from workflows.rescue_messages import RescueInput
from workflows.rescue_plan import RescuePlan


@dataclass(frozen=True)
class OpenCaseInput:
    workflow_id: str
    customer_id: int
    episode: int
    scenario: str
    playbook_version: str
    value_at_risk: float
    flag_id: int | None = None
    assignee: str | None = None
    assignment_strategy: str = "least_loaded"
    prefer_owner: bool = True
    default_team: str | None = None
    # The rescue itself, so the first task can go to the outbox in the same transaction;
    # when it carries no plan, its playbook digest and facts resolve one on the worker.
    first_task: RescueInput | None = None


@dataclass(frozen=True)
class CaseContext:
    """What the workflow needs to know about its case and the people on it."""

    case_id: int
    customer_name: str
    assignee: str | None
    team: str | None
    lead_handles: list[str] = field(default_factory=list)
    team_handles: list[str] = field(default_factory=list)
    slack_ids: dict[str, str] = field(default_factory=dict)
    recent_complaints: list[str] = field(default_factory=list)
    first_task_posted: bool = False  # the 'unclaimed' task is already in the outbox
    # The plan the worker resolved, when the rescue was started without one: recorded in
    # history with this result, so the rescue keeps it through replays and playbook edits.
    plan: RescuePlan | None = None


@dataclass(frozen=True)
class AuditEntry:
    """One audit line, plus the case columns it moves and any words for the listening path."""

    case_id: int
    customer_id: int
    event_key: str
    kind: str
    at: datetime
    step: str | None = None
    actor: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    current_step: str | None = None
    assignee: str | None = None
    escalated: bool = False
    first_contact: bool = False
    status: str | None = None  # set when the case closes
    outcome_reason: str | None = None
    lost_category_id: str | None = None
    value_saved: float = 0.0
    feedback_key: str | None = None
    feedback_text: str | None = None


class RescueStore:
    """Audit lines of running rescues, built with the process's sessionmaker."""

    def __init__(self, sessions: sessionmaker[Session], keep_original_text: bool = False) -> None:
        self._sessions = sessions
        self._keep_original = keep_original_text

    @activity.defn(name="record_rescue_event")
    def record_rescue_event(self, entry: AuditEntry) -> bool:
        """Write the line and move the case on; False when a retry finds it already written."""
        with transaction(self._sessions) as session:
            written = select(RescueEvent.id).where(RescueEvent.event_key == entry.event_key)
            if session.scalar(written):
                return False
            case = session.get(RescueCase, entry.case_id)
            if case is None:
                raise ApplicationError(
                    f"rescue case {entry.case_id} is gone", type="UnknownCase", non_retryable=True
                )
            session.add(
                RescueEvent(
                    case_id=case.id,
                    event_key=entry.event_key,
                    kind=entry.kind,
                    step=entry.step,
                    actor=entry.actor,
                    at=entry.at,
                    data=entry.data,
                )
            )
            _move_case(case, entry)
            if entry.feedback_key and entry.feedback_text and entry.feedback_text.strip():
                _write_feedback(session, entry, self._keep_original)
            return True


def _move_case(case: RescueCase, entry: AuditEntry) -> None:
    if entry.current_step:
        case.current_step = entry.current_step
    if entry.assignee:
        case.assignee = entry.assignee
    if entry.escalated:
        case.escalated = True
    if entry.first_contact and case.first_contact_at is None:
        case.first_contact_at = entry.at
    if entry.status:
        case.status = entry.status
        case.closed_at = entry.at
        case.outcome_reason = entry.outcome_reason
        case.lost_category_id = entry.lost_category_id
        case.value_saved = entry.value_saved


def _write_feedback(session: Session, entry: AuditEntry, keep_original: bool) -> None:
    exists = select(FeedbackItem.id).where(FeedbackItem.external_id == entry.feedback_key)
    if session.scalar(exists):
        return
    session.add(
        FeedbackItem(
            external_id=entry.feedback_key,
            source="rescue",
            channel=entry.step,
            text=redact_text(entry.feedback_text or ""),
            occurred_at=entry.at,
            original_text=entry.feedback_text if keep_original else None,
            customer_id=entry.customer_id,
        )
    )
