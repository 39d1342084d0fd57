"""Where the demo reads from, and the stable per-row randomness its synthetic dates use."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

SAMPLE_DATA = Path(__file__).resolve().parent.parent / "sample_data"

Row = dict[str, object]


class DemoDataError(ValueError):
    """A shipped sample file that does not read as expected: names file, row and field."""

    def __init__(self, path: Path, row: int, field: str, reason: str) -> None:
        super().__init__(f"{path}: row {row}, field '{field}': {reason}")


def unit(key: str) -> float:
    """A number in [0, 1) fixed by `key`: the same row gets the same synthetic date every run."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), tzinfo=UTC)


def synthetic_moment(key: str, today: date, days_back: int, from_days_back: int = 0) -> datetime:
    """A moment between `days_back` and `from_days_back` days before today, fixed by `key`."""
    span = (days_back - from_days_back) * 86400
    return noon(today) - timedelta(seconds=from_days_back * 86400 + int(unit(key) * span))


def read_csv_rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number, values) for each data row, after checking the header has `required`."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in required if name not in (reader.fieldnames or [])]
        if missing:
            raise DemoDataError(path, 0, missing[0], "column missing from the header")
        yield from enumerate(reader, start=1)


def number(path: Path, row: int, field: str, value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise DemoDataError(path, row, field, f"{value!r} is not a number") from None
