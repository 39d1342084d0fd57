"""`POST /api/v1/rescues` over HTTP (ASGI), against the real dev server and store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from store.models import Flag
from tests.support.rescue_world import fast_playbook, rescue_world, seed, unique_id
from web.app import create_app
from web.temporal_link import TemporalLink
from winback.runtime import Runtime
from winback.settings import Settings
from workflows.rescue_messages import QUERY_STATUS, RescueStatus

TOKEN = "rescue-api-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@asynccontextmanager
async def api(
    client: Client,
    engine: Engine,
    sessions: sessionmaker[Session],
    tmp_path: Path,
    task_queue: str,
    playbook_path: Path,
) -> AsyncIterator[httpx.AsyncClient]:
    """The web app (API token TOKEN) over ASGI, on this store, server, queue and playbook."""
    settings = Settings(
        data_dir=tmp_path,
        database_url=str(engine.url),
        api_token=TOKEN,
        task_queue=task_queue,
        playbook_path=playbook_path,
    )
    app = create_app(Runtime(settings, engine, sessions), TemporalLink(settings, client=client))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://winback") as http:
        yield http


async def test_start_rescue_over_http(
    temporal_client: Client,
    sqlite_engine: Engine,
    sqlite_sessions: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    customer = unique_id()
    flag_id = seed(sqlite_sessions, customer)
    async with rescue_world(temporal_client, sqlite_sessions, tmp_path) as world:
        async with api(
            temporal_client,
            sqlite_engine,
            sqlite_sessions,
            tmp_path,
            world.task_queue,
            world.settings.playbook_path,
        ) as http:
            anonymous = await http.post("/api/v1/rescues", json={"customer": customer})
            assert anonymous.status_code == 401
            first = await http.post("/api/v1/rescues", json={"flag_id": flag_id}, headers=AUTH)
            assert first.status_code == 201, first.text
            wid = first.json()["workflow_id"]
            assert first.json() == {"workflow_id": f"rescue-{customer}-1", "started": True}
            again = await http.post("/api/v1/rescues", json={"customer": customer}, headers=AUTH)
            assert again.status_code == 200 and again.json() == {
                "workflow_id": wid,
                "started": False,
            }
            unknown = await http.post("/api/v1/rescues", json={"customer": "nobody"}, headers=AUTH)
            assert unknown.status_code == 404 and "nobody" in unknown.json()["detail"]
            both = await http.post(
                "/api/v1/rescues", json={"customer": customer, "flag_id": 1}, headers=AUTH
            )
            assert both.status_code == 422 and "exactly one" in both.text
            typo = await http.post("/api/v1/rescues", json={"customr": customer}, headers=AUTH)
            assert typo.status_code == 422
        handle = temporal_client.get_workflow_handle(wid)
        for _ in range(50):  # the assignee is loaded by the workflow's first activity
            status = await handle.query(QUERY_STATUS, result_type=RescueStatus)
            if status.assignee:
                break
            await asyncio.sleep(0.1)
        assert status.current_step == "unclaimed" and status.assignee == "ana"
        await temporal_client.get_workflow_handle(wid).terminate("test done")
    with sqlite_sessions() as session:
        flag = session.get(Flag, flag_id)
        assert flag is not None and (flag.status, flag.workflow_id) == ("started", wid)


async def test_broken_playbook_is_a_clear_503_and_starts_nothing(
    temporal_client: Client,
    sqlite_engine: Engine,
    sqlite_sessions: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    customer = unique_id()
    seed(sqlite_sessions, customer)
    broken = fast_playbook().model_dump()
    broken["scenarios"] = {"at_risk": {"stepz": {}}}  # a typo the schema refuses
    playbook_file = tmp_path / "broken.yaml"
    playbook_file.write_text(yaml.safe_dump(broken), encoding="utf-8")
    async with api(
        temporal_client,
        sqlite_engine,
        sqlite_sessions,
        tmp_path,
        f"unused-{customer}",
        playbook_file,
    ) as http:
        response = await http.post("/api/v1/rescues", json={"customer": customer}, headers=AUTH)
    assert response.status_code == 503
    detail = response.json()["detail"]
    assert "playbook is invalid" in detail and "broken.yaml" in detail
    with pytest.raises(RPCError) as not_started:
        await temporal_client.get_workflow_handle(f"rescue-{customer}-1").describe()
    assert not_started.value.status == RPCStatusCode.NOT_FOUND
