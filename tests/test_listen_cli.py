"""`winback listen schedule`, `winback retrain --now`, `winback listen --now` on the dev server."""

from __future__ import annotations

import asyncio
import csv
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client, ScheduleActionStartWorkflow, ScheduleOverlapPolicy
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from activities.listen import listening_activities
from store.models import FeedbackItem
from tests.test_listen_activities import add_feedback, bitext_rows
from winback.cli import build_app
from winback.commands.listen import ensure_listen_schedule
from winback.runtime import Runtime
from winback.settings import Settings, get_settings
from winback.worker import build_worker
from workflows.listen import ListenWorkflow
from workflows.retrain import RetrainInput, RetrainWorkflow


@pytest.fixture
def settings_env(
    monkeypatch: pytest.MonkeyPatch,
    temporal_env: WorkflowEnvironment,
    tmp_path: Path,
    sqlite_url: str,
) -> Iterator[Settings]:
    """WINBACK_* pointing at the test Temporal server, a fresh queue and a SQLite store."""
    target = temporal_env.client.service_client.config.target_host
    env = {
        "WINBACK_TEMPORAL_ADDRESS": target,
        "WINBACK_TASK_QUEUE": str(uuid.uuid4()),
        "WINBACK_DATA_DIR": str(tmp_path / "state"),
        "WINBACK_DATABASE_URL": sqlite_url,
        "WINBACK_LISTEN_EVERY_MINUTES": "7",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("WINBACK_SLACK_BOT_TOKEN", raising=False)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


async def test_schedule_is_created_then_updated_in_place(
    temporal_client: Client, settings_env: Settings
) -> None:
    schedule_id = f"listen-{uuid.uuid4()}"
    assert await ensure_listen_schedule(temporal_client, settings_env, schedule_id) == "created"
    faster = settings_env.model_copy(update={"listen_every_minutes": 3})
    assert await ensure_listen_schedule(temporal_client, faster, schedule_id) == "updated"
    handle = temporal_client.get_schedule_handle(schedule_id)
    try:
        described = await handle.describe()
        schedule = described.schedule
        assert [spec.every for spec in schedule.spec.intervals] == [timedelta(minutes=3)]
        assert schedule.policy.overlap == ScheduleOverlapPolicy.SKIP
        assert isinstance(schedule.action, ScheduleActionStartWorkflow)
        assert schedule.action.workflow == "ListenWorkflow"
        assert schedule.action.task_queue == settings_env.task_queue
    finally:
        await handle.delete()


def invoke(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(build_app(), args)
    return result.exit_code, result.output


def write_csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    return path


async def test_retrain_now_then_listen_now_through_the_cli(
    temporal_client: Client,
    settings_env: Settings,
    sqlite_engine: Engine,
    sqlite_sessions: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    data = write_csv(tmp_path / "train.csv", bitext_rows("Training", 8))
    gold = write_csv(tmp_path / "gold.csv", bitext_rows("Testing", 4))
    add_feedback(sqlite_sessions, ["where is my package?", "I want my money back"])
    runtime = Runtime(settings_env, sqlite_engine, sqlite_sessions)
    worker = build_worker(
        runtime,
        temporal_client,
        workflows=[ListenWorkflow, RetrainWorkflow],
        activities=listening_activities(settings_env, sqlite_sessions),
    )
    async with worker:
        empty = await asyncio.to_thread(invoke, ["listen", "--now"])
        trained = await asyncio.to_thread(
            invoke, ["retrain", "--now", "--data", str(data), "--gold", str(gold)]
        )
        listened = await asyncio.to_thread(invoke, ["listen", "--now"])

    assert empty[0] == 0 and "status: no_live_model" in empty[1]
    assert trained[0] == 0, trained[1]
    assert "status: promoted" in trained[1] and "candidate_version: v1" in trained[1]
    assert listened[0] == 0 and "classified: 2" in listened[1], listened[1]
    with sqlite_sessions() as session:
        got = session.scalars(select(FeedbackItem.category_id).order_by(FeedbackItem.id)).all()
    assert got == ["delivery_and_tracking", "refunds"]


def test_retrain_without_now_explains_itself(settings_env: Settings, tmp_path: Path) -> None:
    code, output = invoke(["retrain", "--data", "a.csv", "--gold", "b.csv"])
    assert code == 2 and "--now" in output


async def test_retrain_passes_route_encoder_folder_and_timeouts_to_the_workflow(
    settings_env: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[RetrainInput] = []

    async def capture(settings: Settings, params: RetrainInput) -> None:
        started.append(params)

    monkeypatch.setattr("winback.commands.listen._retrain_now", capture)
    monkeypatch.chdir(tmp_path)
    base = ["retrain", "--now", "--data", "a.csv", "--gold", "b.csv"]
    # In a thread, as `winback` runs: the command's asyncio.run would otherwise clear this
    # thread's event loop under the tests that follow.
    for extra in ([], ["--route", "encoder", "--encoder", "encoders/mpnet"]):
        assert (await asyncio.to_thread(invoke, [*base, *extra]))[0] == 0
    distilled_args = [*base, "--route", "distilled", "--timeout-minutes", "90"]
    assert (await asyncio.to_thread(invoke, distilled_args))[0] == 0

    linear, encoder, distilled = started
    assert (linear.route, linear.encoder, linear.activity_timeout_seconds) == ("linear", "", 1800)
    assert encoder.route == "encoder" and encoder.activity_timeout_seconds == 480 * 60
    assert encoder.encoder == str(
        tmp_path.resolve() / "encoders" / "mpnet"
    )  # as the worker sees it
    assert (distilled.route, distilled.activity_timeout_seconds) == ("distilled", 90 * 60)
