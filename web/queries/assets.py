"""Customers as assets: new and lost customers per period, their value, and why they left."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from classifiers.redaction import redact_text
from store.models import Category, Customer, JourneyStage, RescueCase
from web.queries.periods import Filters, Period, as_date, day_start

LOST_STATUSES = ("cancelled", "non_renewed", "lost")
TOP_STATED = 5


@dataclass(frozen=True)
class PeriodFlow:
    period: Period
    new_count: int
    new_value: float
    lost_count: int
    lost_value: float

    @property
    def net_count(self) -> int:
        return self.new_count - self.lost_count

    @property
    def net_value(self) -> float:
        return self.new_value - self.lost_value


@dataclass(frozen=True)
class Reason:
    label: str
    stage: str
    count: int
    value: float


@dataclass(frozen=True)
class AssetsReport:
    flows: list[PeriodFlow]
    reasons: list[Reason]  # coded lost category of lost rescue cases closed in the window
    stages: list[Reason]  # the same, by journey stage
    by_status: dict[str, int]  # how they left: cancelled / non_renewed / lost
    uncoded_lost: int  # lost customers in the window with no coded rescue reason
    stated: list[tuple[str, int]] = field(default_factory=list)  # top outcome_reason texts
    segments: list[str] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)

    @property
    def totals(self) -> PeriodFlow | None:
        if not self.flows:
            return None
        return PeriodFlow(
            Period("total", self.flows[0].period.start, self.flows[-1].period.end),
            sum(f.new_count for f in self.flows),
            sum(f.new_value for f in self.flows),
            sum(f.lost_count for f in self.flows),
            sum(f.lost_value for f in self.flows),
        )


def _filtered(query: Select[Any], filters: Filters) -> Select[Any]:
    if filters.segment:
        query = query.where(Customer.segment == filters.segment)
    if filters.team:
        query = query.where(Customer.team == filters.team)
    return query


def _by_day(
    session: Session,
    day_column: InstrumentedAttribute[Any],
    extra: list[ColumnElement[bool]],
    filters: Filters,
    start: date,
    end: date,
) -> list[tuple[date, str, int, float]]:
    """(day, status, count, value) rows in [start, end): one covering-index range scan.
    Status is grouped only when `extra` filters on it (the lost flow's index holds it)."""
    keys = [day_column, Customer.status] if extra else [day_column]
    query = select(*keys, func.count(), func.coalesce(func.sum(Customer.value_per_year), 0.0))
    query = query.where(day_column >= start, day_column < end, *extra)
    query = _filtered(query.group_by(*keys), filters)
    rows = session.execute(query).all()
    if not extra:
        return [(as_date(d), "", int(c), float(v)) for d, c, v in rows]
    return [(as_date(d), str(s), int(c), float(v)) for d, s, c, v in rows]


def _bucket(rows: list[tuple[date, str, int, float]], period: Period) -> tuple[int, float]:
    inside = [(c, v) for d, _, c, v in rows if period.start <= d < period.end]
    return sum(c for c, _ in inside), sum(v for _, v in inside)


def _lost_cases(columns: list[Any], start: date, end: date, filters: Filters) -> Select[Any]:
    """Lost rescue cases closed in [start, end), filtered like the customers."""
    query = select(*columns).where(
        RescueCase.status == "lost",
        RescueCase.closed_at >= day_start(start),
        RescueCase.closed_at < day_start(end),
    )
    # The case's team is the customer's team when it opened: no join needed for it.
    if filters.team:
        query = query.where(RescueCase.team == filters.team)
    if filters.segment:
        query = query.join(Customer, Customer.id == RescueCase.customer_id).where(
            Customer.segment == filters.segment
        )
    return query


def assets_report(session: Session, periods: list[Period], filters: Filters) -> AssetsReport:
    """New vs lost per period (GROUP BY day in SQL, bucketed here) and coded reasons."""
    start, end = periods[0].start, periods[-1].end
    new_days = _by_day(session, Customer.start_date, [], filters, start, end)
    lost_days = _by_day(
        session,
        Customer.status_changed_on,
        [Customer.status.in_(LOST_STATUSES)],
        filters,
        start,
        end,
    )
    flows = [PeriodFlow(p, *_bucket(new_days, p), *_bucket(lost_days, p)) for p in periods]
    by_status: dict[str, int] = defaultdict(int)
    for _, status, count, _ in lost_days:
        by_status[status] += count

    # Group the lost cases first (covering index), then name the few categories.
    lost_q = _lost_cases(
        [
            RescueCase.lost_category_id.label("category_id"),
            func.count().label("n"),
            func.coalesce(func.sum(RescueCase.value_at_risk), 0.0).label("value"),
        ],
        start,
        end,
        filters,
    ).group_by(RescueCase.lost_category_id)
    lost = lost_q.subquery()
    reason_q = (
        select(lost.c.category_id, Category.name, JourneyStage.name, lost.c.n, lost.c.value)
        .outerjoin(Category, Category.id == lost.c.category_id)
        .outerjoin(JourneyStage, JourneyStage.id == Category.stage_id)
    )
    reasons: list[Reason] = []
    stage_totals: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for cat_id, cat_name, stage_name, count, value in session.execute(reason_q):
        label = cat_name or cat_id or "not coded"
        stage = stage_name or "not coded"
        reasons.append(Reason(label, stage, int(count), float(value)))
        stage_totals[stage][0] += int(count)
        stage_totals[stage][1] += float(value)
    reasons.sort(key=lambda r: (-r.count, r.label))
    stages = sorted(
        (Reason(s, s, int(c), v) for s, (c, v) in stage_totals.items()),
        key=lambda r: (-r.count, r.label),
    )
    stated_q = _lost_cases(
        [RescueCase.outcome_reason, func.count().label("n")], start, end, filters
    ).where(RescueCase.outcome_reason.is_not(None))
    stated = session.execute(
        stated_q.group_by(RescueCase.outcome_reason)
        .order_by(func.count().desc(), RescueCase.outcome_reason)
        .limit(TOP_STATED)
    ).all()
    coded = sum(r.count for r in reasons if r.label != "not coded")
    lost_total = sum(f.lost_count for f in flows)
    return AssetsReport(
        flows=flows,
        reasons=reasons,
        stages=stages,
        by_status=dict(by_status),
        uncoded_lost=max(lost_total - coded, 0),
        stated=[(redact_text(str(text))[:200], int(n)) for text, n in stated],
        segments=distinct_values(session, Customer.segment),
        teams=distinct_values(session, Customer.team),
    )


def distinct_values(session: Session, column: InstrumentedAttribute[Any]) -> list[str]:
    """Filter choices: the distinct non-empty values of an indexed column."""
    rows = session.execute(select(column).distinct().order_by(column))
    return [str(v) for (v,) in rows if v]
