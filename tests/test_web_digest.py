"""The weekly digest on the real dev server: figures match SQL, one message to the leaders'
channel through the Slack transport (stub Web API), or the outbox file when Slack is off, and
the weekly Schedule starts it."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client, WorkflowFailureError
from temporalio.worker import Worker

from activities.digest import digest_activities
from tests.support.dashboard_seed import seed_dashboard
from tests.support.slack_stub import BOT_TOKEN, SlackStub
from winback.commands.digest import ensure_digest_schedule
from winback.settings import Settings
from workflows.digest import DigestInput, DigestWorkflow


@pytest.fixture(scope="module")
def stub() -> Iterator[SlackStub]:
    with SlackStub.running(channels=("#customer-room",)) as server:
        yield server


def _worker(
    client: Client, settings: Settings, sessions: sessionmaker[Session], queue: str
) -> Worker:
    from concurrent.futures import ThreadPoolExecutor

    return Worker(
        client,
        task_queue=queue,
        workflows=[DigestWorkflow],
        activities=digest_activities(settings, sessions),
        activity_executor=ThreadPoolExecutor(max_workers=2),
    )


async def test_digest_posts_one_message_with_the_weeks_numbers(
    temporal_client: Client,
    sqlite_sessions: sessionmaker[Session],
    stub: SlackStub,
    tmp_path: Path,
) -> None:
    seeded = seed_dashboard(sqlite_sessions)
    settings = Settings(
        data_dir=tmp_path,
        slack_bot_token=SecretStr(BOT_TOKEN),
        slack_base_url=stub.base_url,
        public_url="http://room.example",
    )
    start = seeded.today - timedelta(days=6)
    with sqlite_sessions() as session:
        new = session.execute(
            text("SELECT COUNT(*) FROM customers WHERE start_date >= :d"), {"d": start}
        ).scalar()
        lost = session.execute(
            text(
                "SELECT COUNT(*) FROM customers WHERE status_changed_on >= :d AND status IN "
                "('cancelled', 'non_renewed', 'lost')"
            ),
            {"d": start},
        ).scalar()
    queue = f"digest-{uuid.uuid4()}"
    async with _worker(temporal_client, settings, sqlite_sessions, queue):
        delivery = await temporal_client.execute_workflow(
            DigestWorkflow.run, DigestInput(days=7), id=f"digest-{uuid.uuid4()}", task_queue=queue
        )
    assert (delivery.status, delivery.where) == ("sent", "#customer-room")
    [message] = stub.posts("#customer-room")
    body = json.dumps(message.blocks)
    assert f"*New* {new} " in body and f"*Lost* {lost} " in body
    assert "Unexpected fees: 30 vs 8.5 expected" in body  # this week's spike, not the old one
    assert "Setup is hard" not in body.split("*Spikes:*")[1]
    assert "http://room.example/" in message.text


async def test_digest_is_stored_when_slack_is_off_and_schedule_runs_it(
    temporal_client: Client,
    sqlite_sessions: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    seed_dashboard(sqlite_sessions)
    settings = Settings(data_dir=tmp_path, task_queue=f"digest-{uuid.uuid4()}")
    schedule_id = f"digest-schedule-{uuid.uuid4()}"
    today = datetime.now(UTC).date().isoformat()
    async with _worker(temporal_client, settings, sqlite_sessions, settings.task_queue):
        assert (
            await ensure_digest_schedule(temporal_client, settings, schedule_id=schedule_id)
            == "created"
        )
        assert (
            await ensure_digest_schedule(temporal_client, settings, schedule_id=schedule_id)
            == "updated"
        )
        handle = temporal_client.get_schedule_handle(schedule_id)
        described = await handle.describe()
        [weekly] = described.schedule.spec.calendars  # the server stores cron as a calendar
        assert (weekly.hour[0].start, weekly.day_of_week[0].start) == (8, 1)
        await handle.trigger()
        outbox = tmp_path / "outbox" / f"digest-{today}.json"
        for _ in range(100):
            if outbox.exists():
                break
            await asyncio.sleep(0.1)
        await handle.delete()
        stored = json.loads(outbox.read_text())
        assert stored["channel"] == "#customer-room" and "Customer Room week" in stored["text"]
        with pytest.raises(WorkflowFailureError):
            await temporal_client.execute_workflow(
                DigestWorkflow.run,
                DigestInput(days=0),
                id=f"digest-{uuid.uuid4()}",
                task_queue=settings.task_queue,
            )
