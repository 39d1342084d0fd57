"""Daily counts of feedback per category (category_daily): what the listening trends read.

An item counts once, on the UTC day it happened, under its effective category: a reviewer's
label when there is one, else the model's answer. Both the listening workflow (new items)
and the review queue (a relabelled item moves its count) write through here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from store.models import CategoryDaily


def dialect_insert(session: Session) -> Callable[..., Any]:
    """The INSERT with ON CONFLICT of the session's database (SQLite or PostgreSQL)."""
    dialect = session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if insert is None:
        raise RuntimeError(f"unsupported database dialect {dialect!r} for an upsert")
    return insert


def increment_daily(session: Session, day: date, category_id: str, stage_id: str, n: int) -> None:
    """Add n to one CategoryDaily row, creating it if needed (one statement, race-free)."""
    values = {"day": day, "category_id": category_id, "stage_id": stage_id, "count": n}
    statement = dialect_insert(session)(CategoryDaily).values(**values)
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
