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
from scipy import sparse
from sklearn.compose import ColumnTransformer
from sklearn.svm import LinearSVC

from classifiers.skops_io import load_trusted, skops_io
from classifiers.text.fast_features import transform_features
from classifiers.text.features import build_features, text_views
from classifiers.text.model import TRUSTED_TYPES, ModelFileError
from classifiers.text.static_embeddings import StaticEmbedder

FEATURES_FILE = "features.skops"
CLASSIFIER_FILE = "classifier.skops"
CONFIG_FILE = "blend.json"
EMBEDDINGS_DIR = "embeddings"
DEFAULT_EMBEDDING_WEIGHT = 2.0


class BlendFeatures:
    """TF-IDF word+char features and weighted static embeddings in one sparse matrix."""

    def __init__(self, embedder: StaticEmbedder, embedding_weight: float = 1.0) -> None:
        self.embedder, self.embedding_weight = embedder, embedding_weight
        self.tfidf_: Any = None

    def fit_transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        return self.transform_views(text_views(texts), fit=True)

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        return self.transform_views(text_views(texts))

    def transform_views(
        self, views: Any, fit: bool = False, token_ids: list[list[int]] | None = None
    ) -> sparse.csr_matrix:
        """As transform, from text_views(texts) already made (CategoryModel makes them once),
        and the embedder's token_ids of the same texts if the caller needs them too.
        fit: fit a new TF-IDF part on these texts first."""
        if fit:
            self.tfidf_ = build_features()
            tfidf = self.tfidf_.fit_transform(views)
        else:
            tfidf = transform_features(self.tfidf_, views)
        if token_ids is None:
            token_ids = self.embedder.token_ids(views["raw"].tolist())
        dense = self.embedder.embed_token_ids(token_ids) * np.float32(self.embedding_weight)
        return sparse.hstack([tfidf, sparse.csr_matrix(dense)], format="csr")


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
        self.features = BlendFeatures(embedder, embedding_weight)
        self.classifier_: LinearSVC | None = None

    @property
    def features_(self) -> Any:
        """The fitted TF-IDF ColumnTransformer (saved as features.skops)."""
        return self.features.tfidf_

    @features_.setter
    def features_(self, tfidf: Any) -> None:
        self.features.tfidf_ = tfidf

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> EmbeddingBlendModel:
        matrix = self.features.fit_transform(texts)
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
        return classifier.decision_function(self.features.transform(texts))

    def predict(self, texts: Sequence[str]) -> list[str]:
        """The best category id for each text, in order."""
        scores = self.decision_scores(texts)
        classes = self.classes
        return [classes[i] for i in scores.argmax(axis=1)]

    def save(self, directory: Path) -> Path:
        classifier = self._fitted()
        directory.mkdir(parents=True, exist_ok=True)
        skops_io().dump(self.features_, directory / FEATURES_FILE)
        skops_io().dump(classifier, directory / CLASSIFIER_FILE)
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
    loaded = load_trusted(path, TRUSTED_TYPES, ModelFileError)
    if not isinstance(loaded, expected):
        raise ModelFileError(f"{path}: holds {type(loaded).__name__}, not {expected.__name__}")
    return loaded
