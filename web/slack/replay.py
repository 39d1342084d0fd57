"""Refusing replayed Slack requests: a signature seen before inside bolt's 5-minute window.

Bolt already rejects bad signatures and timestamps older than five minutes; within those five
minutes a captured request would still verify, so every verified signature is remembered for
the window and a second arrival gets 401. ReplayGuard remembers in this process (bounded);
the web app uses StoredReplayGuard (web/slack/replay_store.py), which keeps them in the store
every replica shares.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Protocol

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

REPLAY_WINDOW_SECONDS = 5 * 60  # bolt's own timestamp tolerance
MAX_REMEMBERED = 10_000


class SignatureGuard(Protocol):
    async def admit(self, signature: str) -> bool:
        """True the first time `signature` arrives within the window, False on a replay."""
        ...


class ReplayGuard:
    """Remembers signatures for the replay window in this process, oldest forgotten first
    when full."""

    def __init__(
        self,
        window_seconds: float = REPLAY_WINDOW_SECONDS,
        max_entries: int = MAX_REMEMBERED,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._window = window_seconds
        self._max = max_entries
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._seen)

    async def admit(self, signature: str) -> bool:
        return self.first_time(signature)  # on the event loop: check and insert are atomic

    def first_time(self, signature: str) -> bool:
        """True the first time `signature` arrives within the window, False on a replay."""
        now = self._clock()
        while self._seen and next(iter(self._seen.values())) <= now - self._window:
            self._seen.popitem(last=False)
        if signature in self._seen:
            return False
        self._seen[signature] = now
        while len(self._seen) > self._max:
            self._seen.popitem(last=False)
        return True


def refuse_replays(
    guard: SignatureGuard,
) -> Callable[..., Awaitable[BoltResponse | None]]:
    """A bolt middleware (runs after bolt's signature check) answering replays with 401."""

    async def middleware(
        req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        signatures = req.headers.get("x-slack-signature") or []
        if not signatures or not await guard.admit(signatures[0]):
            return BoltResponse(status=401, body='{"error": "replayed request refused"}')
        await next()
        return None

    return middleware
