"""The rules an Update must pass before the rescue accepts it, as pure functions.

Validators call these with workflow state only; a broken rule raises a non-retryable
ApplicationError whose message says what to do instead, shown as-is in Slack, CLI and API.
"""

from __future__ import annotations

from temporalio.exceptions import ApplicationError

from workflows.rescue_messages import OUTCOMES, STEPS, OutcomeRequest, StepRequest
from workflows.rescue_plan import RescuePlan

RULE_ERROR = "RescueRuleBroken"


def refuse(message: str) -> ApplicationError:
    return ApplicationError(message, type=RULE_ERROR, non_retryable=True)


def check_actor(actor: str, assignee: str | None, leads: list[str], team: list[str]) -> None:
    """The assignee or their lead; while unassigned, anyone on the team (or anyone at all)."""
    if not actor.strip():
        raise refuse("an actor handle is required")
    if assignee is not None:
        if actor != assignee and actor not in leads:
            who = " or ".join([assignee, *leads])
            raise refuse(f"{actor} may not act on this rescue: it belongs to {who}")
    elif (team or leads) and actor not in team and actor not in leads:
        raise refuse(f"{actor} is not on this rescue's team")


def check_step(plan: RescuePlan, expected: str, req: StepRequest) -> None:
    """The right step next, its required fields filled, and only offers this customer may get."""
    if req.step not in STEPS:
        raise refuse(f"unknown step {req.step!r}: steps are {', '.join(STEPS)}")
    if expected not in STEPS:
        raise refuse(f"no step can be logged now: the rescue is at {expected!r}")
    if req.step != expected:
        raise refuse(f"step {req.step!r} is out of order: the next step is {expected!r}")
    spec = plan.step(req.step)
    known = {f.name: f for f in spec.fields}
    unknown = sorted(set(req.fields) - set(known))
    if unknown:
        raise refuse(f"step {req.step!r} has no field(s) {unknown}; it asks for {sorted(known)}")
    for name, field_spec in known.items():
        value = req.fields.get(name, "").strip()
        if field_spec.required and not value:
            raise refuse(f"step {req.step!r} needs field {name!r} ({field_spec.label})")
        if value and field_spec.choices and value not in field_spec.choices:
            raise refuse(f"field {name!r} must be one of {field_spec.choices}, not {value!r}")
    _check_offers(plan, req)


def _check_offers(plan: RescuePlan, req: StepRequest) -> None:
    if (req.offers_made or req.offers_accepted) and req.step != "offer":
        raise refuse("offers can only be recorded in the 'offer' step")
    allowed = plan.offer_ids()
    for offer in req.offers_made:
        if offer not in allowed:
            raise refuse(
                f"offer {offer!r} is not allowed for this customer by playbook {plan.version}; "
                f"allowed: {sorted(allowed) or 'none'}"
            )
    if len(set(req.offers_made)) > plan.max_offers:
        raise refuse(f"at most {plan.max_offers} offers per rescue")
    not_made = sorted(set(req.offers_accepted) - set(req.offers_made))
    if not_made:
        raise refuse(f"accepted offer(s) {not_made} were not offered")


def check_outcome(req: OutcomeRequest, closed_step_logged: bool) -> None:
    if req.outcome not in OUTCOMES:
        raise refuse(f"unknown outcome {req.outcome!r}: outcomes are {', '.join(OUTCOMES)}")
    if req.outcome == "rescued" and not closed_step_logged:
        raise refuse("'rescued' needs the close step logged first")
    if req.outcome == "lost" and not req.reason.strip():
        raise refuse("'lost' needs a reason: what the customer said made them go")
    if req.value_saved < 0:
        raise refuse("value_saved cannot be negative")
    if req.value_saved and req.outcome != "rescued":
        raise refuse("value_saved only applies to 'rescued'")
    if req.follow_up_due_days is not None and req.follow_up_due_days <= 0:
        raise refuse("follow_up_due_days must be more than zero")
    if req.follow_up_due_days is not None and not req.follow_up.strip():
        raise refuse("a follow-up due date needs the follow-up promised (follow_up)")
