"""Per-customer activity rollup: each customer's rhythm in one row, kept current at ingest.

A scan over a million customers cannot afford to walk thirty million events for numbers that
change only when events arrive. Ingestion rewrites the rows of the customers it touched, in
the same transaction as the events; the scan reads one row per customer instead. The rollup
counts the kinds recorded in ActivityRollupState; a scan with other activity kinds rebuilds it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, UTCDateTime, utcnow

# What counts as "active" until the detection rules say otherwise (they default to this).
DEFAULT_ACTIVITY_KINDS = ("purchase", "usage", "login", "payment")
# Days of recent events kept per customer until the rules say otherwise: two 28-day usage
# windows and a day (store.activity_tail.tail_days_for).
DEFAULT_TAIL_DAYS = 57


class CustomerActivity(Base):
    """One customer's whole event history in numbers. Day numbers are days since the Unix
    epoch (UTC), so both backends hand the scan plain floats."""

    __tablename__ = "customer_activity"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    active_events: Mapped[int] = mapped_column(Integer, default=0)
    active_days: Mapped[int] = mapped_column(Integer, default=0)  # distinct UTC days
    first_active_day: Mapped[float | None] = mapped_column(Float)
    last_active_day: Mapped[float | None] = mapped_column(Float)
    # Latest event of any kind: the rollup answers for an "as of" instant only at or after it.
    last_event_at: Mapped[datetime] = mapped_column(UTCDateTime)
    negative_amounts: Mapped[int] = mapped_column(Integer, default=0)
    # The active events of the state's tail_days before last_event_at, packed (see
    # store/activity_tail.py): a scan sums its usage windows from them.
    recent_events: Mapped[bytes | None] = mapped_column(LargeBinary)


class ActivityRollupState(Base):
    """One row: which kinds the rollup counts, how many days of recent events it keeps, and
    the highest event id it has seen (events written around ingestion, by SQL say, are
    caught up from there at the next scan)."""

    __tablename__ = "activity_rollup_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_kinds: Mapped[str] = mapped_column(String(400))  # comma-separated, sorted
    max_event_id: Mapped[int] = mapped_column(Integer, default=-1)  # -1: never built
    tail_days: Mapped[int] = mapped_column(Integer, default=0)  # days of recent_events kept
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
