"""The review queue: low-confidence feedback waits for a person's label, which then trains
the next model. Functions take a session and never commit it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from store.category_counts import move_daily, rollup_day
from store.models import Category, FeedbackItem


class ReviewError(ValueError):
    """A review that cannot be applied: unknown item or category."""


@dataclass(frozen=True)
class TrainingRow:
    text: str
    label: str


def mark_for_review(session: Session, threshold: float) -> int:
    """Flag classified, unreviewed items whose confidence is below threshold; returns how many."""
    result = session.execute(
        update(FeedbackItem)
        .where(
            FeedbackItem.classified_at.is_not(None),
            FeedbackItem.confidence < threshold,
            FeedbackItem.reviewed_label.is_(None),
            FeedbackItem.needs_review.is_(False),
        )
        .values(needs_review=True)
    )
    return int(cast(CursorResult[Any], result).rowcount)


def pending_reviews(session: Session, limit: int = 50) -> list[FeedbackItem]:
    """Items waiting for review, least confident first."""
    return list(
        session.scalars(
            select(FeedbackItem)
            .where(FeedbackItem.needs_review.is_(True))
            .order_by(FeedbackItem.confidence.asc(), FeedbackItem.id.asc())
            .limit(limit)
        )
    )


def apply_review_label(
    session: Session, item_id: int, category_id: str, reviewer: str
) -> FeedbackItem:
    """Record a reviewer's category for an item and take it off the queue.

    The model's own category_id stays as it was (what the model said, for measuring it);
    reviewed_label is the human truth used for training, and the item's daily count moves
    to it, so leaders' trends show the corrected category.
    """
    item = session.get(FeedbackItem, item_id)
    if item is None:
        raise ReviewError(f"no feedback item {item_id}")
    category = session.get(Category, category_id)
    if category is None or category.retired:
        known = session.scalars(select(Category.id).where(Category.retired.is_(False))).all()
        raise ReviewError(
            f"{category_id!r} is not a current category (known: {', '.join(sorted(known))})"
        )
    counted_as = item.reviewed_label or item.category_id
    if item.classified_at is not None and counted_as and counted_as != category_id:
        day = rollup_day(item.occurred_at)
        move_daily(session, day, counted_as, category_id, category.stage_id)
    item.reviewed_label, item.reviewed_by, item.needs_review = category_id, reviewer, False
    session.flush()
    return item


def export_training_rows(session: Session) -> list[TrainingRow]:
    """Every reviewed item as (text, reviewed label), oldest first, for the next training run."""
    rows = session.execute(
        select(FeedbackItem.text, FeedbackItem.reviewed_label)
        .where(FeedbackItem.reviewed_label.is_not(None))
        .order_by(FeedbackItem.id)
    )
    return [TrainingRow(text=text, label=label) for text, label in rows]
