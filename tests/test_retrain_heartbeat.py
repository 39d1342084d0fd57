"""RetrainWorkflow heartbeats: training shows its progress, and a worker killed mid-training is
replaced within the heartbeat timeout instead of the (much longer) start-to-close timeout."""

from __future__ import annotations

import asyncio
import csv
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from itertools import islice
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from temporalio.api.enums.v1 import EventType, PendingActivityState
from temporalio.client import Client, WorkflowHandle

from activities import retrain as retrain_activities
from classifiers.registry import CATEGORY, ModelRegistry
from tests.test_retrain_workflow import retrain_worker, write_csv
from winback.settings import Settings
from workflows.retrain import LabelledFile, RetrainInput, RetrainResult, RetrainWorkflow

SAMPLE = Path(__file__).resolve().parents[1] / "winback/sample_data/banking77/train.csv"
TRAIN = "retrain_train_candidate"


def banking_slice(path: Path, rows: int | None = None) -> LabelledFile:
    """The first `rows` shipped BANKING77 rows (all by default): training takes seconds."""
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        kept = [(row["text"], row["category"]) for row in islice(csv.DictReader(handle), rows)]
    return LabelledFile(write_csv(path, kept).path, preset="banking77")


async def training_note(handle: WorkflowHandle, wanted: str, within: float) -> str:
    """The first heartbeat detail of the running training activity that contains `wanted`.

    The SDK sends heartbeats at most every 0.8 x heartbeat timeout, so notes arrive batched.
    """
    deadline, seen = time.monotonic() + within, dict[str, None]()  # distinct, in order
    while time.monotonic() < deadline:
        for pending in (await handle.describe()).raw_description.pending_activities:
            started = pending.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
            if pending.activity_type.name == TRAIN and started:
                notes = [p.data.decode() for p in pending.heartbeat_details.payloads]
                seen.update(dict.fromkeys(notes))
                if any(wanted in note for note in notes):
                    return notes[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no training heartbeat with {wanted!r}; seen {list(seen)}")


async def test_training_progress_is_sent_as_heartbeat_details(
    temporal_client: Client,
    sqlite_sessions: sessionmaker[Session],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The SDK sends at most one heartbeat per 0.8 x 3 s, and a small training set can finish
    # inside that window. So the activity, once trained, waits until the test has seen the
    # note: its heartbeat thread keeps sending the last note meanwhile, whatever the speed.
    seen = threading.Event()
    trained = retrain_activities.train_candidate

    def train_then_wait_until_seen(*args: Any, **kwargs: Any) -> Any:
        result = trained(*args, **kwargs)
        seen.wait(60)
        return result

    monkeypatch.setattr(retrain_activities, "train_candidate", train_then_wait_until_seen)
    data = banking_slice(tmp_path / "train.csv", 3000)
    gold = banking_slice(tmp_path / "gold.csv", 300)
    registry = ModelRegistry(sqlite_sessions, tmp_path / "models")
    settings = Settings(data_dir=tmp_path, slack_bot_token=None)
    async with retrain_worker(temporal_client, sqlite_sessions, registry, settings) as queue:
        handle = await temporal_client.start_workflow(
            RetrainWorkflow.run,
            RetrainInput(data, gold, heartbeat_timeout_seconds=3),
            id=f"retrain-{uuid.uuid4()}",
            task_queue=queue,
        )
        try:
            note = await training_note(handle, "linear route", within=60)
        finally:
            seen.set()
        result = await handle.result()
    assert result.status == "promoted"
    assert "rows" in note, note


async def test_a_worker_killed_mid_training_is_replaced_within_the_heartbeat_timeout(
    temporal_client: Client,
    sqlite_sessions: sessionmaker[Session],
    sqlite_url: str,
    tmp_path: Path,
) -> None:
    # All shipped rows: the kill must land while training still runs (3,000 rows train in
    # about 2 s on a quiet machine), and a worker in another process takes no test hook.
    data = banking_slice(tmp_path / "train.csv")
    gold = banking_slice(tmp_path / "gold.csv", 300)
    queue = str(uuid.uuid4())
    env = {
        **os.environ,
        "WINBACK_TEMPORAL_ADDRESS": temporal_client.service_client.config.target_host,
        "WINBACK_TASK_QUEUE": queue,
        "WINBACK_DATABASE_URL": sqlite_url,
        "WINBACK_DATA_DIR": str(tmp_path),
        "WINBACK_SLACK_BOT_TOKEN": "",
    }
    first = subprocess.Popen(
        [str(Path(sys.executable).parent / "winback"), "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        # The start-to-close timeout alone would keep the dead attempt for ten minutes.
        params = RetrainInput(data, gold, activity_timeout_seconds=600, heartbeat_timeout_seconds=3)
        handle = await temporal_client.start_workflow(
            RetrainWorkflow.run, params, id=f"retrain-{uuid.uuid4()}", task_queue=queue
        )
        await training_note(handle, "started", within=120)  # training underway
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # no graceful shutdown: the worker just vanishes
        first.wait(30)
    killed_at = time.monotonic()
    registry = ModelRegistry(sqlite_sessions, tmp_path / "models")
    settings = Settings(data_dir=tmp_path, slack_bot_token=None)
    async with retrain_worker(temporal_client, sqlite_sessions, registry, settings, queue):
        result: RetrainResult = await asyncio.wait_for(handle.result(), 180)
    replaced_after = time.monotonic() - killed_at

    assert result.status == "promoted"
    assert replaced_after < 120  # heartbeat timeout (3 s) plus a retrain, not 600 s
    started = [
        event.activity_task_started_event_attributes
        async for event in handle.fetch_history_events()
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
    ]
    train_attempt = started[0]
    assert train_attempt.attempt == 2
    assert "heartbeat" in train_attempt.last_failure.message.lower()
    live = registry.live(CATEGORY)
    assert live is not None and live.card["training_request"].startswith(f"{handle.id}/")
