"""transform_features must give exactly the matrix ColumnTransformer.transform gives."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer

from classifiers.text import fast_features
from classifiers.text.data import read_labelled_csv
from classifiers.text.fast_features import predict_proba, transform_features
from classifiers.text.features import LEMMAS, RAW, build_features, text_views
from classifiers.text.training import build_estimator
from tests.support.awkward_texts import AWKWARD_TEXTS, BANKING77_TRAIN


@pytest.fixture(scope="module")
def rows() -> tuple[list[str], list[str]]:
    data = read_labelled_csv(BANKING77_TRAIN, "text", "category")
    return data.texts[:2400], data.labels[:2400]


def assert_same(expected: sparse.csr_matrix, got: sparse.csr_matrix) -> None:
    assert got.shape == expected.shape and got.dtype == expected.dtype
    assert np.array_equal(got.indptr, expected.indptr)
    assert np.array_equal(got.indices, expected.indices)
    assert np.array_equal(got.data, expected.data)  # bit for bit, not approximately


@pytest.mark.parametrize("char_weight", [1.0, 0.6])
def test_features_match_sklearn_bit_for_bit(
    rows: tuple[list[str], list[str]], char_weight: float
) -> None:
    texts = rows[0]
    features = build_features(char_weight).fit(text_views(texts[:1600]))
    views = text_views(texts[1600:] + AWKWARD_TEXTS)
    assert_same(features.transform(views), transform_features(features, views))
    # a second call reads the per-word cache and must not drift
    assert_same(features.transform(views), transform_features(features, views))


def test_a_full_word_cache_starts_over_with_the_same_results(
    rows: tuple[list[str], list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fast_features, "MAX_CACHED_WORDS", 5)
    features = build_features().fit(text_views(rows[0][:800]))
    views = text_views(rows[0][800:1000])
    assert_same(features.transform(views), transform_features(features, views))
    chars = features.named_transformers_["chars"]
    assert len(fast_features._word_indices[chars]) <= 5


def test_split_word_ngrams_are_counted_here_and_match_sklearn(
    rows: tuple[list[str], list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    features = ColumnTransformer(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 3), token_pattern=r"\S+"), LEMMAS),
            (
                "raw words",
                TfidfVectorizer(
                    ngram_range=(2, 2), token_pattern=r"\S+", lowercase=False, sublinear_tf=True
                ),
                RAW,
            ),
        ]
    ).fit(text_views(rows[0][:800]))
    views = text_views(rows[0][800:1000] + AWKWARD_TEXTS)
    expected = features.transform(views)
    for _, vectorizer, _ in features.transformers_:  # prove sklearn's transform is not used
        monkeypatch.setattr(vectorizer, "transform", None)
    assert_same(expected, transform_features(features, views))


def test_other_vectorizers_go_through_sklearn(rows: tuple[list[str], list[str]]) -> None:
    features = ColumnTransformer(
        [
            ("binary", TfidfVectorizer(analyzer="char_wb", binary=True), RAW),
            ("chars", TfidfVectorizer(analyzer="char", ngram_range=(2, 3)), RAW),
            ("words", TfidfVectorizer(), LEMMAS),
            ("stop", TfidfVectorizer(token_pattern=r"\S+", stop_words=["the", "my"]), LEMMAS),
        ]
    ).fit(text_views(rows[0][:500]))
    views = text_views(rows[0][500:700])
    assert_same(features.transform(views), transform_features(features, views))


def test_the_pipeline_probabilities_are_those_of_sklearn(rows: tuple[list[str], list[str]]) -> None:
    texts, labels = rows
    estimator = build_estimator().fit(text_views(texts[:1600]), labels[:1600])
    views = text_views(texts[1600:])
    assert np.array_equal(estimator.predict_proba(views), predict_proba(estimator, views))
