"""Listening by journey stage: top categories, daily trends, spikes, verbatims, defectors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from store.models import Category, CategoryDaily, FeedbackItem, JourneyStage, RescueCase, SpikeAlert
from web.queries.periods import as_date, day_start

TOP_CATEGORIES = 5
VERBATIMS_PER_CATEGORY = 2


@dataclass(frozen=True)
class CategoryLine:
    category_id: str
    name: str
    total: int
    daily: list[int]  # one count per day of the window, oldest first
    defectors: int  # distinct flagged customers whose feedback is in this category
    lost_citing: int  # lost rescue cases coded with this category
    verbatims: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Spike:
    category_id: str
    name: str
    window_end: date
    observed: int
    expected: float
    score: float


@dataclass(frozen=True)
class StageSection:
    stage_id: str
    name: str
    alias: str
    total: int
    categories: list[CategoryLine]
    spikes: list[Spike]


def effective_category() -> ColumnElement[str]:
    """A reviewer's label wins over the model's."""
    return func.coalesce(FeedbackItem.reviewed_label, FeedbackItem.category_id)


def listening_report(session: Session, today: date, days: int) -> list[StageSection]:
    start = today - timedelta(days=days - 1)
    names = {c.id: (c.name, c.stage_id) for c in session.scalars(select(Category))}
    daily: dict[str, list[int]] = {}
    stage_of: dict[str, str] = {}
    rows = session.execute(
        select(
            CategoryDaily.category_id,
            CategoryDaily.stage_id,
            CategoryDaily.day,
            func.sum(CategoryDaily.count),
        )
        .where(CategoryDaily.day >= start, CategoryDaily.day <= today)
        # In the (day, category_id) index's order: SQLite groups without a sort.
        .group_by(CategoryDaily.day, CategoryDaily.category_id, CategoryDaily.stage_id)
    )
    for cat, stage, day, count in rows:
        series = daily.setdefault(cat, [0] * days)
        series[(as_date(day) - start).days] += int(count)
        stage_of[cat] = stage

    category = effective_category()
    defectors: dict[str, int] = dict(
        session.execute(  # type: ignore[arg-type]
            select(category, func.count(func.distinct(FeedbackItem.customer_id)))
            .where(
                FeedbackItem.customer_id.in_(select(RescueCase.customer_id)),
                FeedbackItem.occurred_at >= day_start(start),
            )
            .group_by(category)
        ).all()
    )
    lost: dict[str, int] = dict(
        session.execute(  # type: ignore[arg-type]
            select(RescueCase.lost_category_id, func.count())
            .where(RescueCase.status == "lost", RescueCase.closed_at >= day_start(start))
            .group_by(RescueCase.lost_category_id)
        ).all()
    )

    spikes: dict[str, list[Spike]] = {}
    for alert in session.scalars(
        select(SpikeAlert)
        .where(SpikeAlert.window_end >= today - timedelta(days=7))
        .order_by(SpikeAlert.score.desc())
    ):
        name, stage = names.get(alert.category_id, (alert.category_id, "unknown"))
        spikes.setdefault(stage, []).append(
            Spike(
                alert.category_id,
                name,
                alert.window_end,
                alert.observed,
                alert.expected,
                alert.score,
            )
        )

    sections: list[StageSection] = []
    for stage in session.scalars(select(JourneyStage).order_by(JourneyStage.position)):
        cats = sorted(
            (c for c, s in stage_of.items() if s == stage.id), key=lambda c: (-sum(daily[c]), c)
        )
        lines = [
            CategoryLine(
                c,
                names.get(c, (c, ""))[0],
                sum(daily[c]),
                daily[c],
                int(defectors.get(c, 0)),
                int(lost.get(c, 0)),
                _verbatims(session, c, start),
            )
            for c in cats[:TOP_CATEGORIES]
        ]
        sections.append(
            StageSection(
                stage.id,
                stage.name,
                stage.company_alias,
                sum(sum(daily[c]) for c in cats),
                lines,
                spikes.get(stage.id, []),
            )
        )
    return sections


def _verbatims(session: Session, category_id: str, start: date) -> list[str]:
    """The latest redacted texts in a category (stored text is already redacted)."""
    rows = session.scalars(
        select(FeedbackItem.text)
        .where(
            FeedbackItem.category_id == category_id,  # indexed; relabelled-away items skipped
            or_(FeedbackItem.reviewed_label.is_(None), FeedbackItem.reviewed_label == category_id),
            FeedbackItem.occurred_at >= day_start(start),
        )
        .order_by(FeedbackItem.occurred_at.desc())
        .limit(VERBATIMS_PER_CATEGORY)
    )
    return [t[:280] for t in rows]
