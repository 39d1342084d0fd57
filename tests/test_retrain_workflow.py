"""RetrainWorkflow on the real dev server: a better model goes live, a worse one does not."""

from __future__ import annotations

import csv
import random
import sys
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from activities.retrain import RetrainActivities, read_labelled
from activities.slack_transport import SlackTransport
from classifiers.registry import CATEGORY, ModelRegistry
from playbooks.taxonomy import load_taxonomy
from store.models import FeedbackItem
from tests.support.slack_stub import BOT_TOKEN, SlackStub
from tests.test_listen_activities import add_feedback, bitext_rows
from winback.settings import Settings
from workflows.retrain import (
    LabelledFile,
    RetrainInput,
    RetrainResult,
    RetrainWorkflow,
    TrainRequest,
)

OPS = "#winback-ops"


def write_csv(path: Path, rows: list[tuple[str, str]]) -> LabelledFile:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    return LabelledFile(str(path))


def shuffled_labels(rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    labels = [label for _, label in rows]
    random.Random(0).shuffle(labels)
    return [(text, label) for (text, _), label in zip(rows, labels, strict=True)]


@asynccontextmanager
async def retrain_worker(
    client: Client,
    sessions: sessionmaker[Session],
    registry: ModelRegistry,
    settings: Settings,
    task_queue: str | None = None,
) -> AsyncIterator[str]:
    """A worker for RetrainWorkflow on task_queue (default: a fresh one), yielding the queue."""
    poster = SlackTransport(settings).post_channel if settings.slack_enabled() else None
    retrain = RetrainActivities(sessions, registry, load_taxonomy(), OPS, poster)
    task_queue = task_queue or str(uuid.uuid4())
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[RetrainWorkflow],
        activities=[
            retrain.train_candidate,
            retrain.evaluate,
            retrain.apply_verdict,
            retrain.notify_ops,
        ],
        activity_executor=ThreadPoolExecutor(max_workers=2),
    ):
        yield task_queue


async def run_retrain(client: Client, queue: str, params: RetrainInput) -> RetrainResult:
    return await client.execute_workflow(
        RetrainWorkflow.run, params, id=f"retrain-{uuid.uuid4()}", task_queue=queue
    )


def statuses(registry: ModelRegistry) -> dict[str, str]:
    return {row.version: row.status for row in registry.list(CATEGORY)}


