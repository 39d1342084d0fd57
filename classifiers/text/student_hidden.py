"""The soft student's optional hidden layer: wide (linear) plus deep (one ReLU layer) scores.

A linear layer over n-grams and a mean embedding cannot say "card" AND "not arrived" in a way
that differs from either alone; the teacher can. One hidden layer over the same sparse
features adds those interactions at a cost of (non-zero features x hidden units) per text,
well under the feature extraction itself. Training uses torch EmbeddingBag tables with sparse
gradients (only the rows a batch touches are updated), so a 100k-feature x 256 table trains in
minutes on two cores; prediction is scipy and numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

WIDE_KEYS = ("coef", "intercept")
DEEP_KEYS = ("hidden_in", "hidden_bias", "hidden_out")


@dataclass(frozen=True)
class HiddenLayerWeights:
    """The deep half: features -> ReLU(hidden) -> class scores (added to the linear scores)."""

    hidden_in: np.ndarray  # features x hidden
    hidden_bias: np.ndarray  # hidden
    hidden_out: np.ndarray  # hidden x classes

    def scores(self, matrix: sparse.csr_matrix) -> np.ndarray:
        hidden = np.asarray(matrix @ self.hidden_in) + self.hidden_bias
        np.maximum(hidden, 0.0, out=hidden)
        return hidden @ self.hidden_out


def fit_wide_deep(
    matrix: sparse.csr_matrix,
    target: np.ndarray,
    hidden: int,
    dropout: float,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, HiddenLayerWeights]:
    """Fit linear + hidden-layer scores to soft targets (cross-entropy); numpy weights out."""
    import torch

    torch.manual_seed(seed)
    n_features, n_classes = matrix.shape[1], target.shape[1]
    wide = torch.nn.EmbeddingBag(n_features, n_classes, mode="sum", sparse=True)
    deep_in = torch.nn.EmbeddingBag(n_features, hidden, mode="sum", sparse=True)
    torch.nn.init.zeros_(wide.weight)
    torch.nn.init.normal_(deep_in.weight, std=0.1)
    bias = torch.nn.Parameter(torch.zeros(n_classes))
    hidden_bias = torch.nn.Parameter(torch.zeros(hidden))
    deep_out = torch.nn.Linear(hidden, n_classes, bias=False)
    torch.nn.init.normal_(deep_out.weight, std=0.01)
    drop = torch.nn.Dropout(dropout)
    sparse_opt = torch.optim.SparseAdam([wide.weight, deep_in.weight], lr=learning_rate)
    dense_opt = torch.optim.Adam([bias, hidden_bias, deep_out.weight], lr=learning_rate)
    soft = torch.from_numpy(target.astype(np.float32))
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(matrix.shape[0])
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            ids, offsets, values = _bag(matrix[rows])
            inner = deep_in(ids, offsets, per_sample_weights=values) + hidden_bias
            scores = (
                wide(ids, offsets, per_sample_weights=values)
                + bias
                + deep_out(drop(torch.relu(inner)))
            )
            loss = -(soft[rows] * torch.log_softmax(scores, 1)).sum(1).mean()
            loss.backward()
            sparse_opt.step()
            dense_opt.step()
            sparse_opt.zero_grad()
            dense_opt.zero_grad()
    deep = HiddenLayerWeights(
        hidden_in=deep_in.weight.detach().numpy().copy(),
        hidden_bias=hidden_bias.detach().numpy().copy(),
        hidden_out=deep_out.weight.detach().numpy().T.copy(),
    )
    return wide.weight.detach().numpy().copy(), bias.detach().numpy().copy(), deep


def _bag(rows: sparse.csr_matrix) -> tuple:
    """A CSR batch as EmbeddingBag input: column ids, row offsets, values as weights."""
    import torch

    return (
        torch.from_numpy(rows.indices.astype(np.int64)),
        torch.from_numpy(rows.indptr[:-1].astype(np.int64)),
        torch.from_numpy(rows.data.astype(np.float32)),
    )
