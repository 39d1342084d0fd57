"""The defector pipeline: funnel from flagged to outcome, save rate, speed, and open work.

A case "reached" a step when its audit trail (RescueEvent) has a claim or a logged step;
outcomes come from RescueCase.status. Three index reads, each grouped in SQL: the events for
the funnel (ix_rescue_events_kind_step_case), every case of the window by team and status
(ix_rescue_cases_team_status), and the open cases by owner and age (ix_rescue_cases_open_work).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, Select, case, extract, func, literal, select
from sqlalchemy.orm import Session

from store.base import UTCDateTime
from store.models import Customer, RescueCase, RescueEvent
from web.queries.periods import Filters

CLAIM_EVENT_KINDS = ("claim", "claimed")
STEP_EVENT_KINDS = ("step", "step_logged", "log_step")
CLOSED_STATUSES = ("rescued", "lost", "no_contact")
NO_TEAM, UNASSIGNED = "(no team)", "(unassigned)"
AGE_BUCKETS = ((0, 2, "0-2 days"), (3, 7, "3-7 days"), (8, 14, "8-14 days"), (15, None, "15+ days"))


@dataclass(frozen=True)
class FunnelStep:
    label: str
    count: int
    conversion: float | None  # share of the previous step, None for the first


@dataclass(frozen=True)
class PipelineReport:
    funnel: list[FunnelStep]
    outcomes: dict[str, int]
    open_cases: int
    save_rate: float | None  # rescued / (rescued + lost + no contact)
    value_at_risk: float
    value_saved: float
    hours_to_first_contact: float | None
    open_by_age: list[tuple[str, int]]
    open_by_team: list[tuple[str, int, float]]  # team, open cases, value at risk
    open_by_owner: list[tuple[str, str, int]]  # team, owner, open cases (alphabetical)
    team_outcomes: list[tuple[str, dict[str, int]]]
    overdue: int
    escalated: int


def _cases(query: Select[Any], since: datetime, filters: Filters) -> Select[Any]:
    query = query.where(RescueCase.opened_at >= since)
    if filters.team:
        query = query.where(RescueCase.team == filters.team)
    if filters.segment:
        query = query.join(Customer, Customer.id == RescueCase.customer_id).where(
            Customer.segment == filters.segment
        )
    return query


def _funnel(session: Session, since: datetime, filters: Filters) -> list[int]:
    """Cases that were claimed / initiated / probed / offered, read from the (case_id, kind,
    step) index for the cases in the window. A plain count is a count of cases: the workflow's
    validators accept a claim once and each step only as the next one, so a case has at most
    one such line per step (COUNT(DISTINCT) would cost a temp B-tree at 100k cases)."""
    query = (
        select(RescueEvent.kind, RescueEvent.step, func.count())
        .where(RescueEvent.kind.in_(CLAIM_EVENT_KINDS + STEP_EVENT_KINDS))
        .group_by(RescueEvent.kind, RescueEvent.step)
    )
    if filters.segment:
        # The segment needs each case's customer: list the window's cases once, then read the
        # events in (kind, step) order against that list. `+ 0` keeps SQLite from turning the
        # list into index seeks per case and kind (and a sort) instead.
        in_window = _cases(select(RescueCase.id), since, filters)
        query = query.where((RescueEvent.case_id + 0).in_(in_window))
    else:
        query = _cases(query.join(RescueCase, RescueCase.id == RescueEvent.case_id), since, filters)
    reached: dict[str, int] = defaultdict(int)
    for kind, step, count in session.execute(query):
        reached["claim" if kind in CLAIM_EVENT_KINDS else str(step)] += int(count)
    return [reached[s] for s in ("claim", "initiate", "probe", "offer")]


def hours_between(session: Session, start: object, end: object) -> object:
    """SQL for (end - start) in hours on SQLite and PostgreSQL."""
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 24.0
    return extract("epoch", end - start) / 3600.0  # type: ignore[operator]


def _team_status(session: Session, since: datetime, filters: Filters) -> list[Row[Any]]:
    """Every case of the window by (team, status), sums beside: read in the order of
    ix_rescue_cases_team_status, so SQLite groups without a temp B-tree."""
    query = _cases(
        select(
            RescueCase.team,
            RescueCase.status,
            func.count().label("n"),
            func.coalesce(func.sum(RescueCase.value_at_risk), 0.0).label("at_risk"),
            func.coalesce(func.sum(RescueCase.value_saved), 0.0).label("saved"),
            func.sum(
                hours_between(session, RescueCase.opened_at, RescueCase.first_contact_at)
            ).label("contact_hours"),
            func.count(RescueCase.first_contact_at).label("contacted"),
        ),
        since,
        filters,
    ).group_by(RescueCase.team, RescueCase.status)
    return list(session.execute(query).all())


def _open_groups(
    session: Session, now: datetime, since: datetime, filters: Filters, overdue_days: int
) -> list[Row[Any]]:
    """Open cases of the window by team, owner, escalation and age bucket. Ages compare
    opened_at with bound instants (a range on the index, no date arithmetic per row)."""

    def before(days: int) -> Any:
        return literal(now - timedelta(days=days), UTCDateTime())

    whens = [
        (RescueCase.opened_at > before(hi + 1), label)
        for _, hi, label in AGE_BUCKETS
        if hi is not None
    ]
    overdue = case((RescueCase.opened_at < before(overdue_days), 1), else_=0)
    # Per-case values in a subquery, grouped outside: PostgreSQL cannot match a GROUP BY
    # expression that holds bound parameters (the age bucket) to the same select expression.
    rows = _cases(
        select(
            RescueCase.team.label("team"),
            RescueCase.assignee.label("owner"),
            RescueCase.escalated.label("escalated"),
            case(*whens, else_=AGE_BUCKETS[-1][2]).label("bucket"),
            RescueCase.value_at_risk.label("at_risk"),
            overdue.label("overdue"),
        ).where(RescueCase.status == "open"),
        since,
        filters,
    ).subquery()
    keys = [rows.c.team, rows.c.owner, rows.c.escalated, rows.c.bucket]
    return list(
        session.execute(
            select(
                *keys,
                func.count().label("n"),
                func.coalesce(func.sum(rows.c.at_risk), 0.0).label("at_risk"),
                func.sum(rows.c.overdue).label("overdue"),
            ).group_by(*keys)
        ).all()
    )


def pipeline_report(
    session: Session, now: datetime, days: int, filters: Filters, overdue_days: int = 7
) -> PipelineReport:
    since = now - timedelta(days=days)
    counts = _funnel(session, since, filters)
    outcomes: dict[str, int] = defaultdict(int)
    team_status: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    contacted = 0
    at_risk = saved = contact_hours = 0.0
    for g in _team_status(session, since, filters):
        outcomes[g.status] += g.n
        team_status[g.team or NO_TEAM][g.status] += g.n
        at_risk, saved = at_risk + g.at_risk, saved + g.saved
        contact_hours += g.contact_hours or 0.0
        contacted += g.contacted
    ages: dict[str, int] = defaultdict(int)
    by_team: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    by_owner: dict[tuple[str, str], int] = defaultdict(int)
    overdue = escalated = 0
    for g in _open_groups(session, now, since, filters, overdue_days):
        team = g.team or NO_TEAM
        ages[g.bucket] += g.n
        by_team[team][0] += g.n
        by_team[team][1] += g.at_risk
        by_owner[(team, g.owner or UNASSIGNED)] += g.n
        overdue += int(g.overdue or 0)
        escalated += g.n if g.escalated else 0
    flagged = sum(outcomes.values())
    labels = ["flagged", "claimed", "initiated", "probed", "offered", *CLOSED_STATUSES]
    values = [flagged, *counts, *(outcomes.get(s, 0) for s in CLOSED_STATUSES)]
    funnel = []
    for i, (label, count) in enumerate(zip(labels, values, strict=True)):
        # Steps convert from the step before; outcomes are shares of all flagged.
        base = (values[i - 1] if i < 5 else flagged) if i else None
        funnel.append(FunnelStep(label, count, (count / base) if base else None))
    decided = sum(outcomes.get(s, 0) for s in CLOSED_STATUSES)
    return PipelineReport(
        funnel=funnel,
        outcomes=dict(outcomes),
        open_cases=outcomes.get("open", 0),
        save_rate=(outcomes.get("rescued", 0) / decided) if decided else None,
        value_at_risk=at_risk,
        value_saved=saved,
        hours_to_first_contact=(contact_hours / contacted) if contacted else None,
        open_by_age=[(label, ages.get(label, 0)) for _, _, label in AGE_BUCKETS],
        open_by_team=[(t, int(c), float(v)) for t, (c, v) in sorted(by_team.items())],
        open_by_owner=[(t, o, c) for (t, o), c in sorted(by_owner.items())],
        team_outcomes=sorted((t, dict(s)) for t, s in team_status.items()),
        overdue=overdue,
        escalated=escalated,
    )
