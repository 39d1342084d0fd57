"""ListenWorkflow: classify new feedback in batches, then alert leaders to spikes.

Deterministic orchestration only: every read, write, model and Slack call is an activity.
The model version is pinned at the start so one run classifies with one model; a long
backlog continues-as-new after `batches_per_run` batches, carrying its totals and cursor.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.alerts import SendAlertInput, SpikeAlertActivities, SpikeCheckInput
    from activities.listen import ClassifyBatchInput, ListenActivities, PendingQuery

LISTEN_WORKFLOW_ID = "winback-listen"


@dataclass(frozen=True)
class ListenInput:
    batch_size: int = 200
    batches_per_run: int = 25  # continue-as-new after this many batches
    review_threshold: float | None = None  # None: the model's own review flag
    as_of: str | None = None  # ISO day spikes are judged for; default: the workflow's today
    detect_spikes: bool = True
    window_days: int = 1
    history_days: int = 28
    min_count: int = 5
    alpha: float = 1e-3
    activity_timeout_seconds: float = 300.0
    # Carried across continue-as-new; callers leave these alone.
    model_version: str | None = None
    after_id: int = 0
    classified: int = 0
    needs_review: int = 0
    batches: int = 0


@dataclass(frozen=True)
class ListenResult:
    status: str  # "ok" | "no_live_model"
    model_version: str | None
    classified: int
    needs_review: int
    batches: int
    spikes: list[str] = field(default_factory=list)  # category ids with an unsent alert
    alerts_sent: int = 0
    alerts_stored: int = 0  # Slack off: kept for the dashboard
    alerts_failed: int = 0  # Slack refused or stayed down: tried again next run


def activity_options(timeout_seconds: float) -> dict[str, Any]:
    """Timeout and retries of every listening activity (business errors are non-retryable)."""
    return {
        "start_to_close_timeout": timedelta(seconds=timeout_seconds),
        "retry_policy": RetryPolicy(maximum_attempts=5, maximum_interval=timedelta(minutes=1)),
    }


@workflow.defn
class ListenWorkflow:
    @workflow.run
    async def run(self, params: ListenInput) -> ListenResult:
        options = activity_options(params.activity_timeout_seconds)
        version = params.model_version
        if version is None:
            version = await workflow.execute_activity_method(
                ListenActivities.live_model_version, **options
            )
        if version is None:
            workflow.logger.info("no live model: nothing classified")
            return ListenResult("no_live_model", None, 0, 0, 0)

        state = dataclasses.replace(params, model_version=version)
        batches_this_run = 0
        while True:
            ids = await workflow.execute_activity_method(
                ListenActivities.pending_feedback_ids,
                PendingQuery(after_id=state.after_id, limit=state.batch_size),
                **options,
            )
            if not ids:
                break
            done = await workflow.execute_activity_method(
                ListenActivities.classify_batch,
                ClassifyBatchInput(ids, version, state.review_threshold),
                **options,
            )
            batches_this_run += 1
            state = dataclasses.replace(
                state,
                after_id=max(ids),
                classified=state.classified + done.classified,
                needs_review=state.needs_review + done.needs_review,
                batches=state.batches + 1,
            )
            if batches_this_run >= state.batches_per_run:
                workflow.continue_as_new(state)

        result = ListenResult("ok", version, state.classified, state.needs_review, state.batches)
        if not state.detect_spikes:
            return result
        return await self._alert_spikes(state, result, options)

    async def _alert_spikes(
        self, state: ListenInput, result: ListenResult, options: dict[str, Any]
    ) -> ListenResult:
        as_of = state.as_of or workflow.now().date().isoformat()
        unsent = await workflow.execute_activity_method(
            SpikeAlertActivities.record_spikes,
            SpikeCheckInput(
                as_of=as_of,
                window_days=state.window_days,
                history_days=state.history_days,
                min_count=state.min_count,
                alpha=state.alpha,
            ),
            **options,
        )
        sent = stored = failed = 0
        for ref in unsent:
            try:
                delivery = await workflow.execute_activity_method(
                    SpikeAlertActivities.send_spike_alert,
                    SendAlertInput(ref.alert_id, state.window_days),
                    **options,
                )
            except ActivityError as err:
                # The alert stays unsent (alerted_at NULL) and is tried again next run; the
                # feedback already classified must not be lost to a Slack outage.
                workflow.logger.warning("spike alert %s not sent: %s", ref.alert_id, err.cause)
                failed += 1
                continue
            sent += delivery.status == "sent"
            stored += delivery.status == "stored"
        return dataclasses.replace(
            result,
            spikes=[ref.category_id for ref in unsent],
            alerts_sent=sent,
            alerts_stored=stored,
            alerts_failed=failed,
        )
