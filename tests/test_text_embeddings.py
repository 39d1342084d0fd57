"""The optional static-embedding route: the embedder averages token vectors, the blend trains
on a small BANKING77 slice, saves and reloads to identical scores, and refuses bad files.

The vectors here are tiny synthetic ones over a word-level tokenizer built from the slice, so
the test needs only the `embeddings` extra (tokenizers), not torch or the distilled weights.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression

from classifiers.text.blend import CLASSIFIER_FILE, EmbeddingBlendModel
from classifiers.text.model import ModelFileError
from classifiers.text.static_embeddings import VECTORS_FILE, EmbeddingFileError, StaticEmbedder
from tests.support.tiny_tokenizer import word_tokenizer

BANKING77 = Path(__file__).parents[1] / "winback" / "sample_data" / "banking77" / "train.csv"
INTENTS = 12
TRAIN, TEST = 30, 10
DIM = 16


def _slice() -> dict[str, list[str]]:
    by_intent: dict[str, list[str]] = defaultdict(list)
    with BANKING77.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            by_intent[row["category"]].append(row["text"])
    return {intent: by_intent[intent][: TRAIN + TEST] for intent in sorted(by_intent)[:INTENTS]}


@pytest.fixture(scope="module")
def data() -> dict[str, list[str]]:
    return _slice()


@pytest.fixture(scope="module")
def embedder(data: dict[str, list[str]]) -> StaticEmbedder:
    texts = [text for rows in data.values() for text in rows[:TRAIN]]
    tokenizer = word_tokenizer(texts)
    vectors = np.random.default_rng(0).normal(size=(tokenizer.get_vocab_size(), DIM))
    return StaticEmbedder(tokenizer, vectors.astype(np.float32))


def _split_rows(data: dict[str, list[str]], start: int, stop: int) -> tuple[list[str], list[str]]:
    pairs = [(text, intent) for intent, rows in data.items() for text in rows[start:stop]]
    return [text for text, _ in pairs], [intent for _, intent in pairs]


def test_embedding_is_the_normalised_mean_of_known_token_vectors(embedder: StaticEmbedder) -> None:
    ids = [embedder.tokenizer.token_to_id(word) for word in ("card", "my")]
    expected = embedder.vectors[ids].mean(axis=0)
    expected /= np.linalg.norm(expected)
    rows = embedder.embed(["My CARD zzzunknownzzz", "zzzunknownzzz", ""])
    np.testing.assert_allclose(rows[0], expected, rtol=1e-5)
    assert not rows[1].any() and not rows[2].any()  # nothing known: a zero row, no NaN


def test_embedder_round_trips_and_names_missing_or_short_files(
    embedder: StaticEmbedder, tmp_path: Path
) -> None:
    texts = ["where is my card", "I want a refund"]
    loaded = StaticEmbedder.load(embedder.save(tmp_path / "emb"))
    np.testing.assert_array_equal(loaded.embed(texts), embedder.embed(texts))
    (tmp_path / "emb" / VECTORS_FILE).unlink()
    with pytest.raises(EmbeddingFileError, match=VECTORS_FILE):
        StaticEmbedder.load(tmp_path / "emb")
    with pytest.raises(EmbeddingFileError, match="do not cover a vocabulary"):
        StaticEmbedder(embedder.tokenizer, embedder.vectors[:5])


def test_blend_learns_the_slice_and_reloads_to_identical_scores(
    data: dict[str, list[str]], embedder: StaticEmbedder, tmp_path: Path
) -> None:
    train_texts, train_labels = _split_rows(data, 0, TRAIN)
    test_texts, test_labels = _split_rows(data, TRAIN, TRAIN + TEST)
    model = EmbeddingBlendModel(embedder, embedding_weight=1.0).fit(train_texts, train_labels)
    predicted = model.predict(test_texts)
    accuracy = np.mean([p == t for p, t in zip(predicted, test_labels, strict=True)])
    assert accuracy >= 0.8, accuracy
    assert set(predicted) <= set(data)

    loaded = EmbeddingBlendModel.load(model.save(tmp_path / "blend"))
    np.testing.assert_array_equal(
        loaded.decision_scores(test_texts), model.decision_scores(test_texts)
    )
    assert loaded.embedding_weight == 1.0 and loaded.classes == model.classes
    assert model.predict([]) == []


def test_embeddings_change_the_scores(data: dict[str, list[str]], embedder: StaticEmbedder) -> None:
    train_texts, train_labels = _split_rows(data, 0, TRAIN)
    test_texts, _ = _split_rows(data, TRAIN, TRAIN + TEST)
    without = EmbeddingBlendModel(embedder, embedding_weight=0.0).fit(train_texts, train_labels)
    with_vectors = EmbeddingBlendModel(embedder, embedding_weight=3.0).fit(
        train_texts, train_labels
    )
    difference = np.abs(
        with_vectors.decision_scores(test_texts) - without.decision_scores(test_texts)
    )
    assert difference.max() > 0.05


def test_blend_refuses_untrusted_files_and_unfitted_use(
    data: dict[str, list[str]], embedder: StaticEmbedder, tmp_path: Path
) -> None:
    train_texts, train_labels = _split_rows(data, 0, TRAIN)
    directory = EmbeddingBlendModel(embedder).fit(train_texts, train_labels).save(tmp_path / "b")
    sio.dump(LogisticRegression(), directory / CLASSIFIER_FILE)
    with pytest.raises(ModelFileError, match="holds LogisticRegression, not LinearSVC"):
        EmbeddingBlendModel.load(directory)
    with pytest.raises(ValueError, match="not fitted"):
        EmbeddingBlendModel(embedder).predict(["hello"])
