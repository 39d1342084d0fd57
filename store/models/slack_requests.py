"""Slack request signatures seen lately: replay protection shared by every web replica."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, UTCDateTime


class SeenSlackRequest(Base):
    """One verified Slack request, kept for bolt's five-minute timestamp window (older ones
    are refused by bolt anyway, so they are deleted)."""

    __tablename__ = "seen_slack_requests"

    signature: Mapped[str] = mapped_column(String(128), primary_key=True)  # "v0=<hex>"
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
