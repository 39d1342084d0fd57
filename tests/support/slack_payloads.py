"""Interactive payloads posted to the app exactly as Slack posts them, signed.

Slack sends `payload=<json>` form-encoded, with X-Slack-Request-Timestamp and
X-Slack-Signature = "v0=" + HMAC-SHA256(signing secret, "v0:{timestamp}:{body}").
`serve_asgi` runs the FastAPI app on a real loopback port in the test's event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode

import httpx
import uvicorn
from fastapi import FastAPI

from tests.support.slack_stub import SIGNING_SECRET

TEAM = {"id": "T0000TEST", "domain": "winback-test"}


def signature(secret: str, timestamp: int, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_request(
    payload: dict[str, Any], secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> tuple[str, dict[str, str]]:
    """The form body and headers Slack would send for `payload`."""
    body = urlencode({"payload": json.dumps(payload)})
    stamp = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": signature(secret, stamp, body),
    }
    return body, headers


async def post_signed(url: str, body: str, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(url, content=body, headers=headers)


async def post_interaction(
    url: str, payload: dict[str, Any], secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> httpx.Response:
    body, headers = signed_request(payload, secret, timestamp)
    return await post_signed(url, body, headers)


def _user(user_id: str) -> dict[str, str]:
    return {
        "id": user_id,
        "username": user_id.lower(),
        "name": user_id.lower(),
        "team_id": TEAM["id"],
    }


def block_action(
    user_id: str, action_id: str, value: str, channel: str = "D0TEST", message_ts: str = "1.0"
) -> dict[str, Any]:
    """A button click in a message, as Slack's block_actions payload."""
    return {
        "type": "block_actions",
        "user": _user(user_id),
        "api_app_id": "A0WINBACK",
        "token": "legacy-verification-token",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
        "trigger_id": f"{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex[:16]}",
        "team": TEAM,
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "directmessage"},
        "message": {"type": "message", "ts": message_ts, "text": "task", "blocks": []},
        "state": {"values": {}},
        "response_url": "https://hooks.slack.com/actions/T0000TEST/1/abc",
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "winback_task_actions",
                "text": {"type": "plain_text", "text": "button"},
                "value": value,
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def view_submission(
    user_id: str, view: dict[str, Any], values: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """A modal submitted with `values` (block_id -> action_id -> state), as Slack sends it."""
    return {
        "type": "view_submission",
        "team": TEAM,
        "user": _user(user_id),
        "api_app_id": "A0WINBACK",
        "token": "legacy-verification-token",
        "trigger_id": f"{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex[:16]}",
        "view": {
            **view,
            "id": "V0MODAL",
            "team_id": TEAM["id"],
            "state": {"values": values},
            "hash": uuid.uuid4().hex,
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


@asynccontextmanager
async def serve_asgi(app: FastAPI) -> AsyncIterator[str]:
    """Serve `app` on a free loopback port in this event loop; yields its base URL."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.01)
    if not server.started:
        raise RuntimeError("web app did not start")
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
