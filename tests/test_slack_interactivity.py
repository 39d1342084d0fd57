"""POST /slack/events over HTTP against a real RescueWorkflow: signature, timestamp and replay
checks, who may act, and each button and modal (SQLite; the end-to-end walk also runs on PG).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from activities.slack_blocks import (
    ACTION_CLAIM,
    ACTION_ESCALATE,
    ACTION_LOG_STEP,
    ACTION_OUTCOME,
    ACTION_RESCHEDULE,
)
from tests.support.slack_app import SlackSite, eventually
from tests.support.slack_payloads import block_action, post_signed, serve_asgi, signed_request
from tests.support.slack_rescue import (
    ANA_DM,
    SLACK_USERS,
    Rescue,
    buttons,
    number,
    picked,
    slack_rescue,
    status,
    task_message,
    typed,
)
from tests.support.slack_stub import SlackStub
from web.app import create_app
from winback.runtime import Runtime
from winback.settings import Settings


@pytest.fixture(scope="module")
def stub() -> Iterator[SlackStub]:
    with SlackStub.running(users=SLACK_USERS) as server:
        yield server


@pytest.fixture
async def rescue(
    stub: SlackStub,
    sqlite_engine: Engine,
    sqlite_sessions: sessionmaker[Session],
    temporal_client: Client,
    tmp_path: Path,
) -> AsyncIterator[tuple[SlackSite, Rescue]]:
    async with slack_rescue(
        stub, sqlite_engine, sqlite_sessions, temporal_client, tmp_path
    ) as started:
        await task_message(stub, started[1].id, ACTION_CLAIM)  # the case is open and posted
        yield started


async def claimed(handle: Rescue) -> bool:
    return (await status(handle)).current_step == "initiate"


async def ephemeral_after(site: SlackSite, before: int) -> dict[str, str]:
    """The next ephemeral message the app sent (listeners answer after they ack)."""
    await eventually(lambda: len(site.stub.calls_to("chat.postEphemeral")) > before)
    told: dict[str, str] = site.stub.calls_to("chat.postEphemeral")[before].args
    return told


async def test_endpoint_answers_503_when_slack_is_not_configured(
    sqlite_engine: Engine, sqlite_sessions: sessionmaker[Session]
) -> None:
    settings = Settings(database_url=str(sqlite_engine.url))
    app = create_app(Runtime(settings, sqlite_engine, sqlite_sessions))
    async with serve_asgi(app) as url, httpx.AsyncClient() as client:
        response = await client.post(f"{url}/slack/events", content="payload={}")
        health = await client.get(f"{url}/healthz")
    assert response.status_code == 503
    assert "WINBACK_SLACK_SIGNING_SECRET" in response.json()["error"]
    assert health.json() == {"status": "ok"}


async def test_claim_button_acks_within_3s_and_claims(rescue: tuple[SlackSite, Rescue]) -> None:
    site, handle = rescue
    started = time.monotonic()
    response = await site.click("U0ANA", ACTION_CLAIM, handle.id, ANA_DM)
    assert response.status_code == 200 and time.monotonic() - started < 3
    await eventually(lambda: claimed(handle))
    assert (await status(handle)).assignee == "ana"


async def test_forged_stale_and_replayed_requests_are_refused_without_an_update(
    rescue: tuple[SlackSite, Rescue],
) -> None:
    site, handle = rescue
    before = await status(handle)
    payload = block_action("U0ANA", ACTION_CLAIM, handle.id, ANA_DM)
    forged = signed_request(payload, secret="not-the-signing-secret")
    stale = signed_request(payload, timestamp=int(time.time()) - 6 * 60)
    assert (await post_signed(site.events_url, *forged)).status_code == 401
    assert (await post_signed(site.events_url, *stale)).status_code == 401
    assert await status(handle) == before

    genuine = signed_request(payload)
    assert (await post_signed(site.events_url, *genuine)).status_code == 200
    await eventually(lambda: claimed(handle))
    await task_message(site.stub, handle.id, ACTION_LOG_STEP)  # the rescue has shown the claim
    after_claim, calls = await status(handle), len(site.stub.calls)
    assert (await post_signed(site.events_url, *genuine)).status_code == 401
    await asyncio.sleep(0.3)  # time enough for a listener to act, had one run
    assert await status(handle) == after_claim
    assert len(site.stub.calls) == calls  # the replay reached no listener


async def test_strangers_and_refusals_get_an_ephemeral_answer(
    rescue: tuple[SlackSite, Rescue],
) -> None:
    site, handle = rescue
    before = await status(handle)
    told = len(site.stub.calls_to("chat.postEphemeral"))
    await site.click("U0STRANGER", ACTION_CLAIM, handle.id)
    stranger = await ephemeral_after(site, told)
    assert stranger["user"] == "U0STRANGER"
    assert "not set up as a winback team member" in stranger["text"]
    assert await status(handle) == before

    await site.click("U0ANA", ACTION_CLAIM, handle.id, ANA_DM)
    await eventually(lambda: claimed(handle))
    await site.click("U0ANA", ACTION_CLAIM, handle.id, ANA_DM)
    again = await ephemeral_after(site, told + 1)
    assert again["user"] == "U0ANA" and "already claimed" in again["text"]


async def test_log_step_modal_only_for_the_current_step(rescue: tuple[SlackSite, Rescue]) -> None:
    site, handle = rescue
    await site.click("U0ANA", ACTION_CLAIM, handle.id, ANA_DM)
    initiate = buttons(await task_message(site.stub, handle.id, ACTION_LOG_STEP))
    opened = len(site.stub.calls_to("views.open"))
    await site.click("U0ANA", ACTION_LOG_STEP, initiate[ACTION_LOG_STEP], ANA_DM)
    view = await site.opened_view(opened)
    values = {"field:reached_via": picked("email"), "field:first_words": typed("Too pricey")}
    answer = await site.submit("U0ANA", view, values)
    assert answer.status_code == 200 and answer.text == ""
    assert (await status(handle)).current_step == "probe"

    told = len(site.stub.calls_to("chat.postEphemeral"))
    await site.click("U0ANA", ACTION_LOG_STEP, initiate[ACTION_LOG_STEP], ANA_DM)  # old button
    stale = await ephemeral_after(site, told)
    assert "at 'probe' now, not 'initiate'" in stale["text"]
    assert len(site.stub.calls_to("views.open")) == opened + 1


async def test_reschedule_escalate_and_outcome_modals(rescue: tuple[SlackSite, Rescue]) -> None:
    site, handle = rescue
    opened = len(site.stub.calls_to("views.open"))
    await site.click("U0ANA", ACTION_RESCHEDULE, handle.id, ANA_DM)
    reschedule = await site.opened_view(opened)
    bad = await site.submit("U0ANA", reschedule, {"days": number("-1")})
    assert bad.json()["errors"] == {"days": "Enter a number of days greater than 0"}
    assert (await site.submit("U0ANA", reschedule, {"days": number("2.5")})).text == ""

    await site.click("U0ANA", ACTION_ESCALATE, handle.id, ANA_DM)
    escalate = await site.opened_view(opened + 1)
    assert (await site.submit("U0ANA", escalate, {"note": typed("No answer twice")})).text == ""
    assert (await status(handle)).escalated

    await site.click("U0ANA", ACTION_OUTCOME, handle.id, ANA_DM)
    outcome = await site.opened_view(opened + 2)
    no_reason = await site.submit("U0ANA", outcome, {"outcome": picked("lost")})
    assert no_reason.json() == {
        "response_action": "errors",
        "errors": {"outcome": "'lost' needs a reason: what the customer said made them go"},
    }
    lost = {"outcome": picked("lost"), "reason": typed("Moved to a cheaper rival")}
    assert (await site.submit("U0ANA", outcome, lost)).text == ""
    result = await handle.result()
    assert (result.outcome, result.reason) == ("lost", "Moved to a cheaper rival")
