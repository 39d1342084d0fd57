"""Delivering rescue tasks to Slack through the Web API, with Temporal owning the retries.

The client has no retry handlers of its own: a 429 becomes a retryable ApplicationError whose
next_retry_delay is Slack's Retry-After, and permanent refusals (bad token, unknown channel)
become non-retryable ones, so a misconfiguration fails fast. Task messages carry metadata
naming their message_key: given the time of an earlier attempt, a delivery first looks for the
message that attempt may have posted (slack_lookup) and adopts it, so a retry never posts twice.
Error messages name the Slack method and error code, never the token.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from temporalio.exceptions import ApplicationError

from activities.slack_blocks import Block, message_blocks, notification_text, thread_blocks
from activities.slack_blocks import thread_text as reply_text
from activities.slack_lookup import channel_id, find_task_message, oldest_for, task_metadata
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
    thread_ts: str | None = None  # the parent's ts when this message is a thread reply


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
        "missing_scope": "add the scopes listed in docs/slack.md and reinstall the Slack app",
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

    async def _api(self, method: str, **request: Any) -> dict[str, Any]:
        """One Web API call; a refusal becomes an ApplicationError naming method and code."""
        try:
            response = await self._client.api_call(method, **request)
        except SlackApiError as exc:
            error = _as_application_error(method, exc)
            log.warning("%s", error.message)
            raise error from None
        data: dict[str, Any] = dict(response.data) if isinstance(response.data, dict) else {}
        return data

    async def _call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        return await self._api(method, json=kwargs)

    async def _read(self, method: str, **params: Any) -> dict[str, Any]:
        """A read method (conversations.history, ...): these take query parameters, not JSON."""
        query = {name: value for name, value in params.items() if value is not None}
        return await self._api(method, http_verb="GET", params=query)

    async def _find(
        self, channel: str, message_key: str, oldest: str, thread_ts: str | None = None
    ) -> SlackRef | None:
        """The message an earlier attempt posted for `message_key`, if there is one."""
        conversation = await channel_id(self._read, channel)
        if conversation is None:
            return None
        ts = await find_task_message(self._read, conversation, message_key, oldest, thread_ts)
        if ts is None:
            return None
        log.info("adopting Slack message %s already posted for %s", ts, message_key)
        return SlackRef(conversation, ts)

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

    async def _update(self, ref: SlackRef, text: str, blocks: list[Block]) -> SlackRef:
        data = await self._call(
            "chat.update", channel=ref.channel, ts=ref.ts, text=text, blocks=blocks
        )
        return SlackRef(channel=str(data["channel"]), ts=str(data["ts"]))

    async def deliver(
        self, notice: TaskNotice, existing: SlackRef | None, attempted_at: float | None = None
    ) -> SlackRef:
        """Update the task's message when it exists, else post it (DM, else team channel).

        `attempted_at` (Unix seconds): an earlier post of this task was attempted then and its
        ts is unknown; the message it may have posted is found and updated, not posted again.
        """
        text, blocks = notification_text(notice), message_blocks(notice)
        oldest = oldest_for(attempted_at) if attempted_at is not None else None
        if existing is not None:
            try:
                return await self._update(existing, text, blocks)
            except ApplicationError as exc:
                # Someone deleted the message: post it again rather than lose the task (an
                # earlier retry may have done so already: any repost is newer than the original).
                if exc.details[:1] != ("message_not_found",):
                    raise
                oldest = existing.ts
        destination = await self._destination(notice)
        if oldest is not None:
            found = await self._find(destination, notice.message_key, oldest)
            if found is not None:
                return await self._update(found, text, blocks)
        return await self._post(
            destination, text, blocks, metadata=task_metadata(notice.message_key)
        )

    async def post_thread(
        self, notice: TaskNotice, parent: SlackRef, attempted_at: float | None = None
    ) -> SlackRef:
        """A reminder or escalation as a reply under the task message (once: see deliver).

        An earlier attempt may have posted it at the top level instead, if the task message had
        no ts yet then; that message is adopted as it is rather than posted again in the thread.
        """
        if attempted_at is not None:
            key, oldest = notice.message_key, oldest_for(attempted_at)
            found = await self._find(parent.channel, key, oldest, parent.ts)
            if found is not None:
                return replace(found, thread_ts=parent.ts)
            found = await self._find(parent.channel, key, oldest)
            if found is not None:
                return found
        posted = await self._post(
            parent.channel,
            reply_text(notice),
            thread_blocks(notice),
            thread_ts=parent.ts,
            metadata=task_metadata(notice.message_key),
        )
        return replace(posted, thread_ts=parent.ts)

    async def post_channel(
        self, channel: str, text: str, blocks: list[Block] | None = None
    ) -> SlackRef:
        """A message to a channel (spike alerts, digests)."""
        return await self._post(channel, text, blocks or [])
