"""POST /slack/events: Slack's interactivity requests, handed to the bolt app.

Without Slack settings the route still exists and answers 503 saying what to set, so the
dashboard starts either way.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler

from web.slack.app import SlackNotConfigured, build_bolt_app
from web.slack.context import CONTEXT_KEY, SlackDeps
from web.slack.replay_store import StoredReplayGuard
from winback.runtime import Runtime


def register(app: FastAPI) -> None:
    runtime: Runtime = app.state.runtime
    try:
        handler: AsyncSlackRequestHandler | None = AsyncSlackRequestHandler(
            build_bolt_app(runtime.settings, StoredReplayGuard(runtime.sessions))
        )
        problem = ""
    except SlackNotConfigured as exc:
        handler, problem = None, str(exc)

    @app.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        if handler is None:
            return JSONResponse({"error": problem}, status_code=503)
        deps = SlackDeps(sessions=runtime.sessions, temporal_link=request.app.state.temporal)
        return await handler.handle(request, {CONTEXT_KEY: deps})
