"""Account-team members: who gets rescue tasks, who they escalate to, how many a day."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base

ROLES = ("member", "lead", "leader", "ops")


class TeamMember(Base):
    __tablename__ = "team_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    handle: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    team: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(16), default="member")
    slack_user_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    lead_handle: Mapped[str | None] = mapped_column(String(64))
    daily_capacity: Mapped[int] = mapped_column(default=5)
    active: Mapped[bool] = mapped_column(default=True)
