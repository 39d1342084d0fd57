"""BANKING77: fine-tune a MiniLM teacher per fold, distil it into a fast student, measure both.

Same protocol as bench/classify.py: StratifiedKFold(5, shuffle=True, random_state=0) over the
labelled CSV; the teacher and the student see only the fold's training rows. Per fold it prints
teacher and student accuracy, macro-F1 and texts/s on one thread (best of 3, from raw strings).
Teacher weights and logits are cached under --work-dir (never committed), so student variants
can be re-run without fine-tuning again. Needs the `embeddings-train` extra (torch).
Usage: nice -n 19 python scripts/train_teacher_student.py --folds 0 [--epochs 3] [--augment 4]
       nice -n 19 python scripts/train_teacher_student.py --test-split bench/data/banking77/test.csv
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ[_var] = "1"  # prediction speed is measured on one thread; torch sets its own
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.metrics import accuracy_score, f1_score  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402

from classifiers.text.data import read_labelled_csv  # noqa: E402
from classifiers.text.teacher_augment import augment  # noqa: E402
from classifiers.text.teacher_model import TeacherClassifier, TeacherOptions  # noqa: E402
from classifiers.text.teacher_student import StudentOptions  # noqa: E402


def texts_per_second(predict: Callable[[list[str]], object], texts: list[str]) -> float:
    """Best of 3 timings of predict over all texts (raw strings in, labels out)."""
    rates = []
    for _ in range(3):
        started = time.perf_counter()
        predict(texts)
        rates.append(len(texts) / (time.perf_counter() - started))
    return max(rates)


def scores(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    return {
        "accuracy": round(100 * accuracy_score(truth, predicted), 2),
        "macro_f1": round(100 * f1_score(truth, predicted, average="macro"), 2),
    }


def teacher_phase(
    fold_dir: Path,
    train_texts: list[str],
    train_labels: list[str],
    test_texts: list[str],
    options: TeacherOptions,
    per_text: int,
) -> dict:
    """Fine-tune (or reload) the fold's teacher; cache its logits on train, variants and test."""
    import torch

    cache = fold_dir / f"logits-aug{per_text}.npz"
    summary_file = fold_dir / "teacher.json"
    if cache.is_file() and summary_file.is_file():
        return json.loads(summary_file.read_text(encoding="utf-8"))
    teacher_dir = fold_dir / "teacher"
    started = time.perf_counter()
    if (teacher_dir / "teacher.safetensors").is_file():
        teacher = TeacherClassifier.load(teacher_dir, options)
        earlier = json.loads(summary_file.read_text(encoding="utf-8"))
        train_seconds = earlier["train_seconds"]
        teacher.epoch_seconds_ = earlier["epoch_seconds"]
    else:
        teacher = TeacherClassifier(options).fit(train_texts, train_labels)
        train_seconds = round(time.perf_counter() - started, 1)
        teacher.save(teacher_dir)
        epochs = [round(seconds, 1) for seconds in teacher.epoch_seconds_]
        trained = {"train_seconds": train_seconds, "epoch_seconds": epochs}
        summary_file.write_text(json.dumps(trained), encoding="utf-8")
    variants = augment(train_texts, per_text, seed=0)
    started = time.perf_counter()
    train_logits, variant_logits = teacher.logits(train_texts), teacher.logits(variants)
    label_seconds = round(time.perf_counter() - started, 1)
    test_logits = teacher.logits(test_texts)
    predicted = [teacher.classes_[i] for i in test_logits.argmax(axis=1)]
    np.savez(
        cache,
        train=train_logits,
        variants=variant_logits,
        test=test_logits,
        variant_texts=np.array(variants, dtype=np.str_),
    )
    torch.set_num_threads(1)
    sample = test_texts[:500]
    speed = texts_per_second(teacher.predict, sample)
    torch.set_num_threads(options.threads)
    summary = {
        "classes": teacher.classes_,
        "train_seconds": train_seconds,
        "epoch_seconds": [round(s, 1) for s in teacher.epoch_seconds_],
        "label_seconds_train_and_variants": label_seconds,
        "texts_per_s_1_thread": round(speed, 1),
        "test": predicted,
    }
    summary_file.write_text(json.dumps(summary), encoding="utf-8")
    return summary


def teacher_vectors(fold_dir: Path, pca_dims: int = 256) -> Path:
    """Static vectors distilled (model2vec) from the fold's fine-tuned encoder, made once."""
    out = fold_dir / "teacher-vectors"
    if not (out / "vectors.npz").is_file():
        from model2vec.distill import distill

        from classifiers.text.static_embeddings import StaticEmbedder

        started = time.perf_counter()
        static = distill(str(fold_dir / "teacher" / "encoder"), pca_dims=pca_dims)
        StaticEmbedder(static.tokenizer, np.asarray(static.embedding, np.float32)).save(out)
        print(f"  teacher vectors distilled in {time.perf_counter() - started:.0f} s", flush=True)
    return out


