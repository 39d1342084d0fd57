"""A local server that plays the Slack Web API for tests, checking what it receives.

Runs aiohttp on 127.0.0.1 (free port) in its own thread, so sync and async tests, the
Temporal worker and the web app can all talk to it through the real slack-sdk. It answers
like Slack (`ok: false` with Slack's error codes, 429 with Retry-After when programmed) and
records every call for assertions. Shapes it enforces: bearer token, channel, text on
messages, blocks as a JSON list within Block Kit's limits, ts of an existing message, message
metadata as {event_type, event_payload}. Message ts are Slack-like (Unix seconds, microseconds,
always increasing) so `oldest` windows mean what they do in Slack; the read methods
(conversations.history/replies/list) are in slack_stub_history.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support import slack_stub_history
from tests.support.slack_block_rules import block_problems, view_problems

BOT_TOKEN = "xoxb-test-bot-token"
SIGNING_SECRET = "test-signing-secret-0123456789abcdef"


@dataclass(frozen=True)
class Call:
    method: str
    args: dict[str, Any]
    status: int
    error: str | None


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[Any]
    thread_ts: str | None = None
    updates: int = 0
    metadata: dict[str, Any] | None = None


@dataclass
class SlackWorkspace:
    """What the stub knows: channels by name or id, users and their DM channels."""

    channels: dict[str, str] = field(default_factory=dict)  # name or id -> id
    users: dict[str, str] = field(default_factory=dict)  # user id -> name
    messages: dict[tuple[str, str], Message] = field(default_factory=dict)


class SlackStub:
    """The fake Slack: `base_url` for clients, `calls`/`posts()` for assertions."""

    def __init__(self, token: str = BOT_TOKEN) -> None:
        self.token = token
        self.workspace = SlackWorkspace()
        self.calls: list[Call] = []
        self._rate_limits: list[tuple[str | None, int]] = []  # (method or any, retry-after)
        self._ids = itertools.count(1)
        self._last_ts_us = 0
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- set-up -------------------------------------------------------------------------
    def add_channel(self, name: str) -> str:
        channel_id = f"C{next(self._ids):08d}"
        self.workspace.channels[name] = channel_id
        self.workspace.channels[channel_id] = channel_id
        return channel_id

    def add_user(self, user_id: str, name: str) -> None:
        self.workspace.users[user_id] = name

    def rate_limit(self, times: int, retry_after: int, method: str | None = None) -> None:
        """Answer the next `times` calls (of `method`, or any) with 429 Retry-After."""
        with self._lock:
            self._rate_limits.extend([(method, retry_after)] * times)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    # --- assertions ---------------------------------------------------------------------
    def calls_to(self, method: str, ok_only: bool = True) -> list[Call]:
        with self._lock:
            return [
                c for c in self.calls if c.method == method and (c.error is None or not ok_only)
            ]

    def posts(self, channel: str) -> list[Message]:
        """Messages posted in `channel` (name or id), oldest first."""
        channel_id = self.workspace.channels.get(channel, channel)
        with self._lock:
            return [m for m in self.workspace.messages.values() if m.channel == channel_id]

    # --- server -------------------------------------------------------------------------
    def start(self) -> SlackStub:
        ready = threading.Event()
        threading.Thread(target=self._serve, args=(ready,), daemon=True).start()
        if not ready.wait(10):
            raise RuntimeError("Slack stub did not start within 10 s")
        return self

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)

    @classmethod
    @contextmanager
    def running(
        cls, users: tuple[str, ...] = (), channels: tuple[str, ...] = ("#team-north",)
    ) -> Iterator[SlackStub]:
        """A started stub that knows `users` (ids) and `channels` (names)."""
        with cls() as stub:
            for user in users:
                stub.add_user(user, user.lower())
            for channel in channels:
                stub.add_channel(channel)
            yield stub

    def __enter__(self) -> SlackStub:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _serve(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        self._runner = web.AppRunner(app)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        ready.set()
        self._loop.run_forever()

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await _request_args(request)
        token = _bearer(request) or args.pop("token", None)
        with self._lock:
            limited = self._take_rate_limit(method)
            if limited is not None:
                self.calls.append(Call(method, args, 429, "ratelimited"))
                return web.json_response(
                    {"ok": False, "error": "ratelimited"},
                    status=429,
                    headers={"Retry-After": str(limited)},
                )
            if not token:
                result: dict[str, Any] = {"ok": False, "error": "not_authed"}
            elif token != self.token:
                result = {"ok": False, "error": "invalid_auth"}
            else:
                result = self._answer(method, args)
            self.calls.append(Call(method, args, 200, result.get("error")))
        return web.json_response(result)

    def _take_rate_limit(self, method: str) -> int | None:
        for index, (only, retry_after) in enumerate(self._rate_limits):
            if only is None or only == method:
                del self._rate_limits[index]
                return retry_after
        return None

    # --- the Web API methods ----------------------------------------------------------
    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        handler = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.delete": self._delete,
            "chat.postEphemeral": self._post_ephemeral,
            "conversations.open": self._open_dm,
            "conversations.history": self._history,
            "conversations.replies": self._replies,
            "conversations.list": self._channel_list,
            "views.open": self._open_view,
            "views.update": self._update_view,
            "users.info": self._user_info,
        }.get(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        return handler(args)

    def _auth_test(self, _args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://winback-test.slack.com/",
            "team": "winback-test",
            "user": "winback",
            "team_id": "T0000TEST",
            "user_id": "U0BOT",
            "bot_id": "B0BOT",
        }

    def _channel(self, args: dict[str, Any]) -> str | dict[str, Any]:
        name = args.get("channel")
        if not name:
            return {"ok": False, "error": "channel_not_found"}
        channel_id = self.workspace.channels.get(str(name))
        return channel_id or {"ok": False, "error": "channel_not_found"}

    def _message_problems(self, args: dict[str, Any]) -> dict[str, Any] | list[Any]:
        if not str(args.get("text") or "").strip():
            return {"ok": False, "error": "no_text"}
        blocks = _json_field(args.get("blocks", []))
        problems = block_problems(blocks)
        if problems:
            return {"ok": False, "error": "invalid_blocks", "errors": problems}
        return blocks  # type: ignore[no-any-return]

    def _post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        if isinstance(channel, dict):
            return channel
        blocks = self._message_problems(args)
        if isinstance(blocks, dict):
            return blocks
        thread_ts = args.get("thread_ts")
        if thread_ts and (channel, str(thread_ts)) not in self.workspace.messages:
            return {"ok": False, "error": "thread_not_found"}
        metadata = _json_field(args.get("metadata"))
        if metadata is not None and not _metadata_ok(metadata):
            return {"ok": False, "error": "invalid_metadata_format"}
        ts = self._new_ts()
        message = Message(channel, ts, str(args["text"]), blocks, thread_ts, metadata=metadata)
        self.workspace.messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": {"text": message.text}}

    def _new_ts(self) -> str:
        """Now, in Slack's "seconds.micros" form, later than every ts before it."""
        micros = max(time.time_ns() // 1000, self._last_ts_us + 1)
        self._last_ts_us = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _history(self, args: dict[str, Any]) -> dict[str, Any]:
        messages = list(self.workspace.messages.values())
        return slack_stub_history.history(messages, set(self.workspace.channels.values()), args)

    def _replies(self, args: dict[str, Any]) -> dict[str, Any]:
        messages = list(self.workspace.messages.values())
        return slack_stub_history.replies(messages, set(self.workspace.channels.values()), args)

    def _channel_list(self, args: dict[str, Any]) -> dict[str, Any]:
        return slack_stub_history.channel_list(self.workspace.channels, args)

    def _update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        if isinstance(channel, dict):
            return channel
        message = self.workspace.messages.get((channel, str(args.get("ts"))))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        blocks = self._message_problems(args)
        if isinstance(blocks, dict):
            return blocks
        message.text, message.blocks, message.updates = (
            str(args["text"]),
            blocks,
            message.updates + 1,
        )
        return {"ok": True, "channel": channel, "ts": message.ts, "text": message.text}

    def _delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        if isinstance(channel, dict):
            return channel
        if self.workspace.messages.pop((channel, str(args.get("ts"))), None) is None:
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": channel, "ts": str(args.get("ts"))}

    def _post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        if isinstance(channel, dict):
            return channel
        if args.get("user") not in self.workspace.users:
            return {"ok": False, "error": "user_not_in_channel"}
        if not str(args.get("text") or "").strip():
            return {"ok": False, "error": "no_text"}
        return {"ok": True, "message_ts": self._new_ts()}

    def _open_dm(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(args.get("users") or "")
        if user not in self.workspace.users:
            return {"ok": False, "error": "user_not_found"}
        dm = f"D{user}"
        self.workspace.channels[dm] = dm
        return {"ok": True, "channel": {"id": dm}}

    def _open_view(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        view = _json_field(args.get("view"))
        problems = view_problems(view)
        if problems:
            return {
                "ok": False,
                "error": "invalid_arguments",
                "response_metadata": {"messages": problems},
            }
        return {"ok": True, "view": {**view, "id": f"V{next(self._ids):08d}"}}

    def _update_view(self, args: dict[str, Any]) -> dict[str, Any]:
        if not (args.get("view_id") or args.get("external_id")):
            return {"ok": False, "error": "not_found"}
        return self._open_view({**args, "trigger_id": "update"})

    def _user_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(args.get("user") or "")
        if user not in self.workspace.users:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": {"id": user, "name": self.workspace.users[user]}}


def _bearer(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    return auth.removeprefix("Bearer ").strip() or None if auth.startswith("Bearer ") else None


def _metadata_ok(metadata: Any) -> bool:
    return (
        isinstance(metadata, dict)
        and isinstance(metadata.get("event_type"), str)
        and bool(metadata["event_type"])
        and isinstance(metadata.get("event_payload"), dict)
    )


def _json_field(value: Any) -> Any:
    """Form bodies carry blocks and views as JSON strings, JSON bodies as values."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


async def _request_args(request: web.Request) -> dict[str, Any]:
    args: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            args.update(await request.json())
        else:
            args.update(dict(await request.post()))
    return args
