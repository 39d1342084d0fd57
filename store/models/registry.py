"""Trained model versions: what is live, what is a candidate, and their cards."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, UTCDateTime, utcnow

MODEL_STATUSES = ("candidate", "live", "retired", "rejected")


class ModelVersion(Base):
    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("kind", "version", name="uq_model_versions_kind_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # category|risk
    version: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(16), default="candidate", index=True)
    card: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
