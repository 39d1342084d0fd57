"""Fast students of the fine-tuned teacher: the blend's features, one linear layer.

The features are those of the optional route (classifiers.text.blend): TF-IDF word and char
n-grams plus weighted static embeddings, so a prediction is still one sparse matrix product.
Two ways to learn from the teacher:
- `SoftLinearStudent` fits the linear layer (with torch, training only) to the teacher's
  softened probabilities on training texts and their variants, mixed with the true labels;
- `hard_label_student` fits the blend's LinearSVC to the true labels plus the variants
  labelled with the teacher's top class.
Prediction needs numpy, scipy and the `embeddings` extra only; torch is imported inside fit.
A fitted SoftLinearStudent saves to a directory: `features.skops` (skops, trusted types only),
`weights.npz` (no pickle), `student.json` and the embedder's `embeddings/` folder.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.compose import ColumnTransformer

from classifiers.skops_io import skops_io
from classifiers.text.blend import BlendFeatures, EmbeddingBlendModel, _load_trusted
from classifiers.text.features import text_views
from classifiers.text.model import ModelFileError
from classifiers.text.static_embeddings import StaticEmbedder
from classifiers.text.student_cnn import CONV_KEYS, ConvLayerWeights, fit_wide_conv
from classifiers.text.student_hidden import DEEP_KEYS, HiddenLayerWeights, fit_wide_deep

STUDENT_FILES = ("features.skops", "weights.npz", "student.json")


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    scaled = logits / temperature
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    return exp / exp.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class StudentOptions:
    temperature: float = 2.0  # softens the teacher's probabilities
    label_share: float = 0.5  # weight of the true label in an original text's target
    epochs: int = 12
    batch_size: int = 256
    learning_rate: float = 2e-3
    weight_decay: float = 0.0
    embedding_weight: float = 1.0
    threads: int = 2
    seed: int = 0
    hidden: int = 0  # units of the optional ReLU layer beside the linear one (0 = linear only)
    dropout: float = 0.2  # on the hidden layer (or the convolution's output), while training
    conv_channels: int = 0  # filters of the optional convolution over token vectors (0 = none)
    # The convolution student's learning rate falls linearly to 0 over its epochs (constant
    # when False); the linear and hidden-layer students do not take it.
    learning_rate_decay: bool = False


class SoftLinearStudent:
    """One linear layer over BlendFeatures, trained to match the teacher's probabilities."""

    def __init__(self, embedder: StaticEmbedder, options: StudentOptions | None = None) -> None:
        self.options = options or StudentOptions()
        self.features = BlendFeatures(embedder, self.options.embedding_weight)
        self.classes_: list[str] = []
        self.coef_: np.ndarray | None = None
        self.intercept_: np.ndarray | None = None
        self.deep_: HiddenLayerWeights | None = None
        self.conv_: ConvLayerWeights | None = None
        self._taps: list[np.ndarray] = []  # the convolution's per-token lookup tables

    def targets(
        self, labels: Sequence[str], train_logits: np.ndarray, variant_logits: np.ndarray
    ) -> np.ndarray:
        """Soft targets: originals mix true label and teacher; variants follow the teacher."""
        opts = self.options
        onehot = np.zeros_like(train_logits)
        index = {label: i for i, label in enumerate(self.classes_)}
        onehot[np.arange(len(labels)), [index[str(label)] for label in labels]] = 1.0
        mixed = opts.label_share * onehot + (1 - opts.label_share) * softmax(
            train_logits, opts.temperature
        )
        return np.vstack([mixed, softmax(variant_logits, opts.temperature)]).astype(np.float32)

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        classes: Sequence[str],
        train_logits: np.ndarray,
        variants: Sequence[str],
        variant_logits: np.ndarray,
    ) -> SoftLinearStudent:
        """classes names the teacher's logit columns; labels must be among them."""
        import torch

        opts = self.options
        if opts.conv_channels > 0 and opts.hidden > 0:
            raise ValueError("a hidden layer and a convolution cannot be combined")
        if opts.learning_rate_decay and opts.conv_channels <= 0:
            raise ValueError("learning_rate_decay is for the convolution student (conv_channels)")
        torch.set_num_threads(opts.threads)
        torch.manual_seed(opts.seed)
        self.classes_ = [str(c) for c in classes]
        everything = list(texts) + list(variants)
        embedder = self.features.embedder
        views = text_views(everything)
        token_ids = embedder.token_ids(views["raw"].tolist())  # once, for both parts
        matrix = self.features.transform_views(views, fit=True, token_ids=token_ids)
        matrix = matrix.astype(np.float32)
        if opts.conv_channels > 0:
            self.coef_, self.intercept_, self.conv_ = fit_wide_conv(
                matrix,
                token_ids,
                embedder.vectors,
                self.targets(labels, train_logits, variant_logits),
                opts.conv_channels,
                opts.dropout,
                opts.epochs,
                opts.batch_size,
                opts.learning_rate,
                opts.seed,
                decay=opts.learning_rate_decay,
            )
            self._taps = self.conv_.taps(embedder.vectors)
            return self
        if opts.hidden > 0:
            self.coef_, self.intercept_, self.deep_ = fit_wide_deep(
                matrix,
                self.targets(labels, train_logits, variant_logits),
                opts.hidden,
                opts.dropout,
                opts.epochs,
                opts.batch_size,
                opts.learning_rate,
                opts.seed,
            )
            return self
        target = torch.from_numpy(self.targets(labels, train_logits, variant_logits))
        weight = torch.zeros(matrix.shape[1], len(self.classes_), requires_grad=True)
        bias = torch.zeros(len(self.classes_), requires_grad=True)
        optimizer = torch.optim.AdamW(
            [weight, bias], lr=opts.learning_rate, weight_decay=opts.weight_decay
        )
        rng = np.random.default_rng(opts.seed)
        for _ in range(opts.epochs):
            order = rng.permutation(matrix.shape[0])
            for start in range(0, len(order), opts.batch_size):
                rows = order[start : start + opts.batch_size]
                scores = torch.sparse.mm(_torch_sparse(matrix[rows]), weight) + bias
                loss = -(target[rows] * torch.log_softmax(scores, 1)).sum(1).mean()
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
        self.coef_ = weight.detach().numpy().copy()
        self.intercept_ = bias.detach().numpy().copy()
        return self

    def decision_scores(self, texts: Sequence[str]) -> np.ndarray:
        return self.decision_scores_views(text_views(texts))

    def decision_scores_views(self, views: Any) -> np.ndarray:
        if self.coef_ is None or self.intercept_ is None:
            raise ValueError("SoftLinearStudent is not fitted; call fit()")
        token_ids = self.features.embedder.token_ids(views["raw"].tolist())
        matrix = self.features.transform_views(views, token_ids=token_ids)
        scores = np.asarray(matrix @ self.coef_) + self.intercept_
        if self.deep_ is not None:
            scores += self.deep_.scores(matrix)
        if self.conv_ is not None:
            scores += self.conv_.scores(token_ids, self._taps)
        return scores

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [self.classes_[i] for i in self.decision_scores(texts).argmax(axis=1)]

    def save(self, directory: Path) -> Path:
        if self.coef_ is None or self.intercept_ is None:
            raise ValueError("SoftLinearStudent is not fitted; call fit()")
        directory.mkdir(parents=True, exist_ok=True)
        skops_io().dump(self.features.tfidf_, directory / "features.skops")
        arrays = {"coef": self.coef_, "intercept": self.intercept_}
        if self.deep_ is not None:
            deep = self.deep_
            hidden = (deep.hidden_in, deep.hidden_bias, deep.hidden_out)
            arrays.update(zip(DEEP_KEYS, hidden, strict=True))
        if self.conv_ is not None:
            arrays.update(self.conv_.arrays())
        np.savez(directory / "weights.npz", **arrays)  # type: ignore[arg-type]
        config = {"classes": self.classes_, "options": asdict(self.options)}
        (directory / "student.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
        self.features.embedder.save(directory / "embeddings")
        return directory

    @classmethod
    def load(cls, directory: Path) -> SoftLinearStudent:
        """The student saved in directory; skops files holding untrusted types are refused."""
        for name in STUDENT_FILES:
            if not (directory / name).is_file():
                raise ModelFileError(f"{directory}: missing {name}")
        config = json.loads((directory / "student.json").read_text(encoding="utf-8"))
        student = cls(
            StaticEmbedder.load(directory / "embeddings"), StudentOptions(**config["options"])
        )
        student.features.tfidf_ = _load_trusted(directory / "features.skops", ColumnTransformer)
        with np.load(directory / "weights.npz", allow_pickle=False) as weights:
            student.coef_, student.intercept_ = weights["coef"], weights["intercept"]
            if student.options.hidden > 0:
                student.deep_ = HiddenLayerWeights(*(weights[key] for key in DEEP_KEYS))
            if student.options.conv_channels > 0:
                student.conv_ = ConvLayerWeights.from_arrays({k: weights[k] for k in CONV_KEYS})
                student._taps = student.conv_.taps(student.features.embedder.vectors)
        student.classes_ = [str(c) for c in config["classes"]]
        return student


def _torch_sparse(matrix: sparse.csr_matrix) -> Any:
    import torch

    return torch.sparse_csr_tensor(
        torch.from_numpy(matrix.indptr.astype(np.int64)),
        torch.from_numpy(matrix.indices.astype(np.int64)),
        torch.from_numpy(matrix.data),
        size=matrix.shape,
        check_invariants=False,  # built from a valid scipy CSR matrix
    )


def hard_label_student(
    embedder: StaticEmbedder,
    texts: Sequence[str],
    labels: Sequence[str],
    variants: Sequence[str],
    variant_labels: Sequence[str],
    embedding_weight: float = 1.0,
) -> EmbeddingBlendModel:
    """The blend's LinearSVC fitted to the true labels plus teacher-labelled variants."""
    model = EmbeddingBlendModel(embedder, embedding_weight=embedding_weight)
    return model.fit(list(texts) + list(variants), list(labels) + list(variant_labels))