async def test_better_model_is_promoted_and_worse_one_refused(
    temporal_client: Client, sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    gold = write_csv(tmp_path / "gold.csv", bitext_rows("Testing", 10))
    weak = write_csv(tmp_path / "weak.csv", bitext_rows("Training", 3))
    strong = write_csv(tmp_path / "strong.csv", bitext_rows("Training", 25))
    noisy = write_csv(tmp_path / "noisy.csv", shuffled_labels(bitext_rows("Training", 25)))
    registry = ModelRegistry(sqlite_sessions, tmp_path / "models")
    with SlackStub() as slack:
        slack.add_channel(OPS)
        settings = Settings(
            data_dir=tmp_path, slack_bot_token=SecretStr(BOT_TOKEN), slack_base_url=slack.base_url
        )
        async with retrain_worker(temporal_client, sqlite_sessions, registry, settings) as queue:
            first = await run_retrain(temporal_client, queue, RetrainInput(weak, gold))
            better = await run_retrain(temporal_client, queue, RetrainInput(strong, gold))
            worse = await run_retrain(temporal_client, queue, RetrainInput(noisy, gold))
        notes = [message.text for message in slack.posts(OPS)]

    assert (first.status, first.candidate_version, first.live_version) == ("promoted", "v1", None)
    assert (better.status, better.candidate_version, better.live_version) == (
        "promoted",
        "v2",
        "v1",
    )
    assert better.candidate_macro_f1 is not None and better.live_macro_f1 is not None
    assert better.candidate_macro_f1 > better.live_macro_f1
    assert (worse.status, worse.candidate_version, worse.live_version) == ("rejected", "v3", "v2")
    assert worse.candidate_macro_f1 is not None and worse.live_macro_f1 is not None
    assert worse.candidate_macro_f1 < worse.live_macro_f1 - 0.01
    assert statuses(registry) == {"v1": "retired", "v2": "live", "v3": "rejected"}
    assert "worse" in str(registry.get(CATEGORY, "v3").card.get("rejected_because"))
    assert len(notes) == 3
    assert "v2 promoted" in notes[1] and "v3 rejected" in notes[2]


async def test_bad_training_file_never_replaces_the_live_model(
    temporal_client: Client, sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    gold = write_csv(tmp_path / "gold.csv", bitext_rows("Testing", 5))
    good = write_csv(tmp_path / "good.csv", bitext_rows("Training", 6))
    rows = bitext_rows("Training", 6)
    rows[4] = (rows[4][0], "not_a_category")
    bad = write_csv(tmp_path / "bad.csv", rows)
    registry = ModelRegistry(sqlite_sessions, tmp_path / "models")
    settings = Settings(data_dir=tmp_path, slack_bot_token=None)  # ops note goes to the log
    async with retrain_worker(temporal_client, sqlite_sessions, registry, settings) as queue:
        first = await run_retrain(temporal_client, queue, RetrainInput(good, gold))
        failed = await run_retrain(temporal_client, queue, RetrainInput(bad, gold))
        no_gold = LabelledFile(str(tmp_path / "missing-gold.csv"))
        ungraded = await run_retrain(temporal_client, queue, RetrainInput(good, no_gold))

    assert first.status == "promoted"
    assert failed.status == "failed" and failed.candidate_version is None
    assert "bad.csv" in failed.reason and "row 5" in failed.reason and "label" in failed.reason
    assert (ungraded.status, ungraded.candidate_version) == ("failed", "v2")
    assert "missing-gold.csv" in ungraded.reason
    assert statuses(registry) == {"v1": "live", "v2": "rejected"}


def test_missing_column_and_empty_text_name_file_row_and_field(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("utterance,label\nhello,refunds\n", encoding="utf-8")
    with pytest.raises(ApplicationError, match=r"data.csv: field 'text' missing"):
        read_labelled(LabelledFile(str(path)))
    path.write_text("text,label\nhello,refunds\n  ,refunds\n", encoding="utf-8")
    with pytest.raises(ApplicationError, match=r"data.csv: row 2, field text: empty"):
        read_labelled(LabelledFile(str(path)))
    with pytest.raises(ApplicationError, match="cannot read"):
        read_labelled(LabelledFile(str(tmp_path / "absent.csv")))


def test_preset_maps_labels_and_names_an_unmapped_one(tmp_path: Path) -> None:
    path = tmp_path / "bitext.csv"
    path.write_text("text,label\nwhere is my refund,REFUND\nhi,NOPE\n", encoding="utf-8")
    with pytest.raises(ApplicationError, match=r"row 2, field label: 'NOPE'"):
        read_labelled(LabelledFile(str(path), preset="bitext"))


def test_reviewed_labels_are_added_to_the_training_data(
    sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    data = write_csv(tmp_path / "data.csv", bitext_rows("Training", 4))
    ids = add_feedback(sqlite_sessions, ["my refund never came", "cancel the newsletter", "x"])
    with sqlite_sessions() as session, session.begin():
        labels = ["refunds", "marketing_and_offers", "retired_category"]
        for item_id, label in zip(ids, labels, strict=True):
            item = session.get(FeedbackItem, item_id)
            assert item is not None
            item.reviewed_label, item.reviewed_by = label, "ana"
    registry = ModelRegistry(sqlite_sessions, tmp_path / "models")
    retrain = RetrainActivities(sqlite_sessions, registry, load_taxonomy(), OPS, None)

    candidate = retrain.train_candidate(TrainRequest(data))
    plain = retrain.train_candidate(TrainRequest(data, include_reviewed=False))

    assert (candidate.examples, candidate.reviewed_examples) == (22, 2)  # unknown label left out
    assert (plain.examples, plain.reviewed_examples) == (20, 0)
    assert statuses(registry) == {"v1": "candidate", "v2": "candidate"}


def test_a_retried_training_attempt_returns_the_candidate_its_request_registered(
    sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """An attempt whose worker died after registering: the retry must not train or register
    again (it would leave an orphan candidate, and the distilled route trains for hours)."""
    data = write_csv(tmp_path / "data.csv", bitext_rows("Training", 4))
    registry = ModelRegistry(sqlite_sessions, tmp_path / "models")
    retrain = RetrainActivities(sqlite_sessions, registry, load_taxonomy(), OPS, None)

    first = retrain.train_candidate(TrainRequest(data, request_id="retrain-a/run-1"))
    retried = retrain.train_candidate(TrainRequest(data, request_id="retrain-a/run-1"))
    other = retrain.train_candidate(TrainRequest(data, request_id="retrain-b/run-1"))

    assert retried == first and first.version == "v1" and first.examples == 20
    assert other.version == "v2"
    assert statuses(registry) == {"v1": "candidate", "v2": "candidate"}
    assert registry.get(CATEGORY, "v1").card["training_request"] == "retrain-a/run-1"


async def test_an_unknown_route_encoder_folder_or_missing_extra_fails_the_run_without_retries(
    temporal_client: Client,
    sqlite_sessions: sessionmaker[Session],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gold = write_csv(tmp_path / "gold.csv", bitext_rows("Testing", 5))
    data = write_csv(tmp_path / "data.csv", bitext_rows("Training", 6))
    registry = ModelRegistry(sqlite_sessions, tmp_path / "models")
    settings = Settings(data_dir=tmp_path, slack_bot_token=None)
    monkeypatch.setitem(sys.modules, "torch", None)  # the worker has no embeddings-train extra
    not_an_encoder = str(tmp_path)  # a folder without config.json
    async with retrain_worker(temporal_client, sqlite_sessions, registry, settings) as queue:
        unknown = await run_retrain(temporal_client, queue, RetrainInput(data, gold, route="deep"))
        distilled = RetrainInput(data, gold, route="distilled")
        no_extra = await run_retrain(temporal_client, queue, distilled)
        encoder = RetrainInput(data, gold, route="encoder")
        no_extra_encoder = await run_retrain(temporal_client, queue, encoder)
        wrong_folder = RetrainInput(data, gold, route="encoder", encoder=not_an_encoder)
        bad_folder = await run_retrain(temporal_client, queue, wrong_folder)
    assert unknown.status == "failed" and "unknown route 'deep'" in unknown.reason
    assert no_extra.status == "failed" and "embeddings-train extra" in no_extra.reason
    assert no_extra_encoder.status == "failed"
    assert "the encoder route needs torch" in no_extra_encoder.reason
    assert bad_folder.status == "failed"
    assert f"{not_an_encoder}: no config.json" in bad_folder.reason
    assert registry.list(CATEGORY) == []  # nothing registered, nothing promoted
