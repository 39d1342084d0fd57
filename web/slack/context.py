"""What the Slack listeners need from winback, handed to them in bolt's context per request.

Slack user ids map to team-member handles through the store: someone who is not a winback
team member cannot act on a rescue.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from store.models import TeamMember
from web.temporal_link import TemporalLink

CONTEXT_KEY = "winback"


def member_handle(session: Session, slack_user_id: str) -> str | None:
    """The active team member's handle for a Slack user id, or None."""
    return session.scalar(
        select(TeamMember.handle).where(
            TeamMember.slack_user_id == slack_user_id, TeamMember.active.is_(True)
        )
    )


@dataclass(frozen=True)
class SlackDeps:
    sessions: sessionmaker[Session]
    temporal_link: TemporalLink

    async def temporal(self) -> Client:
        return await self.temporal_link.client()

    async def actor(self, slack_user_id: str) -> str | None:
        def lookup() -> str | None:
            with self.sessions() as session:
                return member_handle(session, slack_user_id)

        return await asyncio.to_thread(lookup)


def deps_of(context: AsyncBoltContext | dict[str, Any]) -> SlackDeps:
    deps = context.get(CONTEXT_KEY)
    if not isinstance(deps, SlackDeps):
        raise RuntimeError("no SlackDeps in the bolt context: mount bolt via web.routes.slack")
    return deps