def student_phase(
    fold_dir: Path,
    teacher: dict,
    per_text: int,
    embedder_dir: Path,
    train_texts: list[str],
    train_labels: list[str],
    test_texts: list[str],
    test_labels: list[str],
    all_texts: list[str],
    which: Sequence[str],
    student_options: StudentOptions,
) -> None:
    """Fit each student on the fold's training rows and the teacher's logits; print its scores."""
    from classifiers.text.blend import EmbeddingBlendModel
    from classifiers.text.static_embeddings import StaticEmbedder
    from classifiers.text.teacher_student import SoftLinearStudent, hard_label_student

    embedder = StaticEmbedder.load(embedder_dir)
    with np.load(fold_dir / f"logits-aug{per_text}.npz", allow_pickle=False) as cached:
        train_logits, variant_logits = cached["train"], cached["variants"]
        variants = [str(text) for text in cached["variant_texts"]]
    classes = teacher["classes"]
    makers: dict[str, Callable[[], object]] = {
        "blend": lambda: EmbeddingBlendModel(embedder).fit(train_texts, train_labels),
        "hard": lambda: hard_label_student(
            embedder,
            train_texts,
            train_labels,
            variants,
            [classes[i] for i in variant_logits.argmax(axis=1)],
        ),
        "self": lambda: hard_label_student(
            embedder,
            train_texts,
            train_labels,
            variants,
            [train_labels[i // per_text] for i in range(len(variants))],
        ),
        "soft": lambda: SoftLinearStudent(embedder, student_options).fit(
            train_texts, train_labels, classes, train_logits, variants, variant_logits
        ),
    }
    for name in which:
        started = time.perf_counter()
        model = makers[name]()
        train_seconds = time.perf_counter() - started
        result = scores(test_labels, model.predict(test_texts))  # type: ignore[attr-defined]
        result["texts_per_s_1_thread"] = round(texts_per_second(model.predict, all_texts))  # type: ignore[attr-defined]
        result["train_seconds"] = round(train_seconds, 1)
        print(f"  student {name}: {json.dumps(result)}", flush=True)


def student_options(args: argparse.Namespace) -> StudentOptions:
    return StudentOptions(
        temperature=args.temperature,
        label_share=args.label_share,
        epochs=args.student_epochs,
        learning_rate=args.student_lr,
        embedding_weight=args.embedding_weight,
    )


def run_split(
    args: argparse.Namespace,
    name: str,
    fold_dir: Path,
    train: tuple[list[str], list[str]],
    held_out: tuple[list[str], list[str]],
    timing_texts: list[str],
) -> None:
    """Teacher then students on one split: a CV fold, or all of train against the test split."""
    fold_dir.mkdir(parents=True, exist_ok=True)
    print(f"{name}: {len(train[0])} train, {len(held_out[0])} held out", flush=True)
    options = TeacherOptions(
        epochs=args.epochs,
        learning_rate=args.lr,
        head_learning_rate=args.head_lr,
        batch_size=args.batch_size,
        max_length=args.max_length,
        threads=args.threads,
        seed=args.seed,
    )
    teacher = teacher_phase(fold_dir, *train, held_out[0], options, args.augment)
    shown = {k: v for k, v in teacher.items() if k not in ("classes", "test")}
    shown.update(scores(held_out[1], teacher["test"]))
    print(f"{name} teacher: {json.dumps(shown)}", flush=True)
    if args.teacher_only:
        return
    student_phase(
        fold_dir,
        teacher,
        args.augment,
        teacher_vectors(fold_dir) if args.teacher_vectors else args.embeddings,
        *train,
        *held_out,
        timing_texts,
        args.students.split(","),
        student_options(args),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--data", type=Path, default=Path("winback/sample_data/banking77/train.csv")
    )
    parser.add_argument("--text-col", default="text")
    parser.add_argument("--label-col", default="category")
    parser.add_argument("--folds", default="0", help="comma-separated fold numbers, 0-4")
    parser.add_argument(
        "--test-split",
        type=Path,
        help="train on all of --data and evaluate on this CSV instead of CV folds "
        "(bench/data/banking77/test.csv); never choose settings with it",
    )
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--lr", type=float, default=1e-4, help="encoder learning rate")
    parser.add_argument("--head-lr", type=float, default=1e-3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=48)
    parser.add_argument("--threads", type=int, default=2, help="torch threads for training")
    parser.add_argument("--seed", type=int, default=0, help="teacher seed (another teacher)")
    parser.add_argument("--augment", type=int, default=4, help="variants per training text")
    parser.add_argument("--embeddings", type=Path, default=Path(".winback/embeddings/minilm-256"))
    parser.add_argument("--work-dir", type=Path, default=Path(".winback/teacher"))
    parser.add_argument("--teacher-only", action="store_true")
    parser.add_argument(
        "--teacher-vectors",
        action="store_true",
        help="students use vectors distilled from the fine-tuned encoder, not --embeddings",
    )
    parser.add_argument("--students", default="blend,hard,soft", help="blend, self, hard, soft")
    parser.add_argument("--temperature", type=float, default=2.0)
    parser.add_argument("--label-share", type=float, default=0.5)
    parser.add_argument("--student-epochs", type=int, default=12)
    parser.add_argument("--student-lr", type=float, default=2e-3)
    parser.add_argument("--embedding-weight", type=float, default=1.0)
    args = parser.parse_args()

    rows = read_labelled_csv(args.data, args.text_col, args.label_col)
    run = f"e{args.epochs}-lr{args.lr:g}-head{args.head_lr:g}-len{args.max_length}"
    run_dir = args.work_dir / (run if args.seed == 0 else f"{run}-seed{args.seed}")
    if args.test_split:
        test = read_labelled_csv(args.test_split, args.text_col, args.label_col)
        train = (rows.texts, rows.labels)
        held_out = (test.texts, test.labels)
        run_split(
            args, "all train -> test split", run_dir / "all-train", train, held_out, rows.texts
        )
        return
    texts, labels = np.array(rows.texts, dtype=object), np.array(rows.labels, dtype=object)
    folds = list(StratifiedKFold(n_splits=5, shuffle=True, random_state=0).split(texts, labels))
    for fold in (int(f) for f in args.folds.split(",")):
        train_rows, test_rows = folds[fold]
        run_split(
            args,
            f"fold {fold}",
            run_dir / f"fold-{fold}",
            (list(texts[train_rows]), list(labels[train_rows])),
            (list(texts[test_rows]), list(labels[test_rows])),
            list(texts),
        )


if __name__ == "__main__":
    main()
