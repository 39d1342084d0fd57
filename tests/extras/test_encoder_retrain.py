"""RetrainWorkflow on the dev server with route "encoder" and an explicit encoder folder.

The worker fine-tunes the shipped MiniLM (given as a folder, as an operator would give
all-mpnet-base-v2) on a five-category BANKING77 slice, scores it on held-out texts, promotes
it over no live model, and the registry then serves it.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from classifiers.registry import CATEGORY, ModelRegistry
from classifiers.text.teacher_model import encoder_path
from tests.support.banking77_slice import banking77_slice
from tests.test_retrain_workflow import retrain_worker, run_retrain, write_csv
from winback.settings import Settings
from workflows.retrain import RetrainInput


async def test_an_encoder_route_retrain_promotes_a_served_encoder(
    temporal_client: Client, sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    train_x, train_y, test_x, test_y = banking77_slice()
    data = write_csv(tmp_path / "train.csv", list(zip(train_x, train_y, strict=True)))
    gold = write_csv(tmp_path / "gold.csv", list(zip(test_x, test_y, strict=True)))
    registry = ModelRegistry(sqlite_sessions, tmp_path / "models")
    settings = Settings(data_dir=tmp_path, slack_bot_token=None)
    params = RetrainInput(data, gold, route="encoder", encoder=str(encoder_path()))
    async with retrain_worker(temporal_client, sqlite_sessions, registry, settings) as queue:
        result = await run_retrain(temporal_client, queue, params)

    assert (result.status, result.candidate_version) == ("promoted", "v1"), result.reason
    card = registry.get(CATEGORY, "v1").card
    assert card["options"]["route"] == "encoder"
    assert card["options"]["encoder"]["encoder"] == str(encoder_path())
    live = registry.load_live_category_model()
    assert live is not None and live.route == "encoder"
    accuracy = sum(p == t for p, t in zip(live.predict_labels(test_x), test_y, strict=True))
    assert accuracy / len(test_y) >= 0.7  # 5 categories: chance is 0.2
