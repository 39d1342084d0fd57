"""The soft student's convolution at prediction time: lookups equal the convolution, no torch."""

from __future__ import annotations

import numpy as np

from classifiers.text.student_cnn import MAX_TOKENS, ConvLayerWeights, padded_ids


def _layer(rng: np.random.Generator, dims: int = 5, channels: int = 4, classes: int = 3):
    return ConvLayerWeights(
        conv_weight=rng.normal(size=(channels, dims, 3)).astype(np.float32),
        conv_bias=rng.normal(size=channels).astype(np.float32),
        out=rng.normal(size=(channels, classes)).astype(np.float32),
        out_bias=rng.normal(size=classes).astype(np.float32),
        scale=2.0,
    )


def _direct(layer: ConvLayerWeights, vectors: np.ndarray, ids: list[int]) -> np.ndarray:
    """The textbook computation: zero-padded width-3 convolution, ReLU, max over positions."""
    if not ids:
        return layer.out_bias
    x = np.vstack(
        [np.zeros(vectors.shape[1]), vectors[ids] / layer.scale, np.zeros(vectors.shape[1])]
    )
    hidden = [
        np.maximum(
            sum(layer.conv_weight[:, :, k] @ x[t + k] for k in range(3)) + layer.conv_bias, 0.0
        )
        for t in range(len(ids))
    ]
    return np.max(hidden, axis=0) @ layer.out + layer.out_bias


def test_lookup_scores_equal_the_direct_convolution_for_texts_of_any_length() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(11, 5)).astype(np.float32)
    layer = _layer(rng)
    texts = [[3, 1, 4, 1, 5], [9], [], [2, 6, 5, 3, 5, 8, 9, 7, 10, 0]]
    got = layer.scores(texts, layer.taps(vectors))
    expected = np.array([_direct(layer, vectors, ids) for ids in texts])
    assert got.shape == (4, 3)
    assert np.allclose(got, expected, atol=1e-4)


def test_a_text_without_known_tokens_scores_the_output_bias_only() -> None:
    rng = np.random.default_rng(1)
    layer = _layer(rng)
    got = layer.scores([[]], layer.taps(rng.normal(size=(4, 5)).astype(np.float32)))
    assert np.allclose(got, [layer.out_bias])


def test_texts_are_cut_at_the_teachers_length_and_padding_is_zero() -> None:
    ids = padded_ids([list(range(100)), [7]], margin=1)
    assert ids.shape == (2, MAX_TOKENS + 2)
    assert ids[0, 1:-1].tolist() == list(range(1, MAX_TOKENS + 1))  # ids shift by one: 0 pads
    assert ids[1].tolist()[:3] == [0, 8, 0] and not ids[1, 3:].any()


def test_weights_round_trip_through_plain_arrays() -> None:
    layer = _layer(np.random.default_rng(2))
    again = ConvLayerWeights.from_arrays(layer.arrays())
    assert again.scale == layer.scale
    for key, value in layer.arrays().items():
        assert np.array_equal(again.arrays()[key], value)
