"""The model registry and `winback model ...`: candidates, promote, rollback, evaluate, shadow.

Registry tests run on SQLite and PostgreSQL; the CLI runs end to end on SQLite.
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sklearn.metrics import classification_report
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from classifiers.registry import CATEGORY, ModelRegistry, RegistryError
from classifiers.text import CategoryModel, ModelFileError, train_category_model
from classifiers.text.data import read_labelled_csv
from classifiers.text.model import MODEL_FILE
from playbooks.taxonomy import load_taxonomy
from store.models import FeedbackItem
from winback.cli import build_app
from winback.runtime import open_runtime

BANKING77 = Path(__file__).parents[1] / "winback" / "sample_data" / "banking77" / "train.csv"


def _write_slice(path: Path, intents: int, per_intent: int, skip: int = 0) -> Path:
    by_intent: dict[str, list[str]] = defaultdict(list)
    with BANKING77.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            by_intent[row["category"]].append(row["text"])
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "category"])
        for intent in sorted(by_intent)[:intents]:
            for text in by_intent[intent][skip : skip + per_intent]:
                writer.writerow([text, intent])
    return path


@pytest.fixture(scope="module")
def small_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = _write_slice(tmp_path_factory.mktemp("data") / "train.csv", 20, 15)
    rows = read_labelled_csv(path, "text", "category", preset="banking77")
    model = train_category_model(rows.texts, rows.labels, load_taxonomy())
    return model.save(tmp_path_factory.mktemp("model") / "m")


def test_registry_promote_and_rollback(
    sessions: sessionmaker[Session], small_model: Path, tmp_path: Path
) -> None:
    registry = ModelRegistry(sessions, tmp_path / "models")
    card = json.loads((small_model / "model_card.json").read_text())
    assert registry.register(CATEGORY, small_model, card) == "v1"
    assert registry.register(CATEGORY, small_model, card) == "v2"
    assert registry.live(CATEGORY) is None and registry.load_live_category_model() is None
    assert (tmp_path / "models" / "category" / "v2" / MODEL_FILE).is_file()

    registry.promote(CATEGORY, "v1")
    registry.promote(CATEGORY, "v2")
    statuses = {row.version: row.status for row in registry.list(CATEGORY)}
    assert statuses == {"v1": "retired", "v2": "live"}
    live = registry.load_live_category_model()
    assert live is not None and live.version == "v2"
    original = CategoryModel.load(small_model)
    assert live.predict(["where is my card"]) == original.predict(["where is my card"])

    assert registry.rollback(CATEGORY).version == "v1"
    assert {r.version: r.status for r in registry.list()} == {"v1": "live", "v2": "rejected"}
    with pytest.raises(RegistryError, match="nothing to roll back to"):
        registry.rollback(CATEGORY)
    with pytest.raises(RegistryError, match="no category model version 'v9'"):
        registry.promote(CATEGORY, "v9")

    version = registry.register(CATEGORY, small_model, card)
    (tmp_path / "models" / "category" / version / MODEL_FILE).unlink()
    with pytest.raises(ModelFileError):
        registry.promote(CATEGORY, version)
    assert registry.live(CATEGORY).version == "v1"  # type: ignore[union-attr]


def _run(runner: CliRunner, *args: str, code: int = 0) -> str:
    result = runner.invoke(build_app(), list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_cli_train_evaluate_promote_shadow_rollback(cli: CliRunner, tmp_path: Path) -> None:
    train = _write_slice(tmp_path / "train.csv", 24, 15)
    test = _write_slice(tmp_path / "test.csv", 24, 10, skip=15)
    bad = tmp_path / "bad.csv"
    bad.write_text("text,category\nwhere is my card,card_arrival\n", encoding="utf-8")
    args = ["--text-col", "text", "--label-col", "category"]

    out = _run(cli, "model", "train", "--data", str(train), *args, "--preset", "banking77")
    assert "registered category model v1 (candidate) from 360 rows" in out
    assert re.search(r"\[\d\d:\d\d\] linear route: fitting on all 360 rows", out), out
    out = _run(cli, "model", "train", "--data", str(bad), *args, code=2)
    assert "row 1, field label: 'card_arrival' is not a category" in out
    _run(cli, "model", "evaluate", "--data", str(test), *args, code=2)  # nothing live yet
    _run(cli, "model", "promote", "v1")
    listed = _run(cli, "model", "list")
    assert "v1" in listed and "v2" not in listed
    assert re.search(r"│ category │ v1\s+│ live\s+│ linear\s+│", listed), listed

    report_dir = tmp_path / "report"
    out = _run(
        cli, "model", "evaluate", "--data", str(test), *args, "--preset", "banking77",
        "--out", str(report_dir),
    )  # fmt: skip
    report = json.loads((report_dir / "report.json").read_text())
    rows = read_labelled_csv(test, "text", "category", preset="banking77")
    model = CategoryModel.load(tmp_path / "state" / "models" / "category" / "v1")
    expected = classification_report(
        rows.labels, model.predict_labels(rows.texts), output_dict=True, zero_division=0
    )
    assert report["accuracy"] == pytest.approx(expected["accuracy"], abs=1e-12)
    assert report["macro_f1"] == pytest.approx(expected["macro avg"]["f1-score"], abs=1e-12)
    for label, score in report["per_category"].items():
        assert score["precision"] == pytest.approx(expected[label]["precision"], abs=1e-12)
        assert score["recall"] == pytest.approx(expected[label]["recall"], abs=1e-12)
        assert score["f1"] == pytest.approx(expected[label]["f1-score"], abs=1e-12)
        assert score["support"] == expected[label]["support"]
    assert f"{expected['accuracy']:.4f} of {len(rows.texts)}" in out
    assert list(report_dir.glob("confusion.*"))

    _run(cli, "model", "train", "--data", str(test), *args, "--preset", "banking77")
    assert "no feedback items" in _run(cli, "model", "shadow", "--candidate", "v2")
    with open_runtime().sessions() as session, session.begin():
        for n, text in enumerate(rows.texts[:40]):
            session.add(
                FeedbackItem(
                    external_id=f"s{n}", source="ticket", text=text,
                    occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
                )
            )  # fmt: skip
    out = _run(cli, "model", "shadow", "--candidate", "v2")
    assert "shadow v2 vs live v1: 40 items, agreement 0." in out or "agreement 1.0000" in out

    _run(cli, "model", "rollback", code=2)
    _run(cli, "model", "promote", "v2")
    assert "category model v1 is live" in _run(cli, "model", "rollback")
