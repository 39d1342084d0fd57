"""Delivering rescue tasks to Slack through the Web API, with Temporal owning the retries.

The client has no retry handlers of its own: a 429 becomes a retryable ApplicationError whose
next_retry_delay is Slack's Retry-After, and permanent refusals (bad token, unknown channel)
become non-retryable ones, so a retry never posts twice and a misconfiguration fails fast.
Error messages name the Slack method and error code, never the token.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from temporalio.exceptions import ApplicationError

from activities.slack_blocks import Block, message_blocks, notification_text, thread_blocks
from activities.slack_blocks import thread_text as reply_text
from activities.task_notice import TaskNotice
from winback.settings import Settings

log = logging.getLogger(__name__)

# Slack error codes worth another try; every other `ok: false` is a permanent refusal.
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
DEFAULT_RETRY_AFTER_SECONDS = 30


@dataclass(frozen=True)
class SlackRef:
    """Where a message lives in Slack: enough to update it or reply in its thread."""

    channel: str
    ts: str


def _retry_after(headers: Mapping[str, Any] | None) -> int:
    for key, value in (headers or {}).items():
        if key.lower() == "retry-after":
            try:
                return max(0, int(value))
            except (TypeError, ValueError):
                break
    return DEFAULT_RETRY_AFTER_SECONDS


def _as_application_error(method: str, exc: SlackApiError) -> ApplicationError:
    """The Temporal error for a failed Slack call: retry after Retry-After, or give up."""
    status = exc.response.status_code
    data = exc.response.data if isinstance(exc.response.data, dict) else {}
    code = str(data.get("error", f"http_{status}"))
    if status == 429:
        delay = _retry_after(exc.response.headers)
        return ApplicationError(
            f"Slack {method} rate limited; retry after {delay}s",
            type="SlackRateLimited",
            next_retry_delay=timedelta(seconds=delay),
        )
    if status >= 500 or code in TRANSIENT_ERRORS:
        return ApplicationError(f"Slack {method} failed: {code} (HTTP {status})", type="SlackDown")
    hint = {
        "invalid_auth": "check WINBACK_SLACK_BOT_TOKEN",
        "not_authed": "set WINBACK_SLACK_BOT_TOKEN",
        "token_revoked": "reinstall the Slack app and update WINBACK_SLACK_BOT_TOKEN",
        "channel_not_found": "check the team channel and invite the bot to it",
        "not_in_channel": "invite the bot to the channel",
        "user_not_found": "check the team member's slack_user_id",
    }.get(code, "see https://api.slack.com/methods/" + method)
    return ApplicationError(
        f"Slack refused {method}: {code} ({hint})", code, type="SlackRefused", non_retryable=True
    )


class SlackTransport:
    """Posts, updates and threads rescue tasks in Slack; built once with the settings."""

    def __init__(self, settings: Settings) -> None:
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
        self._client = AsyncWebClient(
            token=token, base_url=settings.slack_base_url, retry_handlers=[]
        )

    async def _call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = await self._client.api_call(method, json=kwargs)
        except SlackApiError as exc:
            error = _as_application_error(method, exc)
            log.warning("%s", error.message)
            raise error from None
        data: dict[str, Any] = dict(response.data) if isinstance(response.data, dict) else {}
        return data

    async def _open_dm(self, slack_user_id: str) -> str:
        try:
            response = await self._client.conversations_open(users=slack_user_id)
        except SlackApiError as exc:
            raise _as_application_error("conversations.open", exc) from None
        return str(response["channel"]["id"])

    async def _destination(self, notice: TaskNotice) -> str:
        if notice.recipient_slack_id:
            return await self._open_dm(notice.recipient_slack_id)
        if notice.team_channel:
            return notice.team_channel
        raise ApplicationError(
            f"task {notice.message_key} has neither a recipient Slack id nor a team channel",
            type="SlackNoDestination",
            non_retryable=True,
        )

    async def _post(self, channel: str, text: str, blocks: list[Block], **extra: Any) -> SlackRef:
        if blocks:
            extra["blocks"] = blocks
        data = await self._call("chat.postMessage", channel=channel, text=text, **extra)
        ref = SlackRef(channel=str(data["channel"]), ts=str(data["ts"]))
        log.info("posted Slack message %s in %s", ref.ts, ref.channel)
        return ref

    async def deliver(self, notice: TaskNotice, existing: SlackRef | None) -> SlackRef:
        """Update the task's message when it exists, else post it (DM, else team channel)."""
        text, blocks = notification_text(notice), message_blocks(notice)
        if existing is not None:
            try:
                data = await self._call(
                    "chat.update",
                    channel=existing.channel,
                    ts=existing.ts,
                    text=text,
                    blocks=blocks,
                )
                return SlackRef(channel=str(data["channel"]), ts=str(data["ts"]))
            except ApplicationError as exc:
                # Someone deleted the message: post it again rather than lose the task.
                if exc.details[:1] != ("message_not_found",):
                    raise
        return await self._post(await self._destination(notice), text, blocks)

    async def post_thread(self, notice: TaskNotice, parent: SlackRef) -> SlackRef:
        """A reminder or escalation as a reply under the task message."""
        return await self._post(
            parent.channel, reply_text(notice), thread_blocks(notice), thread_ts=parent.ts
        )

    async def post_channel(
        self, channel: str, text: str, blocks: list[Block] | None = None
    ) -> SlackRef:
        """A message to a channel (spike alerts, digests)."""
        return await self._post(channel, text, blocks or [])
