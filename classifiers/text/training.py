"""Train a category model on labelled texts: validate them, fit, score a holdout, refit on all.

Labels must be taxonomy category ids (apply a preset from classifiers.presets first when the
data uses another label set). Bad rows raise TrainingDataError naming the row and field.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sklearn.calibration import CalibratedClassifierCV
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from classifiers.text.distilled import DistilledOptions, fit_distilled
from classifiers.text.encoder_route import fit_encoder
from classifiers.text.evaluation import EvaluationReport, evaluate_predictions
from classifiers.text.features import build_features, text_views
from classifiers.text.model import (
    DEFAULT_REVIEW_THRESHOLD,
    DISTILLED,
    ENCODER,
    LINEAR,
    CategoryModel,
)
from classifiers.text.model_card import LINEAR_DESCRIPTION, build_card
from classifiers.text.teacher_model import TeacherOptions
from playbooks.taxonomy import Taxonomy

MIN_EXAMPLES_PER_CATEGORY = 3  # the calibration's 3-fold split needs one per fold


class TrainingDataError(ValueError):
    """Training data that cannot make a model; the message names the row and field."""


ROUTES = (LINEAR, DISTILLED, ENCODER)


@dataclass(frozen=True)
class TrainingOptions:
    svm_c: float = 1.0
    calibration_folds: int = 3
    holdout_share: float = 0.2  # scored for the model card, then refit on everything
    review_threshold: float = DEFAULT_REVIEW_THRESHOLD
    random_state: int = 0
    route: str = LINEAR  # DISTILLED and ENCODER need the embeddings-train extra to train
    distilled: DistilledOptions = field(default_factory=DistilledOptions)
    encoder: TeacherOptions = field(default_factory=TeacherOptions)  # the ENCODER route's

    def __post_init__(self) -> None:
        if self.route not in ROUTES:
            raise ValueError(f"unknown route {self.route!r}; use one of: {', '.join(ROUTES)}")


# Base-size encoders (all-mpnet-base-v2: 768 wide) fine-tune at the usual 5e-5, as the 94.2%
# mpnet teacher of docs/models.md did; MiniLM's 1e-4 is for its 384-wide layers.
BASE_HIDDEN_SIZE, BASE_LEARNING_RATE = 768, 5e-5


def _hidden_size(encoder: Path) -> int:
    try:
        config = json.loads((encoder / "config.json").read_text(encoding="utf-8"))
        return int(config.get("hidden_size", 0))
    except (OSError, ValueError, TypeError) as exc:
        raise ValueError(f"{encoder / 'config.json'}: unreadable ({exc})") from None


def training_options(route: str = LINEAR, encoder: Path | None = None) -> TrainingOptions:
    """Options for a route, with `encoder` (a sentence-encoder folder, e.g. all-mpnet-base-v2)
    fine-tuned instead of the shipped MiniLM; ValueError names a wrong route or folder."""
    options = TrainingOptions(route=route)
    if encoder is None:
        return options
    if route == LINEAR:
        raise ValueError("an encoder folder is for the distilled and encoder routes, not linear")
    if not (encoder / "config.json").is_file():
        raise ValueError(f"{encoder}: no config.json; not a sentence-encoder folder")
    base = options.encoder if route == ENCODER else options.distilled.teacher
    teacher = replace(base, encoder=encoder.resolve())  # the card names it exactly
    if _hidden_size(encoder) >= BASE_HIDDEN_SIZE:
        teacher = replace(teacher, learning_rate=BASE_LEARNING_RATE)
    if route == ENCODER:
        return replace(options, encoder=teacher)
    return replace(options, distilled=replace(options.distilled, teacher=teacher))


def build_estimator(options: TrainingOptions | None = None, folds: int | None = None) -> Pipeline:
    """TF-IDF word+char features into a LinearSVC calibrated by sigmoid on held-out folds.

    ensemble=False keeps one SVC (fit on all rows) so prediction costs one linear model.
    """
    options = options or TrainingOptions()
    classifier = CalibratedClassifierCV(
        LinearSVC(C=options.svm_c), cv=folds or options.calibration_folds, ensemble=False
    )
    return Pipeline([("features", build_features()), ("classifier", classifier)])


Progress = Callable[[str], object]


def no_progress(message: str) -> None:
    """The default progress sink: training says nothing unless asked."""


def fit_estimator(
    texts: Sequence[str],
    labels: Sequence[str],
    options: TrainingOptions,
    folds: int | None = None,
    progress: Progress = no_progress,
) -> Any:
    """The route's estimator fitted on texts; predict_proba(text_views(texts)) scores them."""
    if options.route == DISTILLED:
        return fit_distilled(texts, labels, options.distilled, progress)
    if options.route == ENCODER:
        return fit_encoder(texts, labels, options.encoder, progress)
    return build_estimator(options, folds).fit(text_views(texts), labels)


