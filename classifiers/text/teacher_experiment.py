"""Steps of the teacher/student experiment (scripts/train_teacher_student.py), per split.

A split is a CV fold of BANKING77 train, or train (all of it or a fold's rows) against the
official test split. Each step caches what it makes under the split's folder (teacher weights,
logits on training texts, their variants and the held-out texts; distilled vectors), so a rerun
only redoes what is missing. Needs the `embeddings-train` extra (torch, model2vec).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from classifiers.text.teacher_augment import augment
from classifiers.text.teacher_model import WEIGHTS_FILE, TeacherClassifier, TeacherOptions
from classifiers.text.teacher_student import StudentOptions, softmax
from classifiers.text.temperature import temperature_for_entropy


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
    if (teacher_dir / WEIGHTS_FILE).is_file():
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
        from classifiers.text.distilled import distil_vectors

        started = time.perf_counter()
        distil_vectors(fold_dir / "teacher" / "encoder", pca_dims).save(out)
        print(f"  teacher vectors distilled in {time.perf_counter() - started:.0f} s", flush=True)
    return out


def ensemble_phase(
    fold_dir: Path,
    teacher: dict,
    teacher_dirs: Sequence[Path],
    per_text: int,
    options: TeacherOptions,
) -> tuple[dict, Path]:
    """Average the class probabilities of this split's teacher and other fine-tuned teachers.

    Each extra teacher labels the same texts (cached per teacher); the mean probability is
    stored as logits (its log), so students read it like a single teacher's output.
    """
    base = fold_dir / f"logits-aug{per_text}.npz"
    with np.load(base, allow_pickle=False) as cached:
        parts = {key: cached[key] for key in ("train", "variants", "test", "variant_texts")}
    with np.load(fold_dir / "texts.npz", allow_pickle=False) as cached:
        train_texts, test_texts = cached["train"].tolist(), cached["test"].tolist()
    variants = parts["variant_texts"].tolist()
    probabilities = {key: softmax(parts[key]) for key in ("train", "variants", "test")}
    for teacher_dir in teacher_dirs:
        cache = fold_dir / f"logits-aug{per_text}-{teacher_dir.parent.name}.npz"
        if not cache.is_file():
            other = TeacherClassifier.load(teacher_dir, options)
            if other.classes_ != teacher["classes"]:
                raise SystemExit(f"{teacher_dir}: its classes differ from this split's teacher")
            np.savez(
                cache,
                train=other.logits(train_texts),
                variants=other.logits(variants),
                test=other.logits(test_texts),
            )
        with np.load(cache, allow_pickle=False) as cached:
            for key in probabilities:
                probabilities[key] = probabilities[key] + softmax(cached[key])
    size = 1 + len(teacher_dirs)
    mean_logits = {key: np.log(value / size) for key, value in probabilities.items()}
    out = fold_dir / f"logits-aug{per_text}-ensemble{size}.npz"
    np.savez(
        out,
        variant_texts=parts["variant_texts"],
        train=mean_logits["train"],
        variants=mean_logits["variants"],
        test=mean_logits["test"],
    )
    predicted = [teacher["classes"][i] for i in mean_logits["test"].argmax(axis=1)]
    return {"classes": teacher["classes"], "teachers": size, "test": predicted}, out


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
    logits_file: Path | None = None,
    target_entropy: float | None = None,
) -> None:
    """Fit each student on the fold's training rows and the teacher's logits; print its scores.

    With target_entropy the soft student's temperature is the one at which the teacher's
    targets on the variants reach that mean entropy (classifiers.text.temperature).
    """
    from classifiers.text.blend import EmbeddingBlendModel
    from classifiers.text.static_embeddings import StaticEmbedder
    from classifiers.text.teacher_student import SoftLinearStudent, hard_label_student

    embedder = StaticEmbedder.load(embedder_dir)
    logits_file = logits_file or fold_dir / f"logits-aug{per_text}.npz"
    with np.load(logits_file, allow_pickle=False) as cached:
        train_logits, variant_logits = cached["train"], cached["variants"]
        variants = [str(text) for text in cached["variant_texts"]]
    classes = teacher["classes"]
    if target_entropy is not None:
        matched = temperature_for_entropy(variant_logits, target_entropy)
        student_options = replace(student_options, temperature=matched)
        print(f"  temperature {matched:.3f} gives the variant targets {target_entropy} nats")
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
