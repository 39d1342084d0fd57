"""The category model: trains on a small BANKING77 slice, predicts categories with stages,
saves and reloads to identical predictions, and handles bad input as documented."""

from __future__ import annotations

import csv
import time
from collections import defaultdict
from pathlib import Path

import pytest
import skops.io as sio

from classifiers.text import (
    MAX_TEXT_CHARS,
    CategoryModel,
    ModelFileError,
    TrainingDataError,
    train_category_model,
)
from classifiers.text.data import DataFileError, read_labelled_csv
from classifiers.text.model import MODEL_FILE
from playbooks.taxonomy import Taxonomy, parse_taxonomy

BANKING77 = Path(__file__).parents[1] / "winback" / "sample_data" / "banking77" / "train.csv"
INTENTS = 20
PER_INTENT = 40  # 30 to train, 10 to test


def _slice() -> dict[str, list[str]]:
    by_intent: dict[str, list[str]] = defaultdict(list)
    with BANKING77.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["category"].islower() and row["category"].replace("_", "").isalpha():
                by_intent[row["category"]].append(row["text"])
    chosen = sorted(by_intent)[:INTENTS]
    return {intent: by_intent[intent][:PER_INTENT] for intent in chosen}


def _taxonomy(intents: list[str]) -> Taxonomy:
    half = len(intents) // 2
    stage = lambda sid, cats: {  # noqa: E731
        "id": sid,
        "name": sid,
        "company_alias": sid.title(),
        "categories": [{"id": c, "name": c} for c in cats],
    }
    return parse_taxonomy(
        {
            "version": "t1",
            "stages": [stage("usage", intents[:half]), stage("renewal", intents[half:])],
        }
    )


@pytest.fixture(scope="module")
def data() -> dict[str, list[str]]:
    return _slice()


@pytest.fixture(scope="module")
def taxonomy(data: dict[str, list[str]]) -> Taxonomy:
    return _taxonomy(sorted(data))


@pytest.fixture(scope="module")
def split(data: dict[str, list[str]]) -> tuple[list[str], list[str], list[str], list[str]]:
    train_x, train_y, test_x, test_y = [], [], [], []
    for intent, texts in data.items():
        train_x += texts[:30]
        train_y += [intent] * 30
        test_x += texts[30:]
        test_y += [intent] * len(texts[30:])
    return train_x, train_y, test_x, test_y


@pytest.fixture(scope="module")
def model(split: tuple[list[str], ...], taxonomy: Taxonomy) -> CategoryModel:
    train_x, train_y, _, _ = split
    return train_category_model(train_x, train_y, taxonomy)


def test_predictions_carry_stage_confidence_and_alternatives(
    model: CategoryModel, split: tuple[list[str], ...], taxonomy: Taxonomy
) -> None:
    _, _, test_x, test_y = split
    predictions = model.predict(test_x)
    accuracy = sum(p.category_id == y for p, y in zip(predictions, test_y, strict=True)) / len(
        test_y
    )
    assert accuracy > 0.75, accuracy  # 20 intents, 30 examples each; chance is 0.05
    for prediction in predictions:
        assert prediction.stage_id == taxonomy.stage_of(prediction.category_id)
        scores = [prediction.confidence] + [score for _, score in prediction.alternatives]
        assert len(prediction.alternatives) == 3
        assert scores == sorted(scores, reverse=True)
        assert prediction.category_id not in [c for c, _ in prediction.alternatives]
        assert 0.0 < sum(scores) <= 1.0 + 1e-6
    card = model.card
    assert card["taxonomy_version"] == "t1" and card["training_rows"] == 600
    assert len(card["training_data_sha256"]) == 64 and "scikit-learn" in card["libraries"]
    assert set(card["evaluation"]["per_category"]) == set(taxonomy.category_ids)


def test_save_load_round_trip_gives_identical_predictions(
    model: CategoryModel, split: tuple[list[str], ...], tmp_path: Path
) -> None:
    _, _, test_x, _ = split
    model.save(tmp_path / "m")
    loaded = CategoryModel.load(tmp_path / "m")
    assert loaded.predict(test_x) == model.predict(test_x)
    assert loaded.card == model.card and loaded.taxonomy_version == "t1"
    assert not list((tmp_path / "m").glob("*.pkl"))


def test_load_refuses_missing_files_and_untrusted_types(
    model: CategoryModel, tmp_path: Path
) -> None:
    model.save(tmp_path / "m")
    (tmp_path / "m" / "model_card.json").unlink()
    with pytest.raises(ModelFileError, match="missing model_card.json"):
        CategoryModel.load(tmp_path / "m")
    model.save(tmp_path / "evil")
    sio.dump({"payload": Path("/etc/passwd")}, tmp_path / "evil" / MODEL_FILE)
    with pytest.raises(ModelFileError, match="untrusted types"):
        CategoryModel.load(tmp_path / "evil")


def test_empty_foreign_and_huge_texts_are_classified_but_flagged(model: CategoryModel) -> None:
    huge = "my card has not arrived " * 50_000  # ~1.2 MB
    start = time.perf_counter()
    empty, foreign, big = model.predict(["", "私のカードはまだ届いていません", huge])
    assert time.perf_counter() - start < 5
    assert empty.needs_review and foreign.needs_review
    assert big.category_id and len(huge) > MAX_TEXT_CHARS


def test_labels_outside_taxonomy_and_thin_categories_are_refused(
    split: tuple[list[str], ...], taxonomy: Taxonomy
) -> None:
    train_x, train_y, _, _ = split
    with pytest.raises(
        TrainingDataError, match=r"row 3, field label: 'nonsense' is not a category"
    ):
        train_category_model(train_x[:5], train_y[:2] + ["nonsense"] + train_y[3:5], taxonomy)
    with pytest.raises(TrainingDataError, match="row 2, field text: empty text"):
        train_category_model(["ok", "  "], train_y[:2], taxonomy)
    with pytest.raises(TrainingDataError, match="has 2 example"):
        train_category_model(train_x[:32], train_y[:32], taxonomy)


def test_data_files_fail_with_file_row_and_field(tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("text,label\nfine,refunds\ncaf\xe9 refund,refunds\n".encode("latin-1"))
    with pytest.raises(DataFileError, match=r"latin1.csv: line 3 is not UTF-8 \(byte 0xe9\)"):
        read_labelled_csv(latin1, "text", "label")
    good = tmp_path / "good.csv"
    good.write_text("text,label\nhello,card_arrival\n,card_arrival\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="good.csv: no column 'body'"):
        read_labelled_csv(good, "body", "label")
    with pytest.raises(DataFileError, match="good.csv: row 2, field text: empty text"):
        read_labelled_csv(good, "text", "label")
    mapped = tmp_path / "mapped.csv"
    mapped.write_text(
        "text,intent\nwhere is my card,card_arrival\nhi,not_an_intent\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match="row 2, field intent: 'not_an_intent' is not in preset"):
        read_labelled_csv(mapped, "text", "intent", preset="banking77")


def test_rare_category_still_gets_a_holdout_score(
    split: tuple[list[str], ...], taxonomy: Taxonomy
) -> None:
    train_x, train_y, _, _ = split
    texts, labels = train_x[:90] + train_x[90:93], train_y[:90] + train_y[90:93]  # 30, 30, 30, 3
    model = train_category_model(texts, labels, taxonomy)
    evaluation = model.card["evaluation"]
    assert evaluation is not None and evaluation["n"] == round(93 * 0.2)
    assert set(evaluation["per_category"]) <= set(labels)
