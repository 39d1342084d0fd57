"""What starting a rescue reads from the store, in one query: the customer, their latest case
(is one open? which episode is next?) and the flag the rescue answers.

One read decides both "is one open?" and the next episode, so a case row written meanwhile
cannot make them disagree; and one round trip instead of three keeps starts cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, and_, bindparam, select
from sqlalchemy.orm import Session, aliased

from store.models import Customer, Flag, RescueCase

LAPSED_KINDS = ("lapsed", "lost")


@dataclass(frozen=True)
class StartFacts:
    customer_id: int
    external_id: str
    segment: str
    value_per_year: float
    team: str | None
    scenario: str
    latest_episode: int | None  # None: the customer's first rescue
    latest_open: bool
    latest_workflow_id: str | None
    flag_id: int | None
    probability: float | None
    reasons: list[str]


_CUSTOMER = (
    Customer.id,
    Customer.external_id,
    Customer.segment,
    Customer.value_per_year,
    Customer.team,
)
_FLAG = (Flag.id.label("flag_id"), Flag.kind, Flag.probability, Flag.reasons)


# Each join also matches on customer_id, so the database walks the customer's own rows by
# index and checks the "latest" subquery on those few, not on every row of the table.
def _with_latest_case(query: Select[Any]) -> Select[Any]:
    earlier = aliased(RescueCase)
    latest_id = (
        select(earlier.id)
        .where(earlier.customer_id == Customer.id)
        .order_by(earlier.episode.desc())
        .limit(1)
        .correlate(Customer)
        .scalar_subquery()
    )
    return query.add_columns(
        RescueCase.episode, RescueCase.status, RescueCase.workflow_id
    ).outerjoin(RescueCase, and_(RescueCase.customer_id == Customer.id, RescueCase.id == latest_id))


def _by_customer() -> Select[Any]:
    newer = aliased(Flag)
    latest_flag = (
        select(newer.id)
        .where(newer.customer_id == Customer.id, newer.kind == bindparam("scenario"))
        .order_by(newer.scanned_at.desc(), newer.id.desc())
        .limit(1)
        .correlate(Customer)
        .scalar_subquery()
    )
    query = (
        select(*_CUSTOMER, *_FLAG)
        .select_from(Customer)
        .outerjoin(Flag, and_(Flag.customer_id == Customer.id, Flag.id == latest_flag))
    )
    return _with_latest_case(query).where(Customer.external_id == bindparam("external_id"))


def _by_flag() -> Select[Any]:
    query = (
        select(*_CUSTOMER, *_FLAG).select_from(Customer).join(Flag, Flag.customer_id == Customer.id)
    )
    return _with_latest_case(query).where(Flag.id == bindparam("flag_id"))


# Built once: building them (aliases, correlation) costs far more than running them.
BY_CUSTOMER = _by_customer()
BY_FLAG = _by_flag()


def facts_for_flag(session: Session, flag_id: int) -> StartFacts | None:
    """None when the flag does not exist."""
    row = session.execute(BY_FLAG, {"flag_id": flag_id}).first()
    if row is None:
        return None
    return _facts(row, "lapsed" if row.kind in LAPSED_KINDS else "at_risk")


def facts_for_customer(session: Session, external_id: str, scenario: str) -> StartFacts | None:
    """None when the customer does not exist; the flag is their latest of `scenario`'s kind."""
    row = session.execute(BY_CUSTOMER, {"external_id": external_id, "scenario": scenario}).first()
    return None if row is None else _facts(row, scenario)


def _facts(row: Row[Any], scenario: str) -> StartFacts:
    return StartFacts(
        customer_id=row.id,
        external_id=row.external_id,
        segment=row.segment,
        value_per_year=row.value_per_year,
        team=row.team,
        scenario=scenario,
        latest_episode=row.episode,
        latest_open=row.status == "open",
        latest_workflow_id=row.workflow_id,
        flag_id=row.flag_id,
        probability=row.probability,
        reasons=list(row.reasons or []),
    )
