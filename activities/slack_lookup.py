"""Finding a task message winback already posted, so a retried delivery never posts it twice.

Every task message carries invisible message metadata naming its message_key. When a post was
attempted but its ts never reached the store (the worker died, the commit failed), the retry
reads the conversation since the attempt (conversations.history, or conversations.replies for
a thread reply) and adopts the message it finds instead of posting again.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

TASK_EVENT_TYPE = "winback_task"
# The attempt time is the worker's clock, the ts Slack's: look a little earlier than it.
CLOCK_SKEW_SECONDS = 120
PAGE_SIZE = 200
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")

Reader = Callable[..., Awaitable[dict[str, Any]]]  # (method, **params) -> response data


def task_metadata(message_key: str) -> dict[str, Any]:
    """Message metadata for a task: its key only (workflow id and step; no names, texts or
    secrets)."""
    return {"event_type": TASK_EVENT_TYPE, "event_payload": {"message_key": message_key}}


def oldest_for(attempted_at: float) -> str:
    """The `oldest` bound of a lookup for a post first attempted at `attempted_at` (Unix s)."""
    return f"{max(0.0, attempted_at - CLOCK_SKEW_SECONDS):.6f}"


def _is_ours(message: dict[str, Any], message_key: str) -> bool:
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return bool(
        metadata.get("event_type") == TASK_EVENT_TYPE and payload.get("message_key") == message_key
    )


async def _pages(
    read: Reader, method: str, key: str, **params: Any
) -> AsyncIterator[list[dict[str, Any]]]:
    """Each page's `key` items, following `response_metadata.next_cursor` to the end."""
    cursor = ""
    while True:
        page = await read(method, limit=PAGE_SIZE, cursor=cursor or None, **params)
        yield list(page.get(key) or [])
        cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
        if not page.get("has_more") or not cursor:
            return


async def find_task_message(
    read: Reader, channel: str, message_key: str, oldest: str, thread_ts: str | None = None
) -> str | None:
    """The ts of the message carrying `message_key` in `channel` since `oldest` (in the thread
    under `thread_ts` when given), or None."""
    method, where = ("conversations.history", {})
    if thread_ts is not None:
        method, where = "conversations.replies", {"ts": thread_ts}
    async for messages in _pages(
        read, method, "messages", channel=channel, oldest=oldest, include_all_metadata=True, **where
    ):
        for message in messages:
            if message.get("ts") != thread_ts and _is_ours(message, message_key):
                return str(message["ts"])
    return None


async def channel_id(read: Reader, channel: str) -> str | None:
    """A channel's id from its id or its name ("#team-north"); None if the bot can't see it.
    History is read by id only, while posts also take names."""
    if _CHANNEL_ID.match(channel):
        return channel
    name = channel.lstrip("#")
    async for channels in _pages(
        read,
        "conversations.list",
        "channels",
        types="public_channel,private_channel",
        exclude_archived=True,
    ):
        for found in channels:
            if found.get("name") == name:
                return str(found["id"])
    return None
