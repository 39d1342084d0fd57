"""The tasks outbox drives a real RescueWorkflow: the page's forms send the same Temporal
Updates as Slack, and the workflow's refusals are shown on the page."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from store.models import RescueCase, RescueEvent, TaskMessage
from tests.support.rescue_world import eventually, rescue_world, seed, unique_id
from tests.support.web_app import MEMBERS, csrf_of, dashboard_app
from web.temporal_link import TemporalLink
from workflows.rescue_messages import QUERY_STATUS, RescueStatus


def _task(sessions: sessionmaker[Session], workflow_id: str, step: str) -> TaskMessage | None:
    with sessions() as session:
        return session.scalar(
            select(TaskMessage)
            .join(RescueCase, RescueCase.id == TaskMessage.case_id)
            .where(
                RescueCase.workflow_id == workflow_id,
                TaskMessage.step == step,
                TaskMessage.open.is_(True),
            )
        )


async def _sign_in(web: httpx.AsyncClient, token: str) -> None:
    page = await web.get("/login")
    done = await web.post("/login", data={"token": token, "csrf_token": csrf_of(page.text)})
    assert done.status_code == 303


async def test_outbox_claims_logs_and_closes_a_rescue(
    temporal_client: Client,
    sqlite_engine: Engine,
    sqlite_sessions: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    customer = unique_id()
    seed(sqlite_sessions, customer)
    app = dashboard_app(sqlite_engine, tmp_path)
    app.state.temporal = TemporalLink(app.state.runtime.settings, client=temporal_client)
    transport = httpx.ASGITransport(app=app)
    async with rescue_world(temporal_client, sqlite_sessions, tmp_path) as world:
        started = await world.starter.start_for_customer(customer)
        wid = started.workflow_id
        claim = await eventually(lambda: _task(sqlite_sessions, wid, "unclaimed"))
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://test") as ana,
            httpx.AsyncClient(transport=transport, base_url="http://test") as bo,
        ):
            await _sign_in(ana, MEMBERS["ana"])
            await _sign_in(bo, MEMBERS["bo"])
            page = (await ana.get("/tasks")).text
            assert f'id="task-{claim.id}"' in page and "usage dropped 60%" in page
            assert f'action="/tasks/{claim.id}/claim"' in page
            refused = await bo.post(
                f"/tasks/{claim.id}/claim",
                headers={"accept": "text/html"},
                data={"csrf_token": csrf_of((await bo.get("/tasks")).text)},
            )
            assert refused.status_code == 403

            done = await ana.post(
                f"/tasks/{claim.id}/claim",
                data={"csrf_token": csrf_of(page)},
                follow_redirects=True,
            )
            assert "claim sent" in done.text
            status = await temporal_client.get_workflow_handle(wid).query(
                QUERY_STATUS, result_type=RescueStatus
            )
            assert (status.assignee, status.current_step) == ("ana", "initiate")

            task = await eventually(lambda: _task(sqlite_sessions, wid, "initiate"))
            page = (await ana.get("/tasks")).text
            fields = re.findall(r'name="field:(\w+)"', page)
            assert "reached_via" in fields  # the playbook's fields, from the stored notice
            empty = await ana.post(
                f"/tasks/{task.id}/step", follow_redirects=True, data={"csrf_token": csrf_of(page)}
            )
            assert 'id="error"' in empty.text and "Refused:" in empty.text
            assert "reached_via" in empty.text  # the validator names the missing field
            logged = await ana.post(
                f"/tasks/{task.id}/step",
                follow_redirects=True,
                data={
                    "csrf_token": csrf_of(page),
                    "field:reached_via": "call",
                    "field:first_words": "We left because of billing.",
                },
            )
            assert "step sent" in logged.text

            outcome = await ana.post(
                f"/tasks/{task.id}/outcome",
                follow_redirects=True,
                data={
                    "csrf_token": csrf_of(page),
                    "outcome": "lost",
                    "reason": "Moved to a rival",
                    "lost_category_id": "",
                },
            )
            assert "outcome sent" in outcome.text
            bad = await ana.post(
                f"/tasks/{task.id}/outcome",
                follow_redirects=True,
                data={"csrf_token": csrf_of(page), "outcome": "maybe"},
            )
            assert "outcome must be one of" in bad.text

        def closed() -> RescueCase | None:
            with sqlite_sessions() as session:
                case = session.scalar(select(RescueCase).where(RescueCase.workflow_id == wid))
                return case if case and case.status == "lost" else None

        case = await eventually(closed)
    assert case.outcome_reason == "Moved to a rival" and case.assignee == "ana"
    with sqlite_sessions() as session:
        steps = session.scalars(
            select(RescueEvent.step).where(
                RescueEvent.case_id == case.id, RescueEvent.kind == "step_logged"
            )
        ).all()
        assert steps == ["initiate"]
