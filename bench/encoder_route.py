"""Benchmark the encoder route against the linear route in one process: accuracy and speed.

The encoder route serves a fine-tuned sentence encoder (classifiers/text/encoder_route.py);
its price is prediction speed. This fits the default linear model on BANKING77 train (shipped
in the repo), loads a fine-tuned encoder, and scores both through CategoryModel.predict on the
BANKING77 test split (bench/data, shipped): accuracy, macro-F1, and texts/s on one thread,
best of --repeat, with the speed ratio. The encoder is a `teacher/` folder written by
`scripts/train_teacher_student.py --test-split bench/data/banking77/test.csv --teacher-only`
(or the `encoder_model/` folder of an encoder-route model). Without torch or such a folder it
says so and exits 0: the route is optional.
Usage: python bench/encoder_route.py [--teacher DIR] [--repeat 3]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ[_var] = "1"  # one thread, set before numpy loads

import argparse  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

from sklearn.metrics import accuracy_score, f1_score  # noqa: E402

from classifiers.text.data import read_labelled_csv  # noqa: E402
from classifiers.text.distilled import missing_modules  # noqa: E402
from classifiers.text.encoder_route import SERVING_MODULES, EncoderEstimator  # noqa: E402
from classifiers.text.features import text_views  # noqa: E402
from classifiers.text.model import CategoryModel  # noqa: E402
from classifiers.text.training import build_estimator  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ROOT / "winback" / "sample_data" / "banking77" / "train.csv"
TEST = ROOT / "bench" / "data" / "banking77" / "test.csv"
DEFAULT_TEACHER = ROOT / ".winback/teacher/e4-lr0.0001-head0.001-len48/all-train/teacher"


def scored(
    name: str, model: CategoryModel, texts: Sequence[str], labels: Sequence[str], repeat: int
) -> float:
    """Print accuracy, macro-F1 and texts/s (best of repeat); return the seconds."""
    timings, predicted = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        predicted = model.predict_labels(texts)
        timings.append(time.perf_counter() - started)
    seconds = min(timings)
    print(
        f"{name:<34} accuracy {accuracy_score(labels, predicted):.2%}  macro-F1 "
        f"{f1_score(labels, predicted, average='macro'):.2%}  {len(texts) / seconds:,.0f} texts/s"
    )
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--teacher", type=Path, default=DEFAULT_TEACHER)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    missing = missing_modules(SERVING_MODULES)
    if missing or not (args.teacher / "teacher.safetensors").is_file():
        reason = f"{', '.join(missing)} not installed" if missing else f"no {args.teacher}"
        print(f"encoder route: skipped ({reason}); see the module docstring")
        return
    from classifiers.text.teacher_model import TeacherClassifier

    train, test = (
        read_labelled_csv(TRAIN, "text", "category"),
        read_labelled_csv(TEST, "text", "category"),
    )
    print(f"BANKING77: fit on {len(train.texts)} train texts, score {len(test.texts)} test texts")
    stages = {label: "intent" for label in set(train.labels)}
    linear = build_estimator().fit(text_views(train.texts), train.labels)
    encoder = TeacherClassifier.load(args.teacher, threads=1)
    base = scored(
        "linear route (baseline)",
        CategoryModel(linear, stages, "bench"),
        test.texts,
        test.labels,
        args.repeat,
    )
    served = scored(
        f"encoder route ({args.teacher.parent.name})",
        CategoryModel(EncoderEstimator(encoder), stages, "bench"),
        test.texts,
        test.labels,
        args.repeat,
    )
    print(f"encoder route speed / linear route speed: {base / served:.4f}")


if __name__ == "__main__":
    main()
