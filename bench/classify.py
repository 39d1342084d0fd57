"""Benchmark winback's default category model against a plain TF-IDF + LogisticRegression.

Prints, in one run: BANKING77 5-fold CV accuracy, macro-F1 and single-thread texts/s for both
models, then the same on the CFPB complaint narratives (Issue column). Reads the shared data
folder (default /work/shared/data, or --data-dir). With --embeddings DIR (static vectors made by
scripts/distill_static_embeddings.py) the optional TF-IDF + static-embedding route runs too;
--tune adds the same route with vectors fine-tuned on each training fold (needs torch).
Usage: python bench/classify.py [--embeddings DIR [--tune]] [--skip-cfpb]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ[_var] = "1"  # one thread, set before numpy loads

import argparse  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import accuracy_score, f1_score  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from classifiers.text.blend import EmbeddingBlendModel  # noqa: E402
from classifiers.text.features import text_views  # noqa: E402
from classifiers.text.static_embeddings import StaticEmbedder  # noqa: E402
from classifiers.text.training import build_estimator  # noqa: E402

CFPB_MIN_PER_ISSUE = 10  # rarer issues cannot be split 5 ways and calibrated 3 ways
TUNED_WEIGHT = 1.0  # tuned vectors fit the training rows closely; weight 1 beat 0.4-4 (fold 1)


class Contender:
    """A model plus the step that turns raw strings into what it reads."""

    def __init__(self, name: str, make: Callable[[], Any], prepare: Callable[..., Any]):
        self.name, self.make, self.prepare = name, make, prepare


class TunedBlend:
    """The blend with its vectors first fine-tuned on the rows it is fitted on."""

    def __init__(self, embedder: StaticEmbedder) -> None:
        self.embedder = embedder

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> TunedBlend:
        from classifiers.text.tune_embeddings import tune_embedder

        tuned = tune_embedder(self.embedder, texts, labels)
        self.model = EmbeddingBlendModel(tuned, embedding_weight=TUNED_WEIGHT).fit(texts, labels)
        return self

    def predict(self, texts: Sequence[str]) -> list[str]:
        return self.model.predict(texts)


def contenders(embedder: StaticEmbedder | None = None, tune: bool = False) -> list[Contender]:
    baseline = Contender(
        "TF-IDF + LogisticRegression (baseline)",
        lambda: make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000)),
        list,
    )
    found = [Contender("winback default", build_estimator, text_views), baseline]
    if embedder is not None:
        make_blend = lambda: EmbeddingBlendModel(embedder)  # noqa: E731
        found.append(Contender("TF-IDF + static embeddings (optional)", make_blend, list))
    if embedder is not None and tune:
        make_tuned = lambda: TunedBlend(embedder)  # noqa: E731
        found.append(Contender("TF-IDF + tuned static embeddings", make_tuned, list))
    return found


def cross_validate(contender: Contender, texts: Sequence[str], labels: np.ndarray) -> dict:
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    predicted = np.empty(len(labels), dtype=object)
    texts_array = np.array(texts, dtype=object)
    for train, test in folds.split(texts_array, labels):
        model = contender.make().fit(contender.prepare(list(texts_array[train])), labels[train])
        predicted[test] = model.predict(contender.prepare(list(texts_array[test])))
    model = contender.make().fit(contender.prepare(list(texts)), labels)
    rates = []
    for _ in range(3):
        start = time.perf_counter()
        model.predict(contender.prepare(list(texts)))
        rates.append(len(texts) / (time.perf_counter() - start))
    return {
        "accuracy": accuracy_score(labels, predicted),
        "macro_f1": f1_score(labels, predicted, average="macro"),
        "texts_per_s": max(rates),
    }


def report(
    title: str,
    texts: Sequence[str],
    labels: np.ndarray,
    embedder: StaticEmbedder | None,
    tune: bool = False,
) -> None:
    print(f"\n{title}: {len(texts)} texts, {len(set(labels))} labels, 5-fold stratified CV")
    print(f"load average at start (1, 5, 15 min): {os.getloadavg()}; cpus: {os.cpu_count()}")
    print(f"{'model':<42} {'accuracy':>9} {'macro-F1':>9} {'texts/s':>9}")
    results = {}
    for contender in contenders(embedder, tune):
        started = time.perf_counter()
        results[contender.name] = score = cross_validate(contender, texts, labels)
        print(
            f"{contender.name:<42} {100 * score['accuracy']:8.2f}% {100 * score['macro_f1']:8.2f}% "
            f"{score['texts_per_s']:9,.0f}   ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    ours, base = (results[c.name] for c in contenders()[:2])
    print(
        f"ratio winback/baseline: accuracy {ours['accuracy'] / base['accuracy']:.3f}, "
        f"macro-F1 {ours['macro_f1'] / base['macro_f1']:.3f}, "
        f"speed {ours['texts_per_s'] / base['texts_per_s']:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path("/work/shared/data"))
    parser.add_argument("--embeddings", type=Path, help="static embeddings dir (optional route)")
    parser.add_argument("--tune", action="store_true", help="also fine-tune the vectors per fold")
    parser.add_argument("--skip-cfpb", action="store_true", help="BANKING77 only")
    args = parser.parse_args()
    embedder = StaticEmbedder.load(args.embeddings) if args.embeddings else None
    banking = pd.read_csv(args.data_dir / "banking77" / "train.csv")
    report(
        "BANKING77 (train.csv)",
        banking["text"].tolist(),
        banking["category"].to_numpy(),
        embedder,
        args.tune,
    )
    if args.skip_cfpb:
        return
    cfpb = pd.read_csv(args.data_dir / "cfpb" / "complaints_2015_2020.csv")
    cfpb = cfpb.dropna(subset=["Consumer complaint narrative", "Issue"])
    counts = Counter(cfpb["Issue"])
    cfpb = cfpb[cfpb["Issue"].map(counts) >= CFPB_MIN_PER_ISSUE]
    report(
        f"CFPB narratives, Issue column (issues with >= {CFPB_MIN_PER_ISSUE} complaints)",
        cfpb["Consumer complaint narrative"].tolist(),
        cfpb["Issue"].to_numpy(),
        embedder,
    )


if __name__ == "__main__":
    main()
