"""Voice of the customer: feedback items, the journey taxonomy, daily rollups, spike alerts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, UTCDateTime, utcnow

FEEDBACK_SOURCES = ("complaint", "social", "survey", "ticket", "call_note", "rescue")


class JourneyStage(Base):
    __tablename__ = "journey_stages"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    company_alias: Mapped[str] = mapped_column(String(128))
    position: Mapped[int] = mapped_column(default=0)
    taxonomy_version: Mapped[str] = mapped_column(String(32))


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    stage_id: Mapped[str] = mapped_column(ForeignKey("journey_stages.id"))
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="")
    taxonomy_version: Mapped[str] = mapped_column(String(32))
    retired: Mapped[bool] = mapped_column(default=False)


class FeedbackItem(Base):
    __tablename__ = "feedback_items"
    __table_args__ = (
        Index("ix_feedback_items_pending", "classified_at"),
        # The listening page's latest verbatims of a category: one seek, newest first.
        Index("ix_feedback_items_category_time", "category_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    source: Mapped[str] = mapped_column(String(16), index=True)
    channel: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)  # redacted before it is stored
    original_text: Mapped[str | None] = mapped_column(Text)  # only when configured
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    category_id: Mapped[str | None] = mapped_column(String(64), index=True)
    stage_id: Mapped[str | None] = mapped_column(String(64), index=True)
    confidence: Mapped[float | None] = mapped_column(Float)
    alternatives: Mapped[list[object] | None] = mapped_column(JSON)
    model_version: Mapped[str | None] = mapped_column(String(64))
    classified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    needs_review: Mapped[bool] = mapped_column(default=False, index=True)
    reviewed_label: Mapped[str | None] = mapped_column(String(64))
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CategoryDaily(Base):
    """Count of classified items per category per day, maintained by the listening workflow."""

    __tablename__ = "category_daily"
    __table_args__ = (UniqueConstraint("day", "category_id", name="uq_category_daily_day_cat"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    category_id: Mapped[str] = mapped_column(String(64))
    stage_id: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(default=0)


class SpikeAlert(Base):
    __tablename__ = "spike_alerts"
    __table_args__ = (UniqueConstraint("category_id", "window_end", name="uq_spike_cat_window"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[str] = mapped_column(String(64), index=True)
    window_end: Mapped[date] = mapped_column(Date)
    observed: Mapped[int] = mapped_column()
    expected: Mapped[float] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float)
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
