"""The Slack stub's read methods: conversations.history, conversations.replies, conversations.list.

They page like Slack (a `limit`, `has_more`, an opaque `response_metadata.next_cursor`), take
channel ids only (names are `channel_not_found`, as in Slack), honour `oldest`/`latest`
(exclusive unless `inclusive`), and show a message's `metadata` only when asked with
`include_all_metadata`. History is newest first and holds top-level messages; replies are the
thread parent and then its replies, oldest first.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any, Protocol

DEFAULT_LIMIT = 100


class StoredMessage(Protocol):
    channel: str
    ts: str
    text: str
    thread_ts: str | None
    metadata: dict[str, Any] | None


def _flag(value: Any) -> bool:
    """Query strings carry booleans as "1"/"true"; JSON bodies as booleans."""
    return str(value).lower() in ("1", "true")


def _micros(ts: Any) -> int:
    seconds, _, fraction = str(ts).partition(".")
    return int(seconds) * 1_000_000 + int((fraction + "000000")[:6])


def _in_window(message: StoredMessage, args: dict[str, Any]) -> bool:
    at = _micros(message.ts)
    inclusive = _flag(args.get("inclusive", False))
    if args.get("oldest"):
        oldest = _micros(args["oldest"])
        if at < oldest or (at == oldest and not inclusive):
            return False
    if args.get("latest"):
        latest = _micros(args["latest"])
        if at > latest or (at == latest and not inclusive):
            return False
    return True


def _as_api(message: StoredMessage, with_metadata: bool) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "type": "message",
        "ts": message.ts,
        "text": message.text,
        "bot_id": "B0BOT",
    }
    if message.thread_ts:
        shown["thread_ts"] = message.thread_ts
    if with_metadata and message.metadata:
        shown["metadata"] = message.metadata
    return shown


def _page(items: Sequence[Any], args: dict[str, Any], key: str) -> dict[str, Any]:
    """One page of `items` under `key`, from the cursor on."""
    try:
        limit = max(1, int(args.get("limit") or DEFAULT_LIMIT))
        start = int(base64.b64decode(str(args["cursor"])).decode()) if args.get("cursor") else 0
    except ValueError:
        return {"ok": False, "error": "invalid_cursor"}
    chunk = list(items[start : start + limit])
    more = start + limit < len(items)
    cursor = base64.b64encode(str(start + limit).encode()).decode() if more else ""
    return {"ok": True, key: chunk, "has_more": more, "response_metadata": {"next_cursor": cursor}}


def history(
    messages: Sequence[StoredMessage], channel_ids: set[str], args: dict[str, Any]
) -> dict[str, Any]:
    channel = str(args.get("channel") or "")
    if channel not in channel_ids:
        return {"ok": False, "error": "channel_not_found"}
    with_metadata = _flag(args.get("include_all_metadata", False))
    found = [
        _as_api(m, with_metadata)
        for m in reversed(messages)
        if m.channel == channel and m.thread_ts is None and _in_window(m, args)
    ]
    return _page(found, args, "messages")


def replies(
    messages: Sequence[StoredMessage], channel_ids: set[str], args: dict[str, Any]
) -> dict[str, Any]:
    channel, parent_ts = str(args.get("channel") or ""), str(args.get("ts") or "")
    if channel not in channel_ids:
        return {"ok": False, "error": "channel_not_found"}
    parent = next((m for m in messages if m.channel == channel and m.ts == parent_ts), None)
    if parent is None:
        return {"ok": False, "error": "thread_not_found"}
    with_metadata = _flag(args.get("include_all_metadata", False))
    thread = [
        m
        for m in messages
        if m.channel == channel and m.thread_ts == parent_ts and _in_window(m, args)
    ]
    return _page([_as_api(m, with_metadata) for m in [parent, *thread]], args, "messages")


def channel_list(channels: dict[str, str], args: dict[str, Any]) -> dict[str, Any]:
    """Named channels (the stub's "#name" entries) as {id, name}."""
    listed = [
        {"id": cid, "name": name.lstrip("#"), "is_channel": True}
        for name, cid in channels.items()
        if name.startswith("#")
    ]
    return _page(listed, args, "channels")
