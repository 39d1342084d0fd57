"""SQL pieces for event times that work on SQLite and PostgreSQL, written for speed.

SQLite stores UTCDateTime as fixed-width UTC text: comparing it with a bound instant is a
byte comparison, cheap; parsing it (julianday) is not, so day numbers are computed from
per-customer MIN/MAX, and distinct days from the text's date part.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Float, Integer, cast, func, literal, literal_column
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import ColumnElement

from store.base import UTCDateTime


def epoch_days(
    column: ColumnElement[Any] | QueryableAttribute[Any], dialect: str
) -> ColumnElement[Any]:
    """Days since 1970-01-01 UTC as a float, on either backend. Costly per row on SQLite
    (it parses text): apply it to per-group MIN/MAX, not to every event."""
    if dialect == "sqlite":
        return func.julianday(column) - 2440587.5
    return cast(func.extract("epoch", column), Float) / 86400.0


def utc_day(column: QueryableAttribute[Any], dialect: str) -> ColumnElement[Any]:
    """The event's UTC calendar day, for counting distinct active days."""
    if dialect == "sqlite":
        return func.substr(column, 1, 10)
    return cast(func.floor(epoch_days(column, dialect)), Integer)


def without_index(column: QueryableAttribute[Any], dialect: str) -> ColumnElement[Any]:
    """The column, hidden from SQLite's planner (unary +): without table statistics it would
    pick the low-selectivity `kind` index over the covering (customer_id, occurred_at, ...)
    index and sort every event of the partition."""
    if dialect == "sqlite":
        return literal_column(f"+{column.class_.__tablename__}.{column.key}")
    return column  # type: ignore[return-value]


def as_epoch_days(moment: datetime) -> float:
    return moment.astimezone(UTC).timestamp() / 86400.0


def at_instant(moment: datetime) -> ColumnElement[datetime]:
    """A bound instant, stored the way the column stores it (UTC)."""
    return literal(moment, UTCDateTime)


def utc_micros(column: QueryableAttribute[Any], dialect: str) -> ColumnElement[int]:
    """Microseconds since the Unix epoch as an exact integer: SQLite's fixed-width text is
    whole seconds (strftime) plus its six fraction digits; PostgreSQL's epoch is numeric."""
    if dialect == "sqlite":
        seconds = cast(func.strftime("%s", column), Integer)
        return seconds * 1_000_000 + cast(func.substr(column, 21, 6), Integer)
    return cast(func.extract("epoch", column) * 1_000_000, BigInteger)


def days_before(column: QueryableAttribute[Any], days: int, dialect: str) -> ColumnElement[Any]:
    """`column` minus whole days, comparable with the column on either backend. On SQLite
    the result has no fraction digits, so it sorts just before the same second with them:
    `>` comparisons with it may let in the boundary second, never leave anything out."""
    if dialect == "sqlite":
        return func.datetime(column, f"-{int(days)} days")
    return column - func.make_interval(0, 0, 0, int(days))
