"""Fine-tuning static vectors (the `embeddings-train` extra, torch on CPU): on a small BANKING77
slice with tiny synthetic vectors, the tuned vectors keep their shape and tell held-out texts
apart better than the random ones they started from."""

from __future__ import annotations

import numpy as np
from sklearn.neighbors import NearestCentroid

from classifiers.text.static_embeddings import StaticEmbedder
from classifiers.text.tune_embeddings import TuningOptions, tune_embedder
from tests.support.tiny_tokenizer import word_tokenizer
from tests.test_text_embeddings import TEST, TRAIN, _slice, _split_rows

DIM = 16


def _centroid_accuracy(embedder: StaticEmbedder, data: dict[str, list[str]]) -> float:
    train_texts, train_labels = _split_rows(data, 0, TRAIN)
    test_texts, test_labels = _split_rows(data, TRAIN, TRAIN + TEST)
    centroids = NearestCentroid().fit(embedder.embed(train_texts), train_labels)
    return float(np.mean(centroids.predict(embedder.embed(test_texts)) == np.array(test_labels)))


def test_tuned_vectors_separate_held_out_texts_better() -> None:
    data = _slice()
    train_texts, train_labels = _split_rows(data, 0, TRAIN)
    tokenizer = word_tokenizer(train_texts)
    vectors = np.random.default_rng(1).normal(size=(tokenizer.get_vocab_size(), DIM))
    start = StaticEmbedder(tokenizer, vectors.astype(np.float32))

    options = TuningOptions(
        learning_rate=2e-2, max_epochs=25, early_stopping_patience=25, hidden_dim=32, threads=1
    )
    tuned = tune_embedder(start, train_texts, train_labels, options)

    assert tuned.vectors.shape == start.vectors.shape
    assert not np.allclose(tuned.vectors, start.vectors)
    before, after = _centroid_accuracy(start, data), _centroid_accuracy(tuned, data)
    assert after > before + 0.05, (before, after)
