"""Benchmark winback's default category model against a plain TF-IDF + LogisticRegression.

Prints, in one run: BANKING77 5-fold CV accuracy, macro-F1 and single-thread texts/s for both
models, then the same on the CFPB complaint narratives (Issue column). Reads the shared data
folder (default /work/shared/data, or --data-dir). With --embeddings DIR (static vectors made by
scripts/distill_static_embeddings.py) the optional TF-IDF + static-embedding route runs too;
--tune adds the same route with vectors fine-tuned on each training fold (needs torch).
BANKING77 is also scored on its official test split (--test-split, default
bench/data/banking77/test.csv when present): each model is fitted on all of train and run once
on the test rows. Nothing is chosen with the test split; --skip-cv reports it alone.
Usage: python bench/classify.py [--embeddings DIR [--tune]] [--skip-cfpb] [--skip-cv]
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
from classifiers.text.data import read_labelled_csv  # noqa: E402
from classifiers.text.fast_features import predict_proba  # noqa: E402
from classifiers.text.features import text_views  # noqa: E402
from classifiers.text.static_embeddings import StaticEmbedder  # noqa: E402
from classifiers.text.training import build_estimator  # noqa: E402

CFPB_MIN_PER_ISSUE = 10  # rarer issues cannot be split 5 ways and calibrated 3 ways
TUNED_WEIGHT = 1.0  # tuned vectors fit the training rows closely; weight 1 beat 0.4-4 (fold 1)
DEFAULT_TEST_SPLIT = Path(__file__).resolve().parent / "data" / "banking77" / "test.csv"


class Contender:
    """A model plus the step that turns raw strings into what it reads."""

    def __init__(self, name: str, make: Callable[[], Any], prepare: Callable[..., Any]):
        self.name, self.make, self.prepare = name, make, prepare


class DefaultModel:
    """The default estimator, predicting as CategoryModel does (classifiers.text.fast_features)."""

    def fit(self, views: Any, labels: Sequence[str]) -> DefaultModel:
        self.estimator = build_estimator().fit(views, labels)
        return self

    def predict(self, views: Any) -> np.ndarray:
        probabilities = predict_proba(self.estimator, views)
        return self.estimator.classes_[probabilities.argmax(axis=1)]


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
    found = [Contender("winback default", DefaultModel, text_views), baseline]
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
    return {
        "accuracy": accuracy_score(labels, predicted),
        "macro_f1": f1_score(labels, predicted, average="macro"),
    }


def fit_all_and_time(
    contender: Contender,
    texts: Sequence[str],
    labels: np.ndarray,
    test: tuple[list[str], np.ndarray] | None,
) -> dict:
    """Fit on every row; score the held-out test split once; time predict on the rows."""
    model = contender.make().fit(contender.prepare(list(texts)), labels)
    found: dict = {}
    if test is not None:
        predicted = model.predict(contender.prepare(test[0]))
        found["test_accuracy"] = accuracy_score(test[1], predicted)
        found["test_macro_f1"] = f1_score(test[1], predicted, average="macro")
    rates = []
    for _ in range(3):
        start = time.perf_counter()
        model.predict(contender.prepare(list(texts)))
        rates.append(len(texts) / (time.perf_counter() - start))
    found["texts_per_s"] = max(rates)
    return found


def percent(score: dict, key: str) -> str:
    return f"{100 * score[key]:8.2f}%" if key in score else f"{'-':>9}"


def report(
    title: str,
    texts: Sequence[str],
    labels: np.ndarray,
    embedder: StaticEmbedder | None,
    tune: bool = False,
    test: tuple[list[str], np.ndarray] | None = None,
    cv: bool = True,
) -> None:
    how = "5-fold stratified CV" if cv else "no CV"
    if test is not None:
        how += f"; fitted on all rows, scored on the test split ({len(test[0])} texts)"
    print(f"\n{title}: {len(texts)} texts, {len(set(labels))} labels, {how}")
    print(f"load average at start (1, 5, 15 min): {os.getloadavg()}; cpus: {os.cpu_count()}")
    print(
        f"{'model':<42} {'CV acc':>9} {'CV mF1':>9} {'test acc':>9} {'test mF1':>9} {'texts/s':>9}"
    )
    results = {}
    for contender in contenders(embedder, tune):
        started = time.perf_counter()
        score = cross_validate(contender, texts, labels) if cv else {}
        score.update(fit_all_and_time(contender, texts, labels, test))
        results[contender.name] = score
        print(
            f"{contender.name:<42} {percent(score, 'accuracy')} {percent(score, 'macro_f1')} "
            f"{percent(score, 'test_accuracy')} {percent(score, 'test_macro_f1')} "
            f"{score['texts_per_s']:9,.0f}   ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    ours, base = (results[c.name] for c in contenders()[:2])
    key = "accuracy" if cv else "test_accuracy"
    print(
        f"ratio winback/baseline: accuracy {ours[key] / base[key]:.3f}, "
        f"speed {ours['texts_per_s'] / base['texts_per_s']:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path("/work/shared/data"))
    parser.add_argument("--embeddings", type=Path, help="static embeddings dir (optional route)")
    parser.add_argument("--tune", action="store_true", help="also fine-tune the vectors per fold")
    parser.add_argument("--skip-cfpb", action="store_true", help="BANKING77 only")
    parser.add_argument(
        "--test-split",
        type=Path,
        default=DEFAULT_TEST_SPLIT if DEFAULT_TEST_SPLIT.is_file() else None,
        help="BANKING77 official test CSV (text,category); evaluation only",
    )
    parser.add_argument("--skip-cv", action="store_true", help="test split only, no CV")
    args = parser.parse_args()
    if args.skip_cv and args.test_split is None:
        parser.error("--skip-cv needs a test split (--test-split PATH)")
    embedder = StaticEmbedder.load(args.embeddings) if args.embeddings else None
    banking = pd.read_csv(args.data_dir / "banking77" / "train.csv")
    test = None
    if args.test_split is not None:
        rows = read_labelled_csv(args.test_split, "text", "category")
        test = (rows.texts, np.array(rows.labels, dtype=object))
    report(
        "BANKING77 (train.csv)",
        banking["text"].tolist(),
        banking["category"].to_numpy(),
        embedder,
        args.tune,
        test,
        cv=not args.skip_cv,
    )
    if args.skip_cfpb or args.skip_cv:
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
