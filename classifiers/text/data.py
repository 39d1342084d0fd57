"""Read labelled training/evaluation rows from a CSV file, with errors that name file and row."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from classifiers.presets import map_labels


class DataFileError(ValueError):
    """A data file that cannot be read; the message names the file, row and field."""


@dataclass(frozen=True)
class LabelledRows:
    texts: list[str]
    labels: list[str]
    source: str


def _decode(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataFileError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataFileError(
            f"{path}: line {line} is not UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8"
        ) from None


def read_labelled_csv(
    path: Path, text_col: str, label_col: str, preset: str | None = None
) -> LabelledRows:
    """Texts and labels from two columns; labels go through `preset` when one is named."""
    reader = csv.DictReader(io.StringIO(_decode(path), newline=""))
    header = reader.fieldnames or []
    for field in (text_col, label_col):
        if field not in header:
            raise DataFileError(f"{path}: no column {field!r} (columns: {', '.join(header)})")
    texts: list[str] = []
    labels: list[str] = []
    for row_number, row in enumerate(reader, start=1):
        text, label = row.get(text_col), row.get(label_col)
        if text is None or not text.strip():
            raise DataFileError(f"{path}: row {row_number}, field {text_col}: empty text")
        if label is None or not label.strip():
            raise DataFileError(f"{path}: row {row_number}, field {label_col}: empty label")
        texts.append(text)
        labels.append(label.strip())
    if not texts:
        raise DataFileError(f"{path}: no data rows")
    if preset:
        labels = map_labels(labels, preset, source=str(path), field=label_col)
    return LabelledRows(texts=texts, labels=labels, source=str(path))