def check_training_data(
    texts: Sequence[str], labels: Sequence[str], taxonomy: Taxonomy, source: str = "data"
) -> None:
    """Raise TrainingDataError for empty texts, unknown labels or too few examples."""
    if len(texts) != len(labels):
        raise TrainingDataError(f"{source}: {len(texts)} texts but {len(labels)} labels")
    known = set(taxonomy.category_ids)
    for row, (text, label) in enumerate(zip(texts, labels, strict=True), start=1):
        if not isinstance(text, str) or not text.strip():
            raise TrainingDataError(f"{source}: row {row}, field text: empty text")
        if label not in known:
            raise TrainingDataError(
                f"{source}: row {row}, field label: {label!r} is not a category of taxonomy "
                f"{taxonomy.version} (use a --preset or map it first)"
            )
    counts = Counter(labels)
    if len(counts) < 2:
        raise TrainingDataError(f"{source}: needs at least 2 categories, found {len(counts)}")
    for label, count in sorted(counts.items()):
        if count < MIN_EXAMPLES_PER_CATEGORY:
            raise TrainingDataError(
                f"{source}: field label: category {label!r} has {count} example(s); "
                f"at least {MIN_EXAMPLES_PER_CATEGORY} are needed"
            )


def train_category_model(
    texts: Sequence[str],
    labels: Sequence[str],
    taxonomy: Taxonomy,
    options: TrainingOptions | None = None,
    source: str = "data",
    progress: Progress = no_progress,
) -> CategoryModel:
    """A fitted CategoryModel whose card holds holdout scores, data hash and versions.

    progress hears each phase (and, on the distilled and encoder routes, the encoder's steps); the
    retraining activity turns these notes into Temporal heartbeats.
    """
    options = options or TrainingOptions()
    texts, labels = list(texts), list(labels)
    check_training_data(texts, labels, taxonomy, source)
    progress(f"{options.route} route: holdout model for the card ({len(texts)} rows checked)")
    evaluation = _holdout_evaluation(texts, labels, options, progress)
    progress(f"{options.route} route: fitting on all {len(texts)} rows")
    estimator = fit_estimator(texts, labels, options, progress=progress)
    stage_of = taxonomy.stage_map()
    card = build_card(
        texts,
        labels,
        taxonomy.version,
        options,
        evaluation,
        getattr(estimator, "description", LINEAR_DESCRIPTION),
    )
    return CategoryModel(
        estimator,
        stage_of={label: stage_of[label] for label in stage_of},
        taxonomy_version=taxonomy.version,
        card=card,
        review_threshold=options.review_threshold,
    )


def _holdout_evaluation(
    texts: list[str], labels: list[str], options: TrainingOptions, progress: Progress = no_progress
) -> EvaluationReport | None:
    """Scores on a stratified holdout, or None when the data is too small to hold any out.

    Rare categories keep at least 2 training rows, so calibration uses 2 folds when needed.
    """
    counts = Counter(labels)
    held = round(len(labels) * options.holdout_share)
    if options.holdout_share <= 0 or held < len(counts) or len(labels) - held < 2 * len(counts):
        return None
    fit_texts, held_texts, fit_labels, held_labels = train_test_split(
        texts,
        labels,
        test_size=held,
        stratify=labels,
        random_state=options.random_state,
    )
    folds = min(options.calibration_folds, min(Counter(fit_labels).values()))
    if folds < 2:
        return None
    model = fit_estimator(fit_texts, fit_labels, options, folds, progress)
    predicted = [str(label) for label in model.predict(text_views(held_texts))]
    return evaluate_predictions(held_labels, predicted, method="holdout")
