"""The soft student's optional convolution: word order, read cheaply from the static vectors.

The linear student sees n-grams and the mean of a text's token vectors, so "card not arrived"
and "arrived card not" look much alike to it. A width-3 convolution over the token vectors,
ReLU and a max over the text adds scores for short phrases of related words, not only the
exact n-grams. The vectors stay frozen, which makes prediction a lookup: each tap of the
convolution applied to each token's vector is computed once at load (`taps`), so a text costs
three row additions per token and channel, no matrix product. Training is torch (the
`embeddings-train` extra); prediction is numpy. Measured in docs/models.md (seventh session).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

WIDTH = 3  # tokens each filter reads
MAX_TOKENS = 48  # as the teacher: longer texts are cut
LENGTH_CHUNK = 128  # texts scored together, grouped by length
CONV_KEYS = ("conv_weight", "conv_bias", "conv_out", "conv_out_bias", "conv_scale")


def _with_padding_row(vectors: np.ndarray) -> np.ndarray:
    """Row 0 for padding (zeros), then the vectors: padded_ids' numbering."""
    return np.vstack([np.zeros((1, vectors.shape[1]), np.float32), vectors]).astype(np.float32)


def _vector_table(vectors: np.ndarray) -> tuple[np.ndarray, float]:
    """The padded table divided by its rows' mean norm (so ~1), and that norm."""
    table = _with_padding_row(vectors)
    scale = float(np.linalg.norm(table, axis=1).clip(1e-6).mean())
    return table / scale, scale


def padded_ids(token_ids: Sequence[Sequence[int]], margin: int = 0) -> np.ndarray:
    """Token ids + 1 (0 pads), cut at MAX_TOKENS, `margin` zero columns on each side."""
    width = max([1] + [min(len(ids), MAX_TOKENS) for ids in token_ids])
    out = np.zeros((len(token_ids), width + 2 * margin), np.int64)
    for row, ids in enumerate(token_ids):
        kept = np.asarray(ids[:MAX_TOKENS], np.int64) + 1
        out[row, margin : margin + len(kept)] = kept
    return out


@dataclass(frozen=True)
class ConvLayerWeights:
    """conv_weight: channels x dims x WIDTH (torch's Conv1d layout); out: channels x classes."""

    conv_weight: np.ndarray
    conv_bias: np.ndarray
    out: np.ndarray
    out_bias: np.ndarray
    scale: float  # the vectors' mean norm at training time

    def taps(self, vectors: np.ndarray) -> list[np.ndarray]:
        """Per tap, every token's contribution to every channel: (tokens + 1) x channels."""
        table = _with_padding_row(vectors) / self.scale
        return [np.ascontiguousarray(table @ self.conv_weight[:, :, k].T) for k in range(WIDTH)]

    def scores(self, token_ids: Sequence[Sequence[int]], taps: list[np.ndarray]) -> np.ndarray:
        """Class scores of each text (the output bias for a text without known tokens).

        Texts go through in chunks of similar length: a chunk is padded to its longest text,
        and one long text would otherwise multiply the work of a whole batch of short ones.
        """
        order = np.argsort([len(ids) for ids in token_ids], kind="stable")
        out = np.empty((len(token_ids), self.out.shape[1]), np.float32)
        for start in range(0, len(order), LENGTH_CHUNK):
            rows = order[start : start + LENGTH_CHUNK]
            out[rows] = self._chunk_scores([token_ids[i] for i in rows], taps)
        return out

    def _chunk_scores(
        self, token_ids: Sequence[Sequence[int]], taps: list[np.ndarray]
    ) -> np.ndarray:
        ids = padded_ids(token_ids, margin=1)
        inner = ids[:, 1:-1]
        hidden = taps[0][ids[:, :-2]] + taps[1][inner] + taps[2][ids[:, 2:]] + self.conv_bias
        np.maximum(hidden, 0.0, out=hidden)
        hidden[inner == 0] = 0.0
        return hidden.max(axis=1) @ self.out + self.out_bias

    def arrays(self) -> dict[str, np.ndarray]:
        return dict(
            zip(
                CONV_KEYS,
                [self.conv_weight, self.conv_bias, self.out, self.out_bias, np.array(self.scale)],
                strict=True,
            )
        )

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> ConvLayerWeights:
        weight, bias, out, out_bias, scale = (arrays[key] for key in CONV_KEYS)
        return cls(weight, bias, out, out_bias, float(scale))


def _numpy(tensor: object) -> np.ndarray:
    """A trained parameter as a numpy array of its own."""
    return tensor.detach().numpy().copy()  # type: ignore[attr-defined]


def learning_rate_factor(step: int, steps: int, decay: bool) -> float:
    """The share of the base learning rate at a step: 1 throughout, or falling linearly to 0.

    Decay (pre-registered, CV fold 0, three seeds: 92.30% mean against 92.05% constant, and a
    narrower spread between seeds) lets the student settle instead of ending on a noisy step.
    """
    return max(0.0, 1.0 - step / steps) if decay else 1.0


def fit_wide_conv(
    matrix: sparse.csr_matrix,
    token_ids: Sequence[Sequence[int]],
    vectors: np.ndarray,
    target: np.ndarray,
    channels: int,
    dropout: float,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
    decay: bool = False,
) -> tuple[np.ndarray, np.ndarray, ConvLayerWeights]:
    """Fit linear scores over `matrix` plus the convolution's scores to soft targets.

    decay: the learning rate falls linearly to 0 over the epochs instead of staying constant.
    """
    import torch

    from classifiers.text.teacher_student import _torch_sparse

    torch.manual_seed(seed)
    table, scale = _vector_table(vectors)
    n_classes = target.shape[1]
    embed = torch.nn.Embedding.from_pretrained(torch.from_numpy(table), freeze=True)
    conv = torch.nn.Conv1d(table.shape[1], channels, WIDTH, padding=WIDTH // 2)
    out = torch.nn.Linear(channels, n_classes)
    torch.nn.init.zeros_(out.weight)
    torch.nn.init.zeros_(out.bias)
    drop = torch.nn.Dropout(dropout)
    weight = torch.zeros(matrix.shape[1], n_classes, requires_grad=True)
    bias = torch.zeros(n_classes, requires_grad=True)
    parameters = [weight, bias, *conv.parameters(), *out.parameters()]
    optimizer = torch.optim.AdamW(parameters, lr=learning_rate, weight_decay=0.0)
    steps = epochs * -(-matrix.shape[0] // batch_size)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: learning_rate_factor(step, steps, decay)
    )
    ids = torch.from_numpy(padded_ids(token_ids))
    soft = torch.from_numpy(np.asarray(target, np.float32))
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(matrix.shape[0])
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            batch = ids[rows]
            hidden = torch.relu(conv(embed(batch).transpose(1, 2)))
            pooled = hidden.masked_fill((batch == 0).unsqueeze(1), 0.0).amax(2)
            scores = torch.sparse.mm(_torch_sparse(matrix[rows]), weight) + bias
            scores = scores + out(drop(pooled))
            loss = -(soft[rows] * torch.log_softmax(scores, 1)).sum(1).mean()
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            schedule.step()
    layer = ConvLayerWeights(
        conv_weight=_numpy(conv.weight),
        conv_bias=_numpy(conv.bias),
        out=_numpy(out.weight).T.copy(),
        out_bias=_numpy(out.bias),
        scale=scale,
    )
    return _numpy(weight), _numpy(bias), layer
