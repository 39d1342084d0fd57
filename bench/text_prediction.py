"""Benchmark the text model's prediction path against sklearn's and spaCy's own, in one process.

winback reads lemmas per whitespace-free run of text, from spaCy's tokenizer plus per-process
caches (classifiers/text/features.py), and counts char n-grams per distinct word
(classifiers/text/fast_features.py). Both must give exactly what the plain libraries give;
this prints how much faster they are. The baseline is the same fitted default model fed by the
full spaCy pipeline (token.lemma_ per token) and ColumnTransformer.transform. One thread, best
of --repeat, on BANKING77 train (shipped in the repo) after fitting on it, so the caches are
warm; the last line scores texts the model has not seen (--unseen, the BANKING77 test split),
each repeat with the run cache holding only what the training texts filled, as in a worker
that has just trained.
Usage: python bench/text_prediction.py [--repeat 5] [--data CSV] [--unseen CSV]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ[_var] = "1"  # one thread, set before numpy loads

import argparse  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from classifiers.text import features as text_features  # noqa: E402
from classifiers.text.data import read_labelled_csv  # noqa: E402
from classifiers.text.fast_features import predict_proba, transform_features  # noqa: E402
from classifiers.text.features import LEMMAS, RAW, clip, text_pipeline, text_views  # noqa: E402
from classifiers.text.training import build_estimator  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "winback" / "sample_data" / "banking77" / "train.csv"
UNSEEN = ROOT / "bench" / "data" / "banking77" / "test.csv"


def pipeline_views(texts: Sequence[str]) -> pd.DataFrame:
    """text_views as spaCy's full pipeline makes them (the baseline)."""
    clipped = [clip(text) for text in texts]
    lemmas = [
        " ".join(token.lemma_.lower() for token in doc if not token.is_space)
        for doc in text_pipeline().pipe(clipped, batch_size=256)
    ]
    return pd.DataFrame({RAW: clipped, LEMMAS: lemmas})


def best_seconds(
    run: Callable[[], object], repeat: int, prepare: Callable[[], object] = lambda: None
) -> float:
    timings = []
    for _ in range(repeat):
        prepare()
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    return min(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=SAMPLE)
    parser.add_argument("--unseen", type=Path, default=UNSEEN)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows = read_labelled_csv(args.data, "text", "category")
    texts = rows.texts
    unseen = read_labelled_csv(args.unseen, "text", "category").texts
    print(f"fitting the default model on {len(texts):,} texts ...", flush=True)
    estimator = build_estimator().fit(text_views(texts), rows.labels)
    features, classifier = estimator[0], estimator[-1]

    baseline_views, views = pipeline_views(texts), text_views(texts)
    if not baseline_views.equals(views):
        raise SystemExit("the lemma cache and spaCy's pipeline disagree: not benchmarking")
    if (features.transform(views) != transform_features(features, views)).nnz:
        raise SystemExit("transform_features and sklearn disagree: not benchmarking")

    stages = [
        ("lemmas + views", lambda: pipeline_views(texts), lambda: text_views(texts)),
        (
            "TF-IDF features",
            lambda: features.transform(views),
            lambda: transform_features(features, views),
        ),
        (
            "whole predict_proba from raw texts",
            lambda: classifier.predict_proba(features.transform(pipeline_views(texts))),
            lambda: predict_proba(estimator, text_views(texts)),
        ),
    ]
    print(f"{'stage':<36} {'baseline texts/s':>17} {'winback texts/s':>16} {'ratio':>6}")
    for name, baseline, winback in stages:
        slow, fast = best_seconds(baseline, args.repeat), best_seconds(winback, args.repeat)
        rates = f"{len(texts) / slow:>17,.0f} {len(texts) / fast:>16,.0f}"
        print(f"{name:<36} {rates} {slow / fast:>6.2f}")

    def runs_of_training_texts_only() -> None:
        text_features._run_lemmas.cache_clear()
        text_features.lemma_strings(texts)

    slow = best_seconds(
        lambda: classifier.predict_proba(features.transform(pipeline_views(unseen))), args.repeat
    )
    fast = best_seconds(
        lambda: predict_proba(estimator, text_views(unseen)),
        args.repeat,
        prepare=runs_of_training_texts_only,
    )
    rates = f"{len(unseen) / slow:>17,.0f} {len(unseen) / fast:>16,.0f}"
    print(f"{'same, on ' + f'{len(unseen):,} unseen texts':<36} {rates} {slow / fast:>6.2f}")
    same = np.array_equal(
        classifier.predict_proba(features.transform(baseline_views)),
        predict_proba(estimator, views),
    )
    same_unseen = np.array_equal(
        classifier.predict_proba(features.transform(pipeline_views(unseen))),
        predict_proba(estimator, text_views(unseen)),
    )
    print(f"probabilities identical to the baseline's: {same} (unseen texts: {same_unseen})")


if __name__ == "__main__":
    main()
