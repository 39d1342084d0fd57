"""Defector flags and rescue cases: the audit trail leaders' numbers are computed from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, UTCDateTime, utcnow

FLAG_KINDS = ("at_risk", "lapsed", "lost")
CASE_STATUSES = ("open", "rescued", "lost", "no_contact", "not_needed")


class Flag(Base):
    __tablename__ = "flags"
    __table_args__ = (Index("ix_flags_customer_scanned", "customer_id", "scanned_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    scan_id: Mapped[str] = mapped_column(String(64), index=True)
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(16))
    probability: Mapped[float] = mapped_column(Float)
    value_at_risk: Mapped[float] = mapped_column(Float, index=True)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    detector: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued|started|skipped
    workflow_id: Mapped[str | None] = mapped_column(String(128))


class RescueCase(Base):
    __tablename__ = "rescue_cases"
    __table_args__ = (
        Index("ix_rescue_cases_customer_status", "customer_id", "status"),
        # Covering index for the dashboard's "why they left" (lost cases closed in a period).
        Index(
            "ix_rescue_cases_lost_reasons",
            "status",
            "closed_at",
            "lost_category_id",
            "team",
            "value_at_risk",
        ),
        # Covering indexes for the pipeline page: outcomes by team (read in group order, no
        # sort) and the open work list by owner and age.
        Index(
            "ix_rescue_cases_team_status",
            "team",
            "status",
            "opened_at",
            "value_at_risk",
            "value_saved",
            "first_contact_at",
            "customer_id",
        ),
        Index(
            "ix_rescue_cases_open_work",
            "status",
            "opened_at",
            "team",
            "assignee",
            "escalated",
            "value_at_risk",
            "customer_id",
        ),
        # The window's cases with their customer, for the segment filter's join.
        Index("ix_rescue_cases_window", "opened_at", "customer_id", "team"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(128), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    episode: Mapped[int] = mapped_column(default=1)
    scenario: Mapped[str] = mapped_column(String(32))
    playbook_version: Mapped[str] = mapped_column(String(32))
    flag_id: Mapped[int | None] = mapped_column(ForeignKey("flags.id", ondelete="SET NULL"))
    assignee: Mapped[str | None] = mapped_column(String(64), index=True)
    team: Mapped[str | None] = mapped_column(String(64), index=True)
    current_step: Mapped[str] = mapped_column(String(32), default="flagged")
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    outcome_reason: Mapped[str | None] = mapped_column(Text)
    lost_category_id: Mapped[str | None] = mapped_column(String(64))
    value_at_risk: Mapped[float] = mapped_column(Float, default=0.0)
    value_saved: Mapped[float] = mapped_column(Float, default=0.0)
    escalated: Mapped[bool] = mapped_column(default=False)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    first_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class RescueEvent(Base):
    """One line of a case's audit trail: a step logged, a reminder, an escalation, an outcome."""

    __tablename__ = "rescue_events"
    # A case's events by kind; the dashboard's funnel reads (kind, step) in order, no sort.
    __table_args__ = (
        Index("ix_rescue_events_case_kind", "case_id", "kind", "step"),
        Index("ix_rescue_events_kind_step_case", "kind", "step", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("rescue_cases.id", ondelete="CASCADE"))
    # Deterministic key from the workflow so a retried activity writes the line once.
    event_key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    step: Mapped[str | None] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    data: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)


class TaskMessage(Base):
    """A rescue task as posted: Slack channel+ts when Slack is on, else the local outbox row."""

    __tablename__ = "task_messages"
    # The tasks outbox lists open tasks newest first.
    __table_args__ = (Index("ix_task_messages_open_created", "open", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_key: Mapped[str] = mapped_column(String(160), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("rescue_cases.id", ondelete="CASCADE"))
    transport: Mapped[str] = mapped_column(String(8))  # slack|outbox
    recipient: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(64))
    ts: Mapped[str | None] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    # When a Slack post of this task was first attempted: with no ts stored yet, a retry looks
    # for that post (by its metadata) instead of posting again.
    slack_post_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(16), default="task")  # task|reminder|escalation
    step: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text, default="")
    blocks: Mapped[list[object]] = mapped_column(JSON, default=list)
    open: Mapped[bool] = mapped_column(default=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
