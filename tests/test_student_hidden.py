"""The soft student's hidden layer at prediction time: numpy and scipy only, no torch."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from classifiers.text.student_hidden import HiddenLayerWeights


def test_hidden_layer_scores_are_relu_of_the_sparse_product_times_the_output_weights() -> None:
    rng = np.random.default_rng(0)
    dense = rng.normal(size=(5, 7)).astype(np.float32)
    dense[dense < 0.5] = 0.0  # sparse rows, one of them possibly empty
    weights = HiddenLayerWeights(
        hidden_in=rng.normal(size=(7, 4)).astype(np.float32),
        hidden_bias=rng.normal(size=4).astype(np.float32),
        hidden_out=rng.normal(size=(4, 3)).astype(np.float32),
    )
    expected = np.maximum(dense @ weights.hidden_in + weights.hidden_bias, 0) @ weights.hidden_out
    got = weights.scores(sparse.csr_matrix(dense))
    assert got.shape == (5, 3)
    assert np.allclose(got, expected, atol=1e-5)


def test_a_unit_below_zero_adds_nothing() -> None:
    weights = HiddenLayerWeights(
        hidden_in=np.array([[1.0, -1.0]], np.float32),
        hidden_bias=np.zeros(2, np.float32),
        hidden_out=np.array([[2.0], [5.0]], np.float32),
    )
    # Input 3: first unit 3 (x2 = 6), second unit -3 -> 0 (adds nothing).
    assert weights.scores(sparse.csr_matrix(np.array([[3.0]], np.float32))).tolist() == [[6.0]]
