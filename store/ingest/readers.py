"""Stream rows out of CSV and JSONL inputs, reporting where a file is broken.

Readers take an iterable of raw byte lines (an open binary file, or an HTTP body split on
newlines) so the CLI and the API share them. Rows come out as (row, line, values): `row` is
the 1-based data row, `line` the 1-based line where it starts.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from store.ingest.errors import ErrorCollector

FORMATS = ("csv", "jsonl")
MAX_CSV_FIELD_BYTES = 16 * 1024 * 1024  # far above any valid field: validators give the reason

RawRow = tuple[int, int | None, dict[str, object]]
_CsvReader = Any  # the type of csv.reader(...) is private (_csv.Reader)


@dataclass
class RowStream:
    """The rows of one input; `columns` is the CSV header (None for JSON, whose keys vary)."""

    columns: tuple[str, ...] | None
    rows: Iterator[RawRow]


def format_for(path: Path, explicit: str | None = None) -> str:
    """The format named, else the one the file extension says."""
    if explicit:
        if explicit not in FORMATS:
            raise ValueError(f"unknown format '{explicit}'; use one of: {', '.join(FORMATS)}")
        return explicit
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    raise ValueError(
        f"{path}: cannot tell the format from the extension '{suffix}'; "
        f"pass --format with one of: {', '.join(FORMATS)}"
    )


def utf8_lines(lines: Iterable[bytes], errors: ErrorCollector) -> Iterator[tuple[int, str]]:
    """Decode line by line; stop at the first byte that is not UTF-8 and say where it is."""
    offset = 0
    for number, raw in enumerate(lines, start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            errors.add(
                None,
                number,
                None,
                f"not UTF-8: byte 0x{raw[exc.start]:02x} at byte offset {offset + exc.start} "
                "cannot be decoded; save the file as UTF-8",
            )
            return
        if number == 1 and text.startswith("\ufeff"):
            text = text[1:]  # a UTF-8 byte-order mark, as spreadsheet exports write
        offset += len(raw)
        yield number, text


def read_csv(lines: Iterable[bytes], errors: ErrorCollector) -> RowStream:
    """Read the header now (so columns can be checked once), the rows lazily."""
    csv.field_size_limit(max(csv.field_size_limit(), MAX_CSV_FIELD_BYTES))
    # csv counts the lines it is given in reader.line_num, which gives each row's line.
    reader = csv.reader(text for _, text in utf8_lines(lines, errors))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        errors.add(None, 1, None, f"unreadable CSV header: {exc}")
        return RowStream((), iter(()))
    if not header:
        return RowStream((), iter(()))
    columns = tuple(name.strip() for name in header)
    seen: set[str] = set()
    for name in columns:
        if not name:
            errors.add(None, 1, None, "header has an empty column name")
        elif name in seen:
            errors.add(None, 1, name, "column appears twice in the header")
        seen.add(name)
    return RowStream(columns, _csv_rows(reader, columns, errors))


def _csv_rows(
    reader: _CsvReader, columns: tuple[str, ...], errors: ErrorCollector
) -> Iterator[RawRow]:
    width = len(columns)
    row = 0
    line_end = reader.line_num
    while True:
        start = line_end + 1
        try:
            values = next(reader, None)
        except csv.Error as exc:
            errors.add(row + 1, start, None, f"unreadable CSV: {exc}")
            return
        if values is None:
            return
        line_end = reader.line_num
        if not values:
            continue  # blank line
        row += 1
        if len(values) != width:
            errors.add(row, start, None, f"expected {width} fields, got {len(values)}")
            continue
        yield row, start, dict(zip(columns, values, strict=True))


def read_jsonl(lines: Iterable[bytes], errors: ErrorCollector) -> RowStream:
    def rows() -> Iterator[RawRow]:
        row = 0
        for number, text in utf8_lines(lines, errors):
            if not text.strip():
                continue
            row += 1
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                errors.add(row, number, None, f"invalid JSON: {exc.msg} (column {exc.colno})")
                continue
            if not isinstance(value, dict):
                errors.add(row, number, None, f"expected a JSON object, got {_json_type(value)}")
                continue
            yield row, number, value

    return RowStream(None, rows())


def read_records(records: Iterable[object], errors: ErrorCollector) -> RowStream:
    """Records already parsed (a JSON array body, a Python list): row = 1-based position."""

    def rows() -> Iterator[RawRow]:
        for row, value in enumerate(records, start=1):
            if not isinstance(value, dict):
                errors.add(row, None, None, f"expected a JSON object, got {_json_type(value)}")
                continue
            yield row, None, value

    return RowStream(None, rows())


def read_lines(lines: Iterable[bytes], fmt: str, errors: ErrorCollector) -> RowStream:
    return read_csv(lines, errors) if fmt == "csv" else read_jsonl(lines, errors)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    return {list: "an array", str: "a string", bool: "a boolean"}.get(type(value), "a number")
