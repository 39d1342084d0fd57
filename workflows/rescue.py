"""RescueWorkflow: one durable four-step rescue conversation per customer episode.

Humans move it on with Updates (claim, log_step, record_outcome, reschedule, escalate) whose
validators refuse what the playbook or the team does not allow; timers remind the assignee,
escalate to the team lead and finally give up as no_contact. All I/O is in activities.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.rescue_store import CaseContext
    from activities.rescue_tasks import DeliveryReceipt
    from activities.task_notice import TaskNotice
    from workflows.rescue_gate import (
        check_allowed,
        check_claim,
        check_log_step,
        check_record_outcome,
        check_reschedule,
    )
    from workflows.rescue_messages import (
        QUERY_STATUS,
        UPDATE_CLAIM,
        UPDATE_ESCALATE,
        UPDATE_LOG_STEP,
        UPDATE_OUTCOME,
        UPDATE_RESCHEDULE,
        ClaimRequest,
        EscalateRequest,
        OutcomeRequest,
        RescheduleRequest,
        RescueInput,
        RescueResult,
        RescueStatus,
        StepRequest,
    )
    from workflows.rescue_notices import NoticeContext, build_notice, task_key
    from workflows.rescue_opening import check_names_a_plan, open_case_input, plan_of

    # Imported by name so the module is in the sandbox's sys.modules: decoding
    # RescueInput.plan and CaseContext.plan resolves RescuePlan's string annotations there
    # (else decoding fails with "Failed converting field plan").
    from workflows.rescue_plan import RescuePlan  # noqa: F401
    from workflows.rescue_state import QueuedNotice, RescueState

ACTIVITY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
    non_retryable_error_types=[
        "UnknownCustomer",
        "UnknownCase",
        "SlackRefused",
        "PlaybookMismatch",
    ],
)
SYSTEM_ACTOR = "winback"
DELIVERY_GIVE_UP = timedelta(minutes=30)
# Store writes are short and idempotent (keyed), so they run as local activities: no server
# round trip per audit line. Deliveries stay regular activities (Slack may be slow or down).


@workflow.defn(name="RescueWorkflow")
class RescueWorkflow:
    def __init__(self) -> None:
        self._s = RescueState()

    @workflow.run
    async def run(self, inp: RescueInput) -> RescueResult:
        s = self._s
        s.workflow_id = wid = workflow.info().workflow_id
        check_names_a_plan(inp)
        s.inp = inp
        case = await workflow.execute_local_activity(
            "open_rescue_case",
            open_case_input(wid, inp),
            result_type=CaseContext,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=ACTIVITY_RETRY,
        )
        s.plan, s.case = plan_of(inp, case), case
        s.assignee = s.case.assignee
        if s.case.first_task_posted:  # outbox only: the activity wrote the first task
            s.posted_step = "unclaimed"
        s.moved_on(workflow.now())
        s.history.append(f"{workflow.now().isoformat(timespec='seconds')} {SYSTEM_ACTOR} opened")
        await self._flush()
        while s.outcome is None:
            await self._wait_or_fire(follow_up=False)
            await self._flush()
        if s.follow_up_due is not None:
            s.notices.append(
                QueuedNotice(
                    "follow_up", "follow_up", s.assignee, f"{wid}:follow_up", s.outcome.follow_up
                )
            )
            await self._flush()
            while not s.follow_up_done:
                await self._wait_or_fire(follow_up=True)
                await self._flush()
        s.closed = True
        s.audit("closed", "closed", SYSTEM_ACTOR, workflow.now(), {"outcome": s.outcome.outcome})
        await self._flush()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return RescueResult(s.outcome.outcome, s.value_saved, s.outcome.reason)

    def _notice(self, n: QueuedNotice) -> TaskNotice:
        s = self._s
        assert s.inp and s.plan and s.case
        ctx = NoticeContext(s.workflow_id, s.inp, s.plan, s.case)
        return build_notice(ctx, n.kind, n.step, n.recipient, n.key, n.note)

    async def _flush(self) -> None:
        """Write queued audit lines and notices in order, then show the task's current step."""
        s = self._s
        while s.pending or s.notices:
            if s.pending:
                await workflow.execute_local_activity(
                    "record_rescue_event",
                    s.pending[0],
                    start_to_close_timeout=timedelta(seconds=30),
                    retry_policy=ACTIVITY_RETRY,
                )
                s.pending.pop(0)
            else:
                await self._deliver(self._notice(s.notices[0]))
                s.notices.pop(0)
        shown = s.current_step()
        if shown != s.posted_step:
            kind = "closed" if shown == "closed" else "task"
            main = QueuedNotice(kind, shown, s.assignee, task_key(s.workflow_id))
            await self._deliver(self._notice(main))
            s.posted_step = shown

    async def _deliver(self, notice: TaskNotice) -> None:
        """Deliver, but never let Slack end the rescue: the outbox row is written first, so
        a task Slack refused (or was down for) is still in `winback tasks` and the dashboard."""
        try:
            await workflow.execute_activity(
                "deliver_rescue_task",
                notice,
                result_type=DeliveryReceipt,
                start_to_close_timeout=timedelta(seconds=30),
                schedule_to_close_timeout=DELIVERY_GIVE_UP,
                retry_policy=ACTIVITY_RETRY,
            )
        except ActivityError as exc:
            workflow.logger.warning(
                "task %s not delivered to Slack (kept in the outbox): %s",
                notice.message_key,
                exc.cause or exc,
            )

    async def _wait_or_fire(self, follow_up: bool) -> None:
        """Sleep until someone acts or the next timer is due, then fire that timer."""
        s = self._s
        mark = s.progress
        due, kind = s.next_timer(follow_up)
        timeout = (due - workflow.now()).total_seconds()
        if timeout > 0:
            try:
                await workflow.wait_condition(
                    lambda: s.progress != mark or bool(s.pending) or bool(s.notices),
                    timeout=timeout,
                )
                return
            except TimeoutError:
                pass
        self._fire(kind, follow_up)

    def _fire(self, kind: str, follow_up: bool) -> None:
        s = self._s
        now = workflow.now()
        step = "follow_up" if follow_up else s.current_step()
        if kind == "give_up" and follow_up:
            s.follow_up_done = True
            s.audit("follow_up_lapsed", step, SYSTEM_ACTOR, now, {})
        elif kind == "give_up":
            s.record_outcome(OutcomeRequest(SYSTEM_ACTOR, "no_contact", "no reply in time"), now)
        else:
            recipient = s.assignee if kind == "reminder" else (s.lead() or s.assignee)
            note = "Nobody has moved this case on." if kind == "escalation" else ""
            key = f"{s.workflow_id}:{kind}:{step}:{s.progress}"
            s.notices.append(QueuedNotice(kind, step, recipient, key, note))
            s.fired(kind)
            s.audit(
                kind,
                step,
                SYSTEM_ACTOR,
                now,
                {"to": recipient or ""},
                escalated=kind == "escalation",
            )

    # ---- Updates. Validators refuse from workflow state alone; in the first moments, before
    # the case (assignee, leads) is loaded, they let the Update in and its handler waits for
    # the case and applies the same rules, so an early claim is judged, never lost.

    async def _ready(self, check: Callable[[], None]) -> None:
        await workflow.wait_condition(lambda: self._s.case is not None)
        check()

    def _validate(self, check: Callable[[], None]) -> None:
        if self._s.case is not None:
            check()

    @workflow.update(name=UPDATE_CLAIM)
    async def claim(self, req: ClaimRequest) -> RescueStatus:
        await self._ready(lambda: check_claim(self._s, req))
        self._s.claim(req.actor, workflow.now())
        return self.status()

    @claim.validator
    def _validate_claim(self, req: ClaimRequest) -> None:
        self._validate(lambda: check_claim(self._s, req))

    @workflow.update(name=UPDATE_LOG_STEP)
    async def log_step(self, req: StepRequest) -> RescueStatus:
        await self._ready(lambda: check_log_step(self._s, req))
        self._s.log_step(req, workflow.now())
        return self.status()

    @log_step.validator
    def _validate_log_step(self, req: StepRequest) -> None:
        self._validate(lambda: check_log_step(self._s, req))

    @workflow.update(name=UPDATE_OUTCOME)
    async def record_outcome(self, req: OutcomeRequest) -> RescueStatus:
        await self._ready(lambda: check_record_outcome(self._s, req))
        self._s.record_outcome(req, workflow.now())
        return self.status()

    @record_outcome.validator
    def _validate_outcome(self, req: OutcomeRequest) -> None:
        self._validate(lambda: check_record_outcome(self._s, req))

    @workflow.update(name=UPDATE_RESCHEDULE)
    async def reschedule(self, req: RescheduleRequest) -> RescueStatus:
        await self._ready(lambda: check_reschedule(self._s, req))
        self._s.reschedule(req, workflow.now())
        return self.status()

    @reschedule.validator
    def _validate_reschedule(self, req: RescheduleRequest) -> None:
        self._validate(lambda: check_reschedule(self._s, req))

    @workflow.update(name=UPDATE_ESCALATE)
    async def escalate(self, req: EscalateRequest) -> RescueStatus:
        await self._ready(lambda: check_allowed(self._s, req.actor))
        self._s.escalate(req.actor, req.note, workflow.now())
        return self.status()

    @escalate.validator
    def _validate_escalate(self, req: EscalateRequest) -> None:
        self._validate(lambda: check_allowed(self._s, req.actor))

    @workflow.query(name=QUERY_STATUS)
    def status(self) -> RescueStatus:
        s = self._s
        return RescueStatus(
            workflow_id=workflow.info().workflow_id,
            current_step=s.current_step(),
            assignee=s.assignee,
            escalated=s.escalated,
            outcome=s.outcome.outcome if s.outcome else None,
            history=list(s.history),
        )
