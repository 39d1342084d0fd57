"""Building the dashboard app for tests: a real store, optional tokens, optional Temporal."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from store.db import make_sessionmaker
from web.app import create_app
from web.auth import access_from_settings
from winback.runtime import Runtime
from winback.settings import Settings

LEADER, OPS = "leader-secret", "ops-secret"
MEMBERS = {"ana": "ana-secret", "bo": "bo-secret"}


def dashboard_app(
    engine: Engine,
    data_dir: Path,
    tokens: bool = True,
    temporal_address: str | None = None,
    **settings: object,
) -> FastAPI:
    """The real app on `engine`; with tokens, leader/ops/member tokens are configured."""
    config = Settings(
        data_dir=data_dir,
        database_url=engine.url.render_as_string(hide_password=False),
        leader_token=LEADER if tokens else None,
        ops_token=OPS if tokens else None,
        temporal_address=temporal_address,
        **settings,
    )
    app = create_app(Runtime(config, engine, make_sessionmaker(engine)))
    app.state.access = access_from_settings(config, MEMBERS if tokens else {})
    return app


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "page has no CSRF field"
    return found.group(1)


def sign_in(client: TestClient, token: str) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"token": token, "next": "/", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def number(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">([^<]*)<', html)
    assert found, f"no #{element_id} on the page"
    return found.group(1).strip()
