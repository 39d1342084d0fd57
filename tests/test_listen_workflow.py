"""ListenWorkflow on the real Temporal dev server: exactly-once rollups, spikes alerted once."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from temporalio.worker import Replayer, Worker

from activities.alerts import SpikeAlertActivities
from activities.listen import ListenActivities
from activities.slack_transport import SlackTransport
from classifiers.registry import CATEGORY, ModelRegistry
from classifiers.text.taxonomy_store import sync_taxonomy
from playbooks.taxonomy import load_taxonomy
from store.models import CategoryDaily, FeedbackItem, SpikeAlert
from tests.support.slack_stub import BOT_TOKEN, SlackStub
from tests.test_listen_activities import (
    DAY,
    add_feedback,
    bitext_rows,
    daily_totals,
    item_totals,
    train_tiny_model,
)
from winback.settings import Settings
from workflows.listen import ListenInput, ListenResult, ListenWorkflow

LEADERS = "#customer-room"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_tiny_model(tmp_path_factory.mktemp("model") / "v1")


def live_registry(sessions: sessionmaker[Session], model_dir: Path, root: Path) -> ModelRegistry:
    """A registry whose live category model (v1) is the tiny bitext model."""
    registry = ModelRegistry(sessions, root / "models")
    version = registry.register(CATEGORY, model_dir, {})
    registry.promote(CATEGORY, version)
    return registry


@asynccontextmanager
async def listening_worker(
    client: Client,
    sessions: sessionmaker[Session],
    settings: Settings,
    registry: ModelRegistry,
) -> AsyncIterator[str]:
    listen = ListenActivities.from_registry(sessions, registry)
    poster = SlackTransport(settings).post_channel if settings.slack_enabled() else None
    alerts = SpikeAlertActivities(sessions, settings, poster)
    task_queue = str(uuid.uuid4())
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[ListenWorkflow],
        activities=[
            listen.live_model_version,
            listen.pending_feedback_ids,
            listen.classify_batch,
            alerts.record_spikes,
            alerts.send_spike_alert,
        ],
        activity_executor=ThreadPoolExecutor(max_workers=4),
    ):
        yield task_queue


async def run_listen(
    client: Client, task_queue: str, params: ListenInput, workflow_id: str | None = None
) -> ListenResult:
    return await client.execute_workflow(
        ListenWorkflow.run,
        params,
        id=workflow_id or f"listen-{uuid.uuid4()}",
        task_queue=task_queue,
    )


async def test_two_runs_classify_and_roll_up_each_item_once(
    temporal_client: Client, sessions: sessionmaker[Session], model_dir: Path, tmp_path: Path
) -> None:
    texts = [text for text, _ in bitext_rows("Testing", 5)]
    add_feedback(sessions, texts)
    settings = Settings(data_dir=tmp_path)
    # batch_size 4 and 2 batches per run: 25 items take 7 batches over 4 continued runs.
    params = ListenInput(batch_size=4, batches_per_run=2, as_of=DAY.isoformat())
    registry = live_registry(sessions, model_dir, tmp_path)
    async with listening_worker(temporal_client, sessions, settings, registry) as q:
        first = await run_listen(temporal_client, q, params)
        second = await run_listen(temporal_client, q, params)
        add_feedback(sessions, texts[:3], DAY + timedelta(days=1), prefix="late")
        third = await run_listen(temporal_client, q, params)

    assert (first.status, first.model_version) == ("ok", "v1")
    assert (first.classified, first.batches) == (25, 7)
    assert (second.classified, second.batches) == (0, 0)
    assert (third.classified, third.batches) == (3, 1)
    assert sum(daily_totals(sessions).values()) == 28
    assert daily_totals(sessions) == item_totals(sessions)
    with sessions() as session:
        rescue = session.scalars(select(FeedbackItem).where(FeedbackItem.source == "rescue")).all()
    assert rescue and all(item.category_id and item.classified_at for item in rescue)


async def test_no_live_model_classifies_nothing(
    temporal_client: Client,
    sqlite_sessions: sessionmaker[Session],
    model_dir: Path,
    tmp_path: Path,
) -> None:
    add_feedback(sqlite_sessions, ["where is my package"])
    settings = Settings(data_dir=tmp_path)
    empty = ModelRegistry(sqlite_sessions, tmp_path / "models")
    async with listening_worker(temporal_client, sqlite_sessions, settings, empty) as queue:
        result = await run_listen(temporal_client, queue, ListenInput())
    assert (result.status, result.classified, result.model_version) == ("no_live_model", 0, None)
    with sqlite_sessions() as session:
        item = session.scalars(select(FeedbackItem)).one()
    assert item.classified_at is None


def seed_refund_history(sessions: sessionmaker[Session]) -> None:
    """28 quiet days of 2 refund items a day, then 14 refund complaints on DAY."""
    with sessions() as session, session.begin():
        sync_taxonomy(session, load_taxonomy())  # category names for the alert
        for back in range(1, 29):
            session.add(
                CategoryDaily(
                    day=DAY - timedelta(days=back),
                    category_id="refunds",
                    stage_id="value",
                    count=2,
                )
            )
    texts = [text for text, category in bitext_rows("Training", 14) if category == "refunds"]
    texts[0] = "refund to jane.doe@example.com please, card 4111 1111 1111 1111 was charged"
    add_feedback(sessions, texts, DAY, prefix="refund")


async def test_spike_is_alerted_once_across_two_runs(
    temporal_client: Client,
    sqlite_sessions: sessionmaker[Session],
    model_dir: Path,
    tmp_path: Path,
) -> None:
    seed_refund_history(sqlite_sessions)
    params = ListenInput(as_of=DAY.isoformat())
    with SlackStub() as slack:
        slack.add_channel(LEADERS)
        settings = Settings(
            data_dir=tmp_path,
            slack_bot_token=SecretStr(BOT_TOKEN),
            slack_base_url=slack.base_url,
            slack_leaders_channel=LEADERS,
            public_url="https://winback.example.com/",
        )
        registry = live_registry(sqlite_sessions, model_dir, tmp_path)
        async with listening_worker(temporal_client, sqlite_sessions, settings, registry) as queue:
            first = await run_listen(temporal_client, queue, params, "listen-spike-first")
            second = await run_listen(temporal_client, queue, params)
        posts = slack.posts(LEADERS)
    # The workflow is deterministic: its recorded history replays without a worker.
    history = await temporal_client.get_workflow_handle("listen-spike-first").fetch_history()
    await Replayer(workflows=[ListenWorkflow]).replay_workflow(history)

    assert first.classified == 14
    assert "refunds" in first.spikes and first.alerts_sent == len(first.spikes)
    assert (second.spikes, second.alerts_sent) == ([], 0)
    assert len(posts) == len(first.spikes)
    refund_post = next(p for p in posts if p.text.startswith("Spike in Refunds"))
    assert "https://winback.example.com/listening" in refund_post.text
    assert "jane.doe@example.com" not in str(refund_post.blocks)
    assert "4111 1111 1111 1111" not in str(refund_post.blocks)
    with sqlite_sessions() as session:
        alert = session.scalars(select(SpikeAlert).where(SpikeAlert.category_id == "refunds")).one()
    assert alert.window_end == DAY and alert.observed >= 12 and alert.expected == pytest.approx(2)
    assert alert.alerted_at is not None


async def test_spike_is_stored_for_the_dashboard_when_slack_is_off(
    temporal_client: Client,
    sqlite_sessions: sessionmaker[Session],
    model_dir: Path,
    tmp_path: Path,
) -> None:
    seed_refund_history(sqlite_sessions)
    settings = Settings(data_dir=tmp_path, slack_bot_token=None)
    registry = live_registry(sqlite_sessions, model_dir, tmp_path)
    async with listening_worker(temporal_client, sqlite_sessions, settings, registry) as queue:
        result = await run_listen(temporal_client, queue, ListenInput(as_of=DAY.isoformat()))
    assert "refunds" in result.spikes
    assert (result.alerts_sent, result.alerts_stored) == (0, len(result.spikes))
    with sqlite_sessions() as session:
        alerts = session.scalars(select(SpikeAlert)).all()
    assert {a.category_id for a in alerts} >= {"refunds"}
    assert all(a.alerted_at is None for a in alerts)


async def test_refused_post_leaves_the_alert_unsent_until_slack_accepts(
    temporal_client: Client,
    sqlite_sessions: sessionmaker[Session],
    model_dir: Path,
    tmp_path: Path,
) -> None:
    seed_refund_history(sqlite_sessions)
    params = ListenInput(as_of=DAY.isoformat())
    with SlackStub() as slack:  # the bot is not in the leaders' channel yet
        settings = Settings(
            data_dir=tmp_path,
            slack_bot_token=SecretStr(BOT_TOKEN),
            slack_base_url=slack.base_url,
            slack_leaders_channel=LEADERS,
        )
        registry = live_registry(sqlite_sessions, model_dir, tmp_path)
        async with listening_worker(temporal_client, sqlite_sessions, settings, registry) as queue:
            refused = await run_listen(temporal_client, queue, params)
            with sqlite_sessions() as session:
                unsent = session.scalars(select(SpikeAlert.alerted_at)).all()
            slack.add_channel(LEADERS)
            accepted = await run_listen(temporal_client, queue, params)
        posts = slack.posts(LEADERS)

    assert refused.classified == 14 and "refunds" in refused.spikes
    assert (refused.alerts_sent, refused.alerts_failed) == (0, len(refused.spikes))
    assert unsent and all(at is None for at in unsent)
    assert accepted.classified == 0 and accepted.spikes == refused.spikes
    assert (accepted.alerts_sent, accepted.alerts_failed) == (len(refused.spikes), 0)
    assert len(posts) == len(refused.spikes)
