"""Daily counts of feedback per category (category_daily): what the listening trends read.

An item counts once, on the UTC day it happened, under its effective category: a reviewer's
label when there is one, else the model's answer. Both the listening workflow (new items)
and the review queue (a relabelled item moves its count) write through here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from store.db import conflict_insert
from store.models import CategoryDaily


def rollup_day(occurred_at: datetime) -> date:
    """The day an item counts on: the UTC day it happened."""
    return occurred_at.astimezone(UTC).date()


def increment_daily(session: Session, day: date, category_id: str, stage_id: str, n: int) -> None:
    """Add n to one CategoryDaily row, creating it if needed (one statement, race-free)."""
    values = {"day": day, "category_id": category_id, "stage_id": stage_id, "count": n}
    statement = conflict_insert(session.get_bind().dialect.name)(CategoryDaily).values(**values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["day", "category_id"],
            set_={"count": CategoryDaily.count + statement.excluded.count},
        )
    )


def move_daily(
    session: Session, day: date, old_category_id: str, new_category_id: str, new_stage_id: str
) -> None:
    """One item of `day` now counts under another category."""
    session.execute(
        update(CategoryDaily)
        .where(
            CategoryDaily.day == day,
            CategoryDaily.category_id == old_category_id,
            CategoryDaily.count > 0,
        )
        .values(count=CategoryDaily.count - 1)
    )
    increment_daily(session, day, new_category_id, new_stage_id, 1)
