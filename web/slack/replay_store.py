"""Replay protection that every web replica shares: signatures kept in the store.

The in-process guard (web/slack/replay.py) cannot see a request captured at one replica and
replayed at another. Here the first arrival of a signature inserts it, with the database's
unique key deciding between two replicas racing on the same request; rows older than bolt's
window are deleted on the way, since bolt refuses those timestamps by itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from store.db import conflict_insert, transaction
from store.models import SeenSlackRequest
from web.slack.replay import REPLAY_WINDOW_SECONDS


class StoredReplayGuard:
    """`admit(signature)` is True the first time the signature arrives within the window."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        window_seconds: float = REPLAY_WINDOW_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._sessions = sessions
        self._window = timedelta(seconds=window_seconds)
        self._clock = clock

    async def admit(self, signature: str) -> bool:
        return await asyncio.to_thread(self.first_time, signature)

    def first_time(self, signature: str) -> bool:
        now = datetime.fromtimestamp(self._clock(), UTC)
        seen = SeenSlackRequest
        with transaction(self._sessions) as session:
            session.execute(delete(seen).where(seen.seen_at <= now - self._window))
            dialect = session.get_bind().dialect.name
            inserted = session.execute(
                conflict_insert(dialect)(seen)
                .values(signature=signature, seen_at=now)
                .on_conflict_do_nothing(index_elements=["signature"])
                .returning(seen.signature)
            )
            return inserted.first() is not None  # a conflict returns no row
