"""The category model: a fitted estimator plus the taxonomy it speaks, saved without pickle.

The estimator is the linear route's sklearn pipeline (saved with skops, trusted types only),
the distilled route's student (classifiers.text.distilled: skops features, npz weights) or the
encoder route's fine-tuned encoder (classifiers.text.encoder_route: safetensors).

Each prediction carries the category, its journey stage (from the taxonomy), a calibrated
confidence and up to three runner-up categories. Texts that are empty, mostly non-Latin script
(likely not English) or below the review threshold are still classified but flagged
`needs_review`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.skops_io import load_trusted, skops_io
from classifiers.text.fast_features import predict_proba
from classifiers.text.features import latin_share, text_views

MODEL_FILE = "model.skops"
CONFIG_FILE = "model.json"
CARD_FILE = "model_card.json"
DEFAULT_REVIEW_THRESHOLD = 0.4
MIN_LATIN_SHARE = 0.5
ALTERNATIVES = 3
LINEAR = "linear"  # the routes a saved model.json can name
DISTILLED = "distilled"
ENCODER = "encoder"

# Everything a saved category model may contain; loading refuses any other type.
TRUSTED_TYPES = [
    "builtins.slice",
    "numpy.dtype",
    "numpy.float64",
    "numpy.int64",
    "numpy.ndarray",
    "scipy.sparse._csr.csr_matrix",
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.compose._column_transformer.ColumnTransformer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.pipeline.Pipeline",
    "sklearn.svm._classes.LinearSVC",
]


class ModelFileError(ValueError):
    """A model directory that is missing files or holds types we do not trust."""


def _load_pipeline(directory: Path) -> Any:
    """The linear route's sklearn pipeline from model.skops, trusted types only."""
    if not (directory / MODEL_FILE).is_file():
        raise ModelFileError(f"{directory}: missing {MODEL_FILE}")
    return load_trusted(directory / MODEL_FILE, TRUSTED_TYPES, ModelFileError)


@dataclass(frozen=True)
class Prediction:
    category_id: str
    stage_id: str
    confidence: float
    alternatives: list[tuple[str, float]] = field(default_factory=list)
    needs_review: bool = False


class CategoryModel:
    """Classifies feedback text into taxonomy categories; see `train_category_model`."""

    def __init__(
        self,
        estimator: Any,
        stage_of: dict[str, str],
        taxonomy_version: str,
        card: dict[str, Any] | None = None,
        review_threshold: float = DEFAULT_REVIEW_THRESHOLD,
    ) -> None:
        self.estimator = estimator
        self.stage_of = dict(stage_of)
        self.taxonomy_version = taxonomy_version
        self.card: dict[str, Any] = card or {}
        self.review_threshold = review_threshold
        self.version: str | None = None  # set by the registry when loaded from it

    @property
    def classes(self) -> list[str]:
        return [str(label) for label in self.estimator.classes_]

    def predict_labels(self, texts: Sequence[str]) -> list[str]:
        """Just the category ids, in order."""
        return [prediction.category_id for prediction in self.predict(texts)]

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """One Prediction per text, in order."""
        if not texts:
            return []
        probabilities = predict_proba(self.estimator, text_views(texts))
        classes = self.classes
        predictions = []
        for text, row in zip(texts, probabilities, strict=True):
            order = np.argsort(-row, kind="stable")[: ALTERNATIVES + 1]
            best = classes[order[0]]
            confidence = float(row[order[0]])
            unusual = not text.strip() or latin_share(text) < MIN_LATIN_SHARE
            predictions.append(
                Prediction(
                    category_id=best,
                    stage_id=self.stage_of[best],
                    confidence=round(confidence, 6),
                    alternatives=[(classes[i], round(float(row[i]), 6)) for i in order[1:]],
                    needs_review=unusual or confidence < self.review_threshold,
                )
            )
        return predictions

    @property
    def route(self) -> str:
        """`linear` (the skops pipeline), `distilled` or `encoder` (their own modules)."""
        return str(getattr(self.estimator, "route", LINEAR))

    def save(self, directory: Path) -> Path:
        """Write the estimator (model.skops, or the route's own folder), model.json
        and model_card.json into directory (made if needed)."""
        directory.mkdir(parents=True, exist_ok=True)
        if self.route == LINEAR:
            skops_io().dump(self.estimator, directory / MODEL_FILE)
        else:
            self.estimator.save(directory)
        config = {
            "route": self.route,
            "taxonomy_version": self.taxonomy_version,
            "stage_of": self.stage_of,
            "review_threshold": self.review_threshold,
        }
        (directory / CONFIG_FILE).write_text(json.dumps(config, indent=2), encoding="utf-8")
        (directory / CARD_FILE).write_text(json.dumps(self.card, indent=2), encoding="utf-8")
        return directory

    @classmethod
    def load(cls, directory: Path) -> CategoryModel:
        """The model saved in directory; refuses files holding types outside TRUSTED_TYPES."""
        for name in (CONFIG_FILE, CARD_FILE):
            if not (directory / name).is_file():
                raise ModelFileError(f"{directory}: missing {name}")
        config = json.loads((directory / CONFIG_FILE).read_text(encoding="utf-8"))
        card = json.loads((directory / CARD_FILE).read_text(encoding="utf-8"))
        route = config.get("route", LINEAR)  # models saved before routes existed are linear
        if route == LINEAR:
            estimator = _load_pipeline(directory)
        elif route == DISTILLED:
            from classifiers.text.distilled import StudentEstimator

            estimator = StudentEstimator.load(directory)
        elif route == ENCODER:
            from classifiers.text.encoder_route import EncoderEstimator

            estimator = EncoderEstimator.load(directory)
        else:
            raise ModelFileError(f"{directory / CONFIG_FILE}: unknown route {route!r}")
        return cls(
            estimator,
            stage_of=config["stage_of"],
            taxonomy_version=config["taxonomy_version"],
            card=card,
            review_threshold=float(config["review_threshold"]),
        )
