"""Optional route: the default TF-IDF features plus static sentence embeddings, one LinearSVC.

The embeddings (classifiers.text.static_embeddings) add meaning that character and word
n-grams miss ("card hasn't come" vs "card arrival"); a weight scales them against the TF-IDF
block. Prediction stays one sparse-plus-dense linear model. Files in a model directory:
`features.skops` and `classifier.skops` (skops, trusted-type list), `blend.json` and the
embedder's `embeddings/` folder. Needs the `embeddings` extra (tokenizers) at run time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import skops.io as sio
from scipy import sparse
from sklearn.compose import ColumnTransformer
from sklearn.svm import LinearSVC

from classifiers.text.fast_features import transform_features
from classifiers.text.features import build_features, text_views
from classifiers.text.model import TRUSTED_TYPES, ModelFileError
from classifiers.text.static_embeddings import StaticEmbedder

FEATURES_FILE = "features.skops"
CLASSIFIER_FILE = "classifier.skops"
CONFIG_FILE = "blend.json"
EMBEDDINGS_DIR = "embeddings"
DEFAULT_EMBEDDING_WEIGHT = 2.0


class EmbeddingBlendModel:
    """TF-IDF word+char features and weighted static embeddings into one LinearSVC."""

    def __init__(
        self,
        embedder: StaticEmbedder,
        embedding_weight: float = DEFAULT_EMBEDDING_WEIGHT,
        svm_c: float = 1.0,
    ) -> None:
        self.embedder = embedder
        self.embedding_weight = embedding_weight
        self.svm_c = svm_c
        self.features_: Any = None
        self.classifier_: LinearSVC | None = None

    def _matrix(self, texts: Sequence[str], fit: bool = False) -> sparse.csr_matrix:
        views = text_views(texts)
        if fit:
            tfidf = self.features_.fit_transform(views)
        else:
            tfidf = transform_features(self.features_, views)
        dense = self.embedder.embed(views["raw"].tolist()) * np.float32(self.embedding_weight)
        return sparse.hstack([tfidf, sparse.csr_matrix(dense)], format="csr")

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> EmbeddingBlendModel:
        self.features_ = build_features()
        matrix = self._matrix(texts, fit=True)
        self.classifier_ = LinearSVC(C=self.svm_c).fit(matrix, np.asarray(labels))
        return self

    @property
    def classes(self) -> list[str]:
        return [str(label) for label in self._fitted().classes_]

    def _fitted(self) -> LinearSVC:
        if self.classifier_ is None:
            raise ValueError("EmbeddingBlendModel is not fitted; call fit() or load()")
        return self.classifier_

    def decision_scores(self, texts: Sequence[str]) -> np.ndarray:
        """One row of per-class SVM scores per text (columns follow `classes`)."""
        classifier = self._fitted()
        if not texts:
            return np.zeros((0, len(classifier.classes_)), dtype=np.float32)
        return classifier.decision_function(self._matrix(texts))

    def predict(self, texts: Sequence[str]) -> list[str]:
        """The best category id for each text, in order."""
        scores = self.decision_scores(texts)
        classes = self.classes
        return [classes[i] for i in scores.argmax(axis=1)]

    def save(self, directory: Path) -> Path:
        classifier = self._fitted()
        directory.mkdir(parents=True, exist_ok=True)
        sio.dump(self.features_, directory / FEATURES_FILE)
        sio.dump(classifier, directory / CLASSIFIER_FILE)
        self.embedder.save(directory / EMBEDDINGS_DIR)
        config = {"embedding_weight": self.embedding_weight, "svm_c": self.svm_c}
        (directory / CONFIG_FILE).write_text(json.dumps(config, indent=2), encoding="utf-8")
        return directory

    @classmethod
    def load(cls, directory: Path) -> EmbeddingBlendModel:
        """The model saved in directory; skops files holding untrusted types are refused."""
        for name in (FEATURES_FILE, CLASSIFIER_FILE, CONFIG_FILE):
            if not (directory / name).is_file():
                raise ModelFileError(f"{directory}: missing {name}")
        features = _load_trusted(directory / FEATURES_FILE, ColumnTransformer)
        classifier = _load_trusted(directory / CLASSIFIER_FILE, LinearSVC)
        config = json.loads((directory / CONFIG_FILE).read_text(encoding="utf-8"))
        model = cls(
            StaticEmbedder.load(directory / EMBEDDINGS_DIR),
            embedding_weight=float(config["embedding_weight"]),
            svm_c=float(config["svm_c"]),
        )
        model.features_, model.classifier_ = features, classifier
        return model


def _load_trusted(path: Path, expected: type) -> Any:
    """The object in a skops file, refused unless its types are trusted and it is `expected`."""
    untrusted = set(sio.get_untrusted_types(file=path)) - set(TRUSTED_TYPES)
    if untrusted:
        raise ModelFileError(f"{path}: untrusted types {sorted(untrusted)}")
    loaded = sio.load(path, trusted=TRUSTED_TYPES)
    if not isinstance(loaded, expected):
        raise ModelFileError(f"{path}: holds {type(loaded).__name__}, not {expected.__name__}")
    return loaded
