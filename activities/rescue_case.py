"""Opening a rescue case in the caller's transaction: the case row, its first audit line and
the people who may act on it, in as few round trips as the store allows.

Statements are built once at import (building one costs more than running it), reads come
before the first write (on SQLite the write lock is held from the first INSERT to the
commit, so other rescues opening at the same time wait less), and rows are plain inserts:
no ORM objects to track.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, insert, select
from sqlalchemy.orm import Session
from temporalio.exceptions import ApplicationError

from activities.rescue_assign import Assignment, assign
from activities.rescue_store import CaseContext, OpenCaseInput
from store.base import utcnow
from store.models import Customer, FeedbackItem, RescueCase, RescueEvent

# The customer, and the case of this workflow if a previous attempt already opened it.
_CUSTOMER_AND_CASE = (
    select(
        Customer.name,
        Customer.owner,
        Customer.team,
        RescueCase.id.label("case_id"),
        RescueCase.assignee.label("case_assignee"),
        RescueCase.team.label("case_team"),
    )
    .select_from(Customer)
    .outerjoin(
        RescueCase,
        and_(
            RescueCase.workflow_id == bindparam("workflow_id"),
            RescueCase.customer_id == Customer.id,
        ),
    )
    .where(Customer.id == bindparam("customer_id"))
)
_RECENT_COMPLAINTS = (
    select(FeedbackItem.text)
    .where(FeedbackItem.customer_id == bindparam("customer_id"), FeedbackItem.source != "rescue")
    .order_by(FeedbackItem.occurred_at.desc())
    .limit(3)
)
_CASES = cast(Table, RescueCase.__table__)
_NEW_CASE = insert(_CASES).returning(_CASES.c.id)
_NEW_EVENT = insert(cast(Table, RescueEvent.__table__))


def open_case(session: Session, req: OpenCaseInput) -> tuple[CaseContext, bool]:
    """Open (or, on a retry, find) the case with its first audit line; the people who may
    act on it come back with it, and whether this call opened it."""
    found = session.execute(
        _CUSTOMER_AND_CASE, {"workflow_id": req.workflow_id, "customer_id": req.customer_id}
    ).first()
    if found is None:
        raise ApplicationError(
            f"customer id {req.customer_id} does not exist",
            type="UnknownCustomer",
            non_retryable=True,
        )
    complaints = list(session.scalars(_RECENT_COMPLAINTS, {"customer_id": req.customer_id}))
    if found.case_id is None:
        picked = assign(
            session,
            found,
            req.assignment_strategy,
            req.prefer_owner,
            req.default_team,
            req.assignee,
        )
        case_id, assignee, team = _insert_case(session, req, picked), picked.assignee, picked.team
    else:  # a retry after the row was written: keep who was picked then
        picked = assign(session, found, "", False, found.case_team, found.case_assignee)
        case_id, assignee, team = found.case_id, found.case_assignee, found.case_team
    context = CaseContext(
        case_id=case_id,
        customer_name=found.name,
        assignee=assignee,
        team=team,
        lead_handles=picked.lead_handles,
        team_handles=picked.team_handles,
        slack_ids=picked.slack_ids,
        recent_complaints=complaints,
    )
    return context, found.case_id is None


def _insert_case(session: Session, req: OpenCaseInput, picked: Assignment) -> int:
    """The case row and its first audit line (one activity fewer before the first task
    reaches the account team); column defaults (status, opened_at, ...) apply as usual."""
    case: dict[str, Any] = {
        "workflow_id": req.workflow_id,
        "customer_id": req.customer_id,
        "episode": req.episode,
        "scenario": req.scenario,
        "playbook_version": req.playbook_version,
        "flag_id": req.flag_id,
        "assignee": picked.assignee,
        "team": picked.team,
        "value_at_risk": req.value_at_risk,
        "current_step": "unclaimed",
    }
    case_id = int(session.execute(_NEW_CASE, case).scalar_one())
    session.execute(
        _NEW_EVENT,
        {
            "case_id": case_id,
            "event_key": f"{req.workflow_id}:0000:opened",
            "kind": "opened",
            "step": None,
            "actor": "winback",
            "at": utcnow(),
            "data": {"assignee": picked.assignee or ""},
        },
    )
    return case_id
