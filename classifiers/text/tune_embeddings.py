"""Fine-tune static token vectors on labelled texts (needs the `embeddings-train` extra).

model2vec's StaticModelForClassification trains the vectors and a small head together to
predict the labels; we keep only the tuned vectors, so prediction is still a lookup-and-average
feeding the blend's LinearSVC. Tuning on the labels means cross-validation must tune per fold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from classifiers.text.static_embeddings import StaticEmbedder


@dataclass(frozen=True)
class TuningOptions:
    learning_rate: float = 1e-3
    max_epochs: int = 30
    early_stopping_patience: int = 5  # epochs without gain on the 10% validation split
    hidden_dim: int = 512
    random_seed: int = 0
    threads: int = 2


def tune_embedder(
    embedder: StaticEmbedder,
    texts: Sequence[str],
    labels: Sequence[str],
    options: TuningOptions | None = None,
) -> StaticEmbedder:
    """A new embedder whose vectors were trained to tell the labels apart."""
    import torch
    from model2vec import StaticModel
    from model2vec.train import StaticModelForClassification

    options = options or TuningOptions()
    torch.set_num_threads(options.threads)
    static = StaticModel(vectors=embedder.vectors, tokenizer=embedder.tokenizer, normalize=True)
    classifier = StaticModelForClassification.from_static_model(
        model=static, hidden_dim=options.hidden_dim
    )
    classifier.fit(
        list(texts),
        [str(label) for label in labels],
        learning_rate=options.learning_rate,
        max_epochs=options.max_epochs,
        early_stopping_patience=options.early_stopping_patience,
        random_seed=options.random_seed,
    )
    tuned = classifier.to_static_model()
    return StaticEmbedder(embedder.tokenizer, np.asarray(tuned.embedding, dtype=np.float32))
