"""Whether the rescue, in its current state, accepts an Update: used by validators and handlers.

Pure functions of RescueState; each refusal is a non-retryable ApplicationError whose message
says what to do instead.
"""

from __future__ import annotations

from workflows.rescue_messages import ClaimRequest, OutcomeRequest, RescheduleRequest, StepRequest
from workflows.rescue_rules import check_actor, check_outcome, check_step, refuse
from workflows.rescue_state import RescueState


def check_allowed(s: RescueState, actor: str) -> None:
    """The rescue is still open to people, and `actor` may act on it."""
    assert s.case
    if s.closed or (s.outcome is not None and s.follow_up_due is None):
        raise refuse("this rescue is closed")
    check_actor(actor, s.assignee, s.case.lead_handles, s.case.team_handles)


def check_claim(s: RescueState, req: ClaimRequest) -> None:
    check_allowed(s, req.actor)
    if s.outcome is not None:
        raise refuse(f"the outcome is already {s.outcome.outcome!r}")
    if s.claimed:
        raise refuse(f"already claimed by {s.assignee}")


def check_log_step(s: RescueState, req: StepRequest) -> None:
    check_allowed(s, req.actor)
    assert s.plan
    if s.current_step() == "follow_up":
        if req.step != "follow_up":
            raise refuse("only the follow-up can be marked done now (step 'follow_up')")
        return
    if not s.claimed:
        raise refuse("claim the rescue first")
    check_step(s.plan, s.current_step(), req)


def check_record_outcome(s: RescueState, req: OutcomeRequest) -> None:
    check_allowed(s, req.actor)
    if s.outcome is not None:
        raise refuse(f"the outcome is already {s.outcome.outcome!r}")
    check_outcome(req, "close" in s.logged)


def check_reschedule(s: RescueState, req: RescheduleRequest) -> None:
    check_allowed(s, req.actor)
    if req.days <= 0:
        raise refuse("reschedule needs a number of days greater than zero")
