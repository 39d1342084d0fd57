"""`winback train risk`, `winback scan --now`, `winback scan schedule` and `winback flags`."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client, ScheduleActionStartWorkflow, ScheduleOverlapPolicy
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from activities.rescue_start import RescueStarter
from activities.scan import scan_activities
from store.models import ModelVersion
from tests.support.detect_data import AS_OF, scan_store
from winback.cli import build_app
from winback.commands.detect import ensure_scan_schedule
from winback.runtime import Runtime
from winback.settings import Settings, get_settings
from winback.worker import build_worker
from workflows.scan import ScanWorkflow

TELCO = Path(__file__).resolve().parents[1] / "winback/sample_data/telco/telco_churn_train.csv"


@pytest.fixture
def settings_env(
    monkeypatch: pytest.MonkeyPatch,
    temporal_env: WorkflowEnvironment,
    tmp_path: Path,
    sqlite_url: str,
) -> Iterator[Settings]:
    """WINBACK_* pointing at the test Temporal server, a fresh queue and a SQLite store."""
    env = {
        "WINBACK_TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
        "WINBACK_TASK_QUEUE": str(uuid.uuid4()),
        "WINBACK_DATA_DIR": str(tmp_path / "state"),
        "WINBACK_DATABASE_URL": sqlite_url,
        "WINBACK_SCAN_CRON": "15 5 * * *",
        "COLUMNS": "200",  # the Rich table on one line per flag
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def invoke(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(build_app(), args)
    return result.exit_code, result.output


def test_train_risk_on_telco_makes_a_live_model(
    settings_env: Settings, sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    code, out = invoke(["train", "risk", "--labels", str(TELCO)])
    assert code == 0, out
    assert "risk model v1 is live: 4930 rows (tabular)" in out
    with sqlite_sessions() as session:
        row = session.scalars(select(ModelVersion).where(ModelVersion.kind == "risk")).one()
    assert row.status == "live" and float(row.card["cv_roc_auc"]) >= 0.84  # type: ignore[arg-type]
    assert (Path(row.path) / "model.skops").exists() and (Path(row.path) / "card.json").exists()

    bad = tmp_path / "bad.csv"
    bad.write_text("external_id,churned\nx,1\nx,0\n")
    code, out = invoke(["train", "risk", "--labels", str(bad)])
    assert code == 2 and "bad.csv: row 3, field 'external_id': duplicate id" in out


async def test_scan_now_flags_and_schedule_through_the_cli(
    temporal_client: Client,
    settings_env: Settings,
    sqlite_engine: Engine,
    sqlite_sessions: sessionmaker[Session],
) -> None:
    tag = f"{uuid.uuid4().hex[:6]}-"
    scan_store(sqlite_sessions, tag)
    runtime = Runtime(settings_env, sqlite_engine, sqlite_sessions)
    starter = RescueStarter(
        temporal_client, sqlite_sessions, settings_env, task_queue=f"rescue-{uuid.uuid4()}"
    )
    worker = build_worker(
        runtime,
        temporal_client,
        workflows=[ScanWorkflow],
        activities=[*scan_activities(sqlite_sessions), starter.start_rescue_for_flag],
    )
    async with worker:
        code, out = await asyncio.to_thread(invoke, ["scan", "--now", "--as-of", AS_OF.isoformat()])
    assert code == 0, out
    assert "flagged: {'at_risk': 1, 'lapsed': 1, 'lost': 1}" in out and "started: 3" in out

    code, out = invoke(["flags", "--json"])
    assert code == 0, out
    queue = json.loads(out)
    assert [q["customer"] for q in queue] == [
        f"{tag}cancelled-1",
        f"{tag}lapsed-1",
        f"{tag}failing-payer",
    ]
    assert queue[0]["value_at_risk"] == 8000.0 and queue[0]["reasons"] == ["cancelled the contract"]
    code, out = invoke(["flags"])
    assert code == 0 and "usually active every 9 days; silent 41 days" in out

    schedule_id = f"scan-{uuid.uuid4()}"
    assert await ensure_scan_schedule(temporal_client, settings_env, schedule_id) == "created"
    assert await ensure_scan_schedule(temporal_client, settings_env, schedule_id) == "updated"
    handle = temporal_client.get_schedule_handle(schedule_id)
    try:
        schedule = (await handle.describe()).schedule
        (calendar,) = schedule.spec.calendars  # the server stores the cron as a calendar
        assert [(r.start, r.end) for r in calendar.hour + calendar.minute] == [(5, 5), (15, 15)]
        assert schedule.policy.overlap == ScheduleOverlapPolicy.SKIP
        assert isinstance(schedule.action, ScheduleActionStartWorkflow)
        assert schedule.action.workflow == "ScanWorkflow"
        assert schedule.action.task_queue == settings_env.task_queue
    finally:
        await handle.delete()
