"""The encoder route without torch: options, refusals, and CategoryModel around the estimator.

Fine-tuning and serving a real encoder needs torch (tests/extras/test_encoder_route.py); here
the estimator wraps a stand-in whose logits follow keywords, so what is tested is the route's
plumbing: which text reaches the encoder, probabilities, stages, and every clear refusal.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from classifiers.text import CategoryModel, ModelFileError, train_category_model
from classifiers.text.distilled import TrainingExtraMissing
from classifiers.text.encoder_route import ENCODER_DIR, EncoderEstimator
from classifiers.text.model import CARD_FILE, CONFIG_FILE
from classifiers.text.model_card import build_card, card_route
from classifiers.text.teacher_model import TeacherOptions, saved_max_length
from classifiers.text.training import BASE_LEARNING_RATE, TrainingOptions, training_options
from playbooks.taxonomy import load_taxonomy
from winback.cli import build_app

CLASSES = ["card_delivery_and_activation", "payments_and_transfers"]


class KeywordEncoder:
    """Stands in for TeacherClassifier: one logit per class, high when its keyword appears."""

    classes_ = CLASSES

    def __init__(self) -> None:
        self.seen: list[str] = []

    def logits(self, texts: list[str]) -> np.ndarray:
        self.seen += texts
        return np.array([[4.0 * ("card" in t), 4.0 * ("transfer" in t)] for t in texts])


def _encoder_folder(tmp_path: Path, hidden_size: int) -> Path:
    folder = tmp_path / f"encoder-{hidden_size}"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"hidden_size": hidden_size}))
    return folder


def test_the_encoder_estimator_scores_the_raw_text_inside_a_category_model() -> None:
    taxonomy = load_taxonomy()
    encoder = KeywordEncoder()
    model = CategoryModel(EncoderEstimator(encoder), taxonomy.stage_map(), taxonomy.version)  # type: ignore[arg-type]
    first, second, unsure = model.predict(["My CARD hasn't come", "a transfer failed", "hello"])
    assert encoder.seen == ["My CARD hasn't come", "a transfer failed", "hello"]  # not lemmas
    assert model.route == "encoder"
    assert (first.category_id, first.confidence) == (CLASSES[0], 0.5)  # "CARD": no keyword
    assert second.category_id == "payments_and_transfers"
    assert second.confidence == pytest.approx(float(1 / (1 + np.exp(-4.0))), abs=1e-6)
    assert second.stage_id == taxonomy.stage_map()["payments_and_transfers"]
    assert second.alternatives == [("card_delivery_and_activation", pytest.approx(0.017986, 1e-4))]
    assert unsure.confidence == 0.5 and not second.needs_review and not unsure.needs_review
    assert model.predict(["where is my card"])[0].category_id == "card_delivery_and_activation"


def test_options_put_the_encoder_folder_on_the_route_that_fine_tunes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, mini = _encoder_folder(tmp_path, 768), _encoder_folder(tmp_path, 384)
    monkeypatch.chdir(tmp_path)
    served = training_options("encoder", Path(base.name))  # relative: recorded absolute
    assert served.encoder.encoder == base and served.encoder.learning_rate == BASE_LEARNING_RATE
    assert served.distilled == TrainingOptions().distilled  # untouched
    taught = training_options("distilled", mini)
    assert taught.distilled.teacher.encoder == mini
    assert taught.distilled.teacher.learning_rate == TrainingOptions().encoder.learning_rate
    assert training_options("encoder") == TrainingOptions(route="encoder")


def test_options_refuse_a_folder_that_is_no_encoder_or_a_route_that_has_none(
    tmp_path: Path,
) -> None:
    with pytest.raises(ValueError, match=f"{tmp_path}: no config.json"):
        training_options("encoder", tmp_path)
    with pytest.raises(ValueError, match="not linear"):
        training_options("linear", _encoder_folder(tmp_path, 384))
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"broken/config.json: unreadable"):
        training_options("distilled", broken)


def test_the_encoder_route_without_torch_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(TrainingExtraMissing, match=r"the encoder route needs torch.*2\.13\.0"):
        train_category_model(
            ["where is my card"] * 3 + ["send a transfer"] * 3,
            ["card_delivery_and_activation"] * 3 + ["payments_and_transfers"] * 3,
            load_taxonomy(),
            TrainingOptions(route="encoder"),
        )


def test_loading_an_encoder_model_names_missing_files_then_missing_packages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = tmp_path / "m"
    (saved / ENCODER_DIR / "encoder").mkdir(parents=True)
    config = {"route": "encoder", "taxonomy_version": "1", "stage_of": {}, "review_threshold": 0.4}
    (saved / CONFIG_FILE).write_text(json.dumps(config))
    (saved / CARD_FILE).write_text("{}")
    with pytest.raises(ModelFileError, match=f"missing {ENCODER_DIR}/teacher.safetensors"):
        CategoryModel.load(saved)
    (saved / ENCODER_DIR / "teacher.safetensors").write_bytes(b"")
    with pytest.raises(ModelFileError, match=f"missing {ENCODER_DIR}/classes.txt"):
        CategoryModel.load(saved)
    (saved / ENCODER_DIR / "classes.txt").write_text("\n".join(CLASSES))
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(
        ModelFileError, match=r"needs torch(, [a-z]+)* to predict: pip install torch"
    ):
        CategoryModel.load(saved)


def test_cli_train_refuses_a_missing_extra_and_a_misplaced_encoder_before_reading_data(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    base = ["model", "train", "--data", str(tmp_path / "absent.csv")]
    result = cli.invoke(build_app(), [*base, "--encoder", str(_encoder_folder(tmp_path, 384))])
    assert result.exit_code == 2 and "not linear" in result.output
    result = cli.invoke(build_app(), [*base, "--route", "encoder", "--encoder", str(tmp_path)])
    assert result.exit_code == 2 and "no config.json" in result.output
    monkeypatch.setitem(sys.modules, "torch", None)
    result = cli.invoke(build_app(), [*base, "--route", "encoder"])
    assert result.exit_code == 2 and "the encoder route needs torch" in result.output
    assert "absent.csv" not in result.output  # refused before the data was read


def test_cards_name_their_route_and_older_cards_are_linear() -> None:
    assert card_route({"options": {"route": "encoder"}}) == "encoder"
    assert card_route({"options": {"svm_c": 1.0}}) == "linear"  # written before routes
    assert card_route({}) == "linear"


def test_a_saved_encoder_serves_with_its_training_token_limit(tmp_path: Path) -> None:
    assert saved_max_length(tmp_path) == TeacherOptions.max_length  # saved before options.json
    (tmp_path / "options.json").write_text(json.dumps({"max_length": 32, "epochs": 2}))
    assert saved_max_length(tmp_path) == 32
    (tmp_path / "options.json").write_text('{"epochs": 2}')
    with pytest.raises(ModelFileError, match="options.json: no readable max_length"):
        saved_max_length(tmp_path)


def test_a_card_keeps_only_its_own_routes_sub_options() -> None:
    def options_on_card(route: str) -> set[str]:
        card = build_card(["a"], ["b"], "1", TrainingOptions(route=route), None)
        return set(card["options"]) & {"distilled", "encoder"}

    assert options_on_card("linear") == set()
    assert options_on_card("distilled") == {"distilled"}
    assert options_on_card("encoder") == {"encoder"}
