"""The defector pipeline: funnel from flagged to outcome, save rate, speed, and open work.

A case "reached" a step when its audit trail (RescueEvent) has a claim or a logged step;
outcomes come from RescueCase.status. All counts are one GROUP BY per question.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, case, extract, func, literal, select
from sqlalchemy.orm import Session

from store.base import UTCDateTime
from store.models import Customer, RescueCase, RescueEvent
from web.queries.periods import Filters

CLAIM_EVENT_KINDS = ("claim", "claimed")
STEP_EVENT_KINDS = ("step", "step_logged", "log_step")
CLOSED_STATUSES = ("rescued", "lost", "no_contact")
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


def _cases(query: Select[tuple[object, ...]], since: datetime, filters: Filters
           ) -> Select[tuple[object, ...]]:
    query = query.where(RescueCase.opened_at >= since)
    if filters.team:
        query = query.where(RescueCase.team == filters.team)
    if filters.segment:
        query = query.join(Customer, Customer.id == RescueCase.customer_id).where(
            Customer.segment == filters.segment
        )
    return query


def _reached(kinds: tuple[str, ...], step: str | None = None) -> object:
    condition = RescueEvent.kind.in_(kinds)
    if step:
        condition = and_(condition, RescueEvent.step == step)
    return func.max(case((condition, 1), else_=0))


def _funnel(session: Session, since: datetime, filters: Filters
            ) -> tuple[list[int], dict[str, int]]:
    per_case = (
        select(
            RescueEvent.case_id.label("case_id"),
            _reached(CLAIM_EVENT_KINDS).label("claimed"),
            _reached(STEP_EVENT_KINDS, "initiate").label("initiated"),
            _reached(STEP_EVENT_KINDS, "probe").label("probed"),
            _reached(STEP_EVENT_KINDS, "offer").label("offered"),
        )
        .group_by(RescueEvent.case_id)
        .subquery()
    )
    query = _cases(
        select(
            func.count(RescueCase.id),
            func.coalesce(func.sum(per_case.c.claimed), 0),
            func.coalesce(func.sum(per_case.c.initiated), 0),
            func.coalesce(func.sum(per_case.c.probed), 0),
            func.coalesce(func.sum(per_case.c.offered), 0),
        ).select_from(RescueCase).outerjoin(per_case, per_case.c.case_id == RescueCase.id),
        since, filters,
    )
    counts = [int(v) for v in session.execute(query).one()]
    status_q = _cases(select(RescueCase.status, func.count()).group_by(RescueCase.status),
                      since, filters)
    outcomes = {str(s): int(c) for s, c in session.execute(status_q)}
    return counts, outcomes


def hours_between(session: Session, start: object, end: object) -> object:
    """SQL for (end - start) in hours on SQLite and PostgreSQL."""
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 24.0
    return extract("epoch", end - start) / 3600.0  # type: ignore[operator]


def pipeline_report(session: Session, now: datetime, days: int, filters: Filters,
                    overdue_days: int = 7) -> PipelineReport:
    since = now - timedelta(days=days)
    counts, outcomes = _funnel(session, since, filters)
    labels = ["flagged", "claimed", "initiated", "probed", "offered"]
    closed = [outcomes.get(s, 0) for s in CLOSED_STATUSES]
    funnel: list[FunnelStep] = []
    for i, (label, count) in enumerate(zip(labels + list(CLOSED_STATUSES), counts + closed,
                                           strict=True)):
        # Steps convert from the step before; outcomes are shares of all flagged.
        base = (counts[i - 1] if i < len(counts) else counts[0]) if i else None
        funnel.append(FunnelStep(label, count, (count / base) if base else None))
    decided = sum(closed)

    money = _cases(select(func.coalesce(func.sum(RescueCase.value_at_risk), 0.0),
                          func.coalesce(func.sum(RescueCase.value_saved), 0.0),
                          func.avg(hours_between(session, RescueCase.opened_at,
                                                 RescueCase.first_contact_at))),
                   since, filters)
    at_risk, saved, first_contact = session.execute(money).one()

    open_only = RescueCase.status == "open"
    now_sql = literal(now, UTCDateTime())
    age_days = hours_between(session, RescueCase.opened_at, now_sql) / 24.0  # type: ignore[operator]
    bucket = case(*[(age_days < (hi + 1 if hi is not None else 10**9), label)
                    for _, hi, label in AGE_BUCKETS])
    ages = dict(session.execute(_cases(select(bucket, func.count()).where(open_only)
                                       .group_by(bucket), since, filters)).all())
    team = func.coalesce(RescueCase.team, "(no team)")
    by_team = session.execute(_cases(
        select(team, func.count(), func.coalesce(func.sum(RescueCase.value_at_risk), 0.0))
        .where(open_only).group_by(team).order_by(team), since, filters)).all()
    owner = func.coalesce(RescueCase.assignee, "(unassigned)")
    by_owner = session.execute(_cases(
        select(team, owner, func.count()).where(open_only).group_by(team, owner)
        .order_by(team, owner), since, filters)).all()
    team_status: dict[str, dict[str, int]] = {}
    for t, s, c in session.execute(_cases(select(team, RescueCase.status, func.count())
                                          .group_by(team, RescueCase.status), since, filters)):
        team_status.setdefault(str(t), {})[str(s)] = int(c)
    overdue = session.execute(_cases(select(func.count()).where(
        open_only, RescueCase.opened_at < now - timedelta(days=overdue_days)), since, filters)
    ).scalar_one()
    escalated = session.execute(_cases(select(func.count()).where(
        open_only, RescueCase.escalated.is_(True)), since, filters)).scalar_one()
    return PipelineReport(
        funnel=funnel, outcomes=outcomes, open_cases=outcomes.get("open", 0),
        save_rate=(outcomes.get("rescued", 0) / decided) if decided else None,
        value_at_risk=float(at_risk), value_saved=float(saved),
        hours_to_first_contact=float(first_contact) if first_contact is not None else None,
        open_by_age=[(label, int(ages.get(label, 0))) for _, _, label in AGE_BUCKETS],
        open_by_team=[(str(t), int(c), float(v)) for t, c, v in by_team],
        open_by_owner=[(str(t), str(o), int(c)) for t, o, c in by_owner],
        team_outcomes=sorted(team_status.items()),
        overdue=int(overdue), escalated=int(escalated),
    )
