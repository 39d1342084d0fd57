"""Customers and their activity log: the assets winback counts, and the signals it reads."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, UTCDateTime, utcnow

CUSTOMER_STATUSES = ("active", "cancelled", "non_renewed", "downgraded", "lost")
EVENT_KINDS = (
    "purchase",
    "usage",
    "login",
    "payment",
    "payment_failed",
    "cancellation",
    "non_renewal",
    "downgrade",
    "complaint",
    "signup",
)


class Customer(Base):
    __tablename__ = "customers"
    # Covering indexes: the dashboard's new/lost per period (with segment/team filters) are
    # answered from the index alone, fast at a million customers.
    __table_args__ = (
        Index("ix_customers_new_flow", "start_date", "segment", "team", "value_per_year"),
        Index(
            "ix_customers_lost_flow",
            "status_changed_on",
            "status",
            "segment",
            "team",
            "value_per_year",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    name: Mapped[str] = mapped_column(String(256))
    segment: Mapped[str] = mapped_column(String(64), default="default", index=True)
    owner: Mapped[str | None] = mapped_column(String(128))
    team: Mapped[str | None] = mapped_column(String(64), index=True)
    value_per_year: Mapped[float] = mapped_column(Float, default=0.0)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    start_date: Mapped[date | None] = mapped_column(Date)
    renewal_date: Mapped[date | None] = mapped_column(Date)
    has_contract: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    status_changed_on: Mapped[date | None] = mapped_column(Date)
    attributes: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ActivityEvent(Base):
    __tablename__ = "activity_events"
    # Covering index for the detector's per-customer GROUP BY: a partition's features are
    # read from the index alone, in customer order, without visiting the table.
    __table_args__ = (
        Index(
            "ix_activity_events_customer_time",
            "customer_id",
            "occurred_at",
            "kind",
            "quantity",
            "amount",
        ),
        # Signal kinds are rare: a partition reads only its few signal events through this.
        Index("ix_activity_events_kind_customer_time", "kind", "customer_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Natural key: the source's id, or a digest of the row, so re-imports change nothing.
    event_key: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[float] = mapped_column(Float, default=0.0)
    amount: Mapped[float] = mapped_column(Float, default=0.0)
