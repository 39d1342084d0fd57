"""Building the TaskNotices a rescue sends, from workflow state only (pure, deterministic).

Message keys are stable per workflow + kind + step: the case's main task message is one key
updated in place as steps complete; reminders and escalations thread under it.
"""

from __future__ import annotations

from dataclasses import dataclass

from activities.rescue_store import CaseContext
from activities.task_notice import TaskNotice
from workflows.rescue_messages import RescueInput
from workflows.rescue_plan import RescuePlan

STEP_HEADLINES = {
    "unclaimed": "New rescue: claim it and reach out",
    "initiate": "Step 1 of 4, initiate: acknowledge, say sorry, ask what happened",
    "probe": "Step 2 of 4, probe: ask to hear more and repeat back what you heard",
    "offer": "Step 3 of 4, offer: earn the right to help",
    "close": "Step 4 of 4, close: say sorry again and thank them",
    "outcome": "Record the outcome of the rescue",
    "follow_up": "Follow-through promised: do it and mark it done",
    "closed": "Rescue closed",
}


def task_key(workflow_id: str) -> str:
    return f"{workflow_id}:task"


@dataclass(frozen=True)
class NoticeContext:
    workflow_id: str
    inp: RescueInput
    plan: RescuePlan
    case: CaseContext
    dashboard_url: str = ""


def build_notice(
    ctx: NoticeContext,
    kind: str,
    step: str,
    recipient: str | None,
    key: str | None = None,
    note: str = "",
) -> TaskNotice:
    """A notice for `recipient` about `step`; the main task unless `key` names another."""
    plan_step = next((s for s in ctx.plan.steps if s.name == step), None)
    name = ctx.case.customer_name
    script = ""
    if plan_step is not None:
        script = plan_step.script.replace("{name}", name).replace("{me}", recipient or "")
    headline = f"{STEP_HEADLINES.get(step, step)}: {name}"
    if kind in ("reminder", "escalation"):
        headline = f"{kind.capitalize()}: {name} is waiting at step {step!r}"
    if note:
        headline = f"{headline}. {note}"
    main = task_key(ctx.workflow_id)
    return TaskNotice(
        message_key=key or main,
        workflow_id=ctx.workflow_id,
        case_id=ctx.case.case_id,
        kind=kind,
        step=step,
        customer_name=name,
        customer_external_id=ctx.inp.customer_external_id,
        segment=ctx.inp.segment,
        value_per_year=ctx.inp.value_per_year,
        value_at_risk=ctx.inp.value_per_year * ctx.inp.probability,
        probability=ctx.inp.probability,
        reasons=list(ctx.inp.reasons),
        recent_complaints=list(ctx.case.recent_complaints),
        script=script,
        fields=list(plan_step.fields) if plan_step else [],
        offers=list(ctx.plan.offers) if step == "offer" else [],
        recipient_handle=recipient,
        recipient_slack_id=ctx.case.slack_ids.get(recipient or ""),
        team=ctx.case.team,
        team_channel=ctx.plan.team_channel,
        parent_key=main if key and key != main else None,
        headline=headline,
        dashboard_url=ctx.dashboard_url,
    )
