"""The distilled route inside CategoryModel: predict, save, load, register, refuse; no torch.

The student here gets its linear layer from scikit-learn instead of a teacher (training the
real route needs torch: tests/extras/test_distilled_route.py), so what is tested is everything
the product does with a distilled model once it exists.
"""

from __future__ import annotations

import csv
import json
import operator
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import FunctionTransformer
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from classifiers.presets import map_labels
from classifiers.registry import CATEGORY, ModelRegistry
from classifiers.text import CategoryModel, ModelFileError, train_category_model
from classifiers.text.distilled import STUDENT_DIR, StudentEstimator, TrainingExtraMissing
from classifiers.text.model import CONFIG_FILE, MODEL_FILE
from classifiers.text.model_card import build_card
from classifiers.text.static_embeddings import StaticEmbedder
from classifiers.text.teacher_student import SoftLinearStudent
from classifiers.text.training import TrainingOptions
from playbooks.taxonomy import load_taxonomy
from tests.support.tiny_tokenizer import word_tokenizer
from winback.cli import build_app

BANKING77 = Path(__file__).parents[1] / "winback" / "sample_data" / "banking77" / "train.csv"
PER_INTENT = 12
QUERIES = ["where is my new card", "my transfer has not arrived", "how do I verify my identity"]


def _rows() -> tuple[list[str], list[str]]:
    by_intent: dict[str, list[str]] = defaultdict(list)
    with BANKING77.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            by_intent[row["category"]].append(row["text"])
    texts, intents = [], []
    for intent in sorted(by_intent)[:30]:
        texts += by_intent[intent][:PER_INTENT]
        intents += [intent] * PER_INTENT
    return texts, map_labels(intents, "banking77")


@pytest.fixture(scope="module")
def distilled_model() -> CategoryModel:
    texts, labels = _rows()
    rng = np.random.default_rng(0)
    tokenizer = word_tokenizer(texts)
    vectors = rng.normal(size=(tokenizer.get_vocab_size(), 16)).astype(np.float32)
    student = SoftLinearStudent(StaticEmbedder(tokenizer, vectors))
    matrix = student.features.fit_transform(texts)
    fitted = LogisticRegression(C=10, max_iter=2000).fit(matrix, labels)
    student.classes_ = [str(c) for c in fitted.classes_]
    student.coef_ = fitted.coef_.T.astype(np.float32)
    student.intercept_ = fitted.intercept_.astype(np.float32)
    taxonomy = load_taxonomy()
    card = build_card(texts, labels, taxonomy.version, TrainingOptions(), None, "test student")
    return CategoryModel(StudentEstimator(student), taxonomy.stage_map(), taxonomy.version, card)


def test_a_distilled_model_predicts_taxonomy_categories_with_stages_and_alternatives(
    distilled_model: CategoryModel,
) -> None:
    texts, labels = _rows()
    predictions = distilled_model.predict(texts[:60])
    hits = sum(p.category_id == label for p, label in zip(predictions, labels[:60], strict=True))
    assert hits >= 50  # fitted on these rows
    stage_of = load_taxonomy().stage_map()
    for prediction in predictions:
        assert prediction.stage_id == stage_of[prediction.category_id]
        assert len(prediction.alternatives) == 3
        assert prediction.confidence >= max(p for _, p in prediction.alternatives)
        assert 0 < prediction.confidence <= 1


def test_a_distilled_model_round_trips_to_identical_predictions_without_a_skops_pipeline(
    distilled_model: CategoryModel, tmp_path: Path
) -> None:
    saved = distilled_model.save(tmp_path / "m")
    assert json.loads((saved / CONFIG_FILE).read_text())["route"] == "distilled"
    assert not (saved / MODEL_FILE).exists() and (saved / STUDENT_DIR / "weights.npz").is_file()
    loaded = CategoryModel.load(saved)
    assert loaded.route == "distilled"
    assert loaded.predict(QUERIES) == distilled_model.predict(QUERIES)
    assert json.loads((saved / "model_card.json").read_text())["model"] == "test student"


def test_the_registry_promotes_and_loads_a_distilled_model(
    distilled_model: CategoryModel, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    saved = distilled_model.save(tmp_path / "m")
    registry = ModelRegistry(sessions, tmp_path / "models")
    version = registry.register(CATEGORY, saved, distilled_model.card)
    registry.promote(CATEGORY, version)
    live = registry.load_live_category_model()
    assert live is not None and live.version == version and live.route == "distilled"
    assert live.predict(QUERIES) == distilled_model.predict(QUERIES)


def test_untrusted_student_features_and_unknown_routes_are_refused(
    distilled_model: CategoryModel, tmp_path: Path
) -> None:
    saved = distilled_model.save(tmp_path / "m")
    sio.dump(FunctionTransformer(operator.neg), saved / STUDENT_DIR / "features.skops")
    with pytest.raises(ModelFileError, match="untrusted types"):
        CategoryModel.load(saved)
    config = json.loads((saved / CONFIG_FILE).read_text())
    (saved / CONFIG_FILE).write_text(json.dumps({**config, "route": "quantum"}))
    with pytest.raises(ModelFileError, match="unknown route 'quantum'"):
        CategoryModel.load(saved)
    (saved / CONFIG_FILE).write_text(json.dumps(config))
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sys.modules, "tokenizers", None)
        with pytest.raises(ModelFileError, match=r"needs the tokenizers package.*\[embeddings\]"):
            CategoryModel.load(saved)
    (saved / CONFIG_FILE).write_text(json.dumps({k: v for k, v in config.items() if k != "route"}))
    with pytest.raises(ModelFileError, match=f"missing {MODEL_FILE}"):  # no route: linear
        CategoryModel.load(saved)


def test_the_distilled_route_without_torch_says_what_to_install_before_any_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    texts, labels = _rows()
    with pytest.raises(TrainingExtraMissing, match=r"needs torch.*pip install torch==2\.13\.0"):
        train_category_model(texts, labels, load_taxonomy(), TrainingOptions(route="distilled"))
    with pytest.raises(ValueError, match="unknown route 'deep'"):
        TrainingOptions(route="deep")


def test_cli_train_refuses_an_unknown_route_and_a_missing_extra(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    data = tmp_path / "train.csv"
    data.write_text("text,label\nwhere is my card,card_delivery_and_activation\n")
    base = ["model", "train", "--data", str(data)]
    result = cli.invoke(build_app(), [*base, "--route", "deep"])
    assert result.exit_code == 2 and "unknown --route 'deep'" in result.output
    monkeypatch.setitem(sys.modules, "torch", None)
    result = cli.invoke(build_app(), [*base, "--route", "distilled"])
    assert result.exit_code == 2 and "embeddings-train extra" in result.output
    assert "registered" not in result.output
