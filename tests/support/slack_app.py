"""The winback web app wired to the Slack stub and a real Temporal client, served over HTTP.

`SlackSite` bundles what an interactivity test touches: the stub, the app's /slack/events URL
and the store, plus `click`/`submit` helpers that post signed payloads as Slack does.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from tests.support.slack_payloads import block_action, post_interaction, serve_asgi, view_submission
from tests.support.slack_stub import BOT_TOKEN, SIGNING_SECRET, SlackStub
from web.app import create_app
from web.temporal_link import TemporalLink
from winback.runtime import Runtime
from winback.settings import Settings


def slack_settings(stub: SlackStub, engine: Engine, **extra: Any) -> Settings:
    return Settings(
        database_url=str(engine.url),
        slack_bot_token=SecretStr(BOT_TOKEN),
        slack_signing_secret=SecretStr(SIGNING_SECRET),
        slack_base_url=stub.base_url,
        **extra,
    )


@dataclass
class SlackSite:
    stub: SlackStub
    events_url: str
    sessions: sessionmaker[Session]

    async def click(
        self, user: str, action_id: str, value: str, channel: str = "#team-north"
    ) -> httpx.Response:
        return await post_interaction(
            self.events_url, block_action(user, action_id, value, channel)
        )

    async def submit(
        self, user: str, view: dict[str, Any], values: dict[str, dict[str, Any]]
    ) -> httpx.Response:
        return await post_interaction(self.events_url, view_submission(user, view, values))

    async def opened_view(self, before: int) -> dict[str, Any]:
        """The view of the first views.open after the `before`-th one."""
        await eventually(lambda: len(self.stub.calls_to("views.open")) > before)
        view: dict[str, Any] = self.stub.calls_to("views.open")[before].args["view"]
        return view


@asynccontextmanager
async def slack_site(
    stub: SlackStub, engine: Engine, sessions: sessionmaker[Session], client: Client
) -> AsyncIterator[SlackSite]:
    settings = slack_settings(stub, engine)
    runtime = Runtime(settings, engine, sessions)
    app = create_app(runtime, TemporalLink(settings, client=client))
    async with serve_asgi(app) as url:
        yield SlackSite(stub, f"{url}/slack/events", sessions)


async def eventually(check: Callable[[], object], timeout: float = 10.0) -> None:
    """Wait until `check()` is truthy (listeners work after they ack); fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.05)
