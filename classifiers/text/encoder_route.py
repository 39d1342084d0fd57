"""The encoder route: serve the fine-tuned sentence encoder itself (torch at prediction too).

The most accurate route and the slowest. On the BANKING77 test split the fine-tuned MiniLM
scores 93.7% at 180-250 texts/s on one CPU thread and a fine-tuned all-mpnet-base-v2
(`--encoder`) 94.2% at 20-40 texts/s, against 93.5-93.7% at about 13,000 texts/s for the
distilled route's student (docs/models.md). A few thousand feedback items a day take seconds
with MiniLM and a few minutes with mpnet, so a team that wants the last half point and has the
torch extra on its worker can take it. Weights are saved as safetensors with the tokenizer
and class list: no pickle anywhere.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.text.distilled import INSTALL_HINT, missing_modules, require_training_extra
from classifiers.text.features import RAW
from classifiers.text.model import ENCODER, ModelFileError
from classifiers.text.teacher_model import WEIGHTS_FILE, TeacherClassifier, TeacherOptions
from classifiers.text.teacher_student import softmax

ENCODER_DIR = "encoder_model"
SERVING_MODULES = ("torch", "transformers", "safetensors")
DESCRIPTION = "fine-tuned sentence encoder (mean pooling + linear head), served as is"


class EncoderEstimator:
    """A fine-tuned encoder behind the calls CategoryModel makes of an estimator."""

    route = ENCODER
    description = DESCRIPTION

    def __init__(self, encoder: TeacherClassifier) -> None:
        self.encoder = encoder
        # One text batch at a time: a fast tokenizer may raise "Already borrowed" when threads
        # share it (the worker runs classify batches in parallel), and torch already uses the
        # cores it was given for each batch.
        self._lock = threading.Lock()

    @property
    def classes_(self) -> np.ndarray:
        return np.array(self.encoder.classes_, dtype=object)

    def predict_proba(self, views: Any) -> np.ndarray:
        """Softmax of the encoder's logits for the raw (clipped) texts of text_views(texts)."""
        texts = [str(text) for text in views[RAW]]
        with self._lock:
            logits = self.encoder.logits(texts)
        return softmax(logits)

    def predict(self, views: Any) -> np.ndarray:
        return self.classes_[self.predict_proba(views).argmax(axis=1)]

    def save(self, directory: Path) -> Path:
        return self.encoder.save(directory / ENCODER_DIR)

    @classmethod
    def load(cls, directory: Path, threads: int | None = None) -> EncoderEstimator:
        """The saved encoder (torch on `threads` threads, default 2); ModelFileError names what
        to install or which file is missing."""
        folder = directory / ENCODER_DIR
        for required in (folder / WEIGHTS_FILE, folder / "classes.txt", folder / "encoder"):
            if not required.exists():
                raise ModelFileError(f"{directory}: missing {required.relative_to(directory)}")
        missing = missing_modules(SERVING_MODULES)
        if missing:
            raise ModelFileError(
                f"{directory}: an encoder-route model needs {', '.join(missing)} to predict: "
                f"{INSTALL_HINT}"
            )
        return cls(TeacherClassifier.load(folder, threads=threads))


def fit_encoder(
    texts: Sequence[str],
    labels: Sequence[str],
    options: TeacherOptions | None = None,
    log: Callable[[str], Any] = print,
) -> EncoderEstimator:
    """Fine-tune the encoder (the shipped MiniLM unless options.encoder names another folder)."""
    require_training_extra(ENCODER)
    texts, labels = [str(t) for t in texts], [str(label) for label in labels]
    log(f"encoder route: fine-tuning the encoder on {len(texts)} texts")
    return EncoderEstimator(TeacherClassifier(options).fit(texts, labels, log))
