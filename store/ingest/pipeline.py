"""Import one input all-or-nothing: validate every row first, then write in one transaction.

The CLI (`winback ingest`), the HTTP API (`POST /api/v1/<kind>`) and the demo loader all
come through here, so every input meets the same checks and the same upsert.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from store.db import transaction
from store.ingest.errors import ErrorCollector
from store.ingest.progress import ProgressSink, RichProgress, SilentProgress
from store.ingest.readers import RowStream, format_for, read_lines, read_records
from store.ingest.schemas import KINDS, SCHEMAS, IngestOptions, KindSchema
from store.ingest.schemas.base import Record, RowInvalid
from store.ingest.upsert import WriteCounts, bulk_load_cache, upsert
from store.ingest.write_retry import write_retrying_deadlocks

PROGRESS_EVERY = 10_000  # rows between progress updates: keeps the bar off the hot path


class _Settings(Protocol):
    """The one setting ingestion reads (winback.settings.Settings has it)."""

    keep_original_text: bool


@dataclass(frozen=True)
class IngestReport:
    kind: str
    source: str
    rows: int
    inserted: int
    updated: int
    unchanged: int
    seconds: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def schema_for(kind: str) -> KindSchema:
    try:
        return SCHEMAS[kind]
    except KeyError:
        raise ValueError(f"unknown kind '{kind}'; use one of: {', '.join(KINDS)}") from None


def ingest_file(
    sessions: sessionmaker[Session],
    path: str | Path,
    kind: str,
    settings: _Settings | None = None,
    progress: bool = False,
    fmt: str | None = None,
    now: datetime | None = None,
) -> IngestReport:
    """Import a CSV or JSONL file (format from the extension unless `fmt`); IngestError if bad."""
    path = Path(path)
    fmt = format_for(path, fmt)
    bar: AbstractContextManager[ProgressSink] = (
        RichProgress() if progress else nullcontext(SilentProgress())
    )
    with path.open("rb") as handle, bar as sink:
        return _ingest(
            sessions,
            schema_for(kind),
            str(path),
            lambda errors: read_lines(handle, fmt, errors),
            _options(settings, now),
            sink,
        )


def ingest_lines(
    sessions: sessionmaker[Session],
    lines: Iterable[bytes],
    kind: str,
    source_name: str,
    fmt: str = "jsonl",
    settings: _Settings | None = None,
    now: datetime | None = None,
) -> IngestReport:
    """Import raw CSV or JSONL lines (an HTTP body, a pipe) under the name `source_name`."""
    return _ingest(
        sessions,
        schema_for(kind),
        source_name,
        lambda errors: read_lines(lines, fmt, errors),
        _options(settings, now),
        SilentProgress(),
    )


def ingest_records(
    sessions: sessionmaker[Session],
    records: list[dict[str, object]] | list[object],
    kind: str,
    source_name: str,
    settings: _Settings | None = None,
    now: datetime | None = None,
) -> IngestReport:
    """Import already-parsed records (row numbers are 1-based positions in the list)."""
    return _ingest(
        sessions,
        schema_for(kind),
        source_name,
        lambda errors: read_records(records, errors),
        _options(settings, now),
        SilentProgress(),
    )


def _options(settings: _Settings | None, now: datetime | None) -> IngestOptions:
    keep = bool(getattr(settings, "keep_original_text", False))
    return IngestOptions(now=now or datetime.now(UTC), keep_original_text=keep)


def _ingest(
    sessions: sessionmaker[Session],
    schema: KindSchema,
    source: str,
    open_rows: Callable[[ErrorCollector], RowStream],
    options: IngestOptions,
    progress: ProgressSink,
) -> IngestReport:
    started = perf_counter()
    errors = ErrorCollector(source)
    with transaction(sessions) as session:
        stream = open_rows(errors)
        _check_header(schema, stream.columns, errors)
        errors.raise_if_any()  # a broken header or encoding makes every row meaningless
        progress.phase(f"validating {schema.kind}", None)
        records, rows = _validate(session, schema, stream, options, errors, progress)
        if rows == 0 and not errors.total:
            what = "the input is empty" if not stream.columns else "only a header"
            errors.add(None, None, None, f"no data rows: {what}")
        errors.raise_if_any()
        progress.phase(f"writing {schema.kind}", len(records))

        def write() -> WriteCounts:
            connection = session.connection()
            with bulk_load_cache(connection, len(records)):
                written = upsert(connection, schema, records, progress.advance)
                if schema.after_write is not None and written.written:
                    progress.phase(f"updating what depends on {schema.kind}", None)
                    schema.after_write(connection, written.written, written.replaced)
            return written

        def again(attempt: int) -> None:
            progress.phase(f"writing {schema.kind} again (attempt {attempt})", len(records))

        counts = write_retrying_deadlocks(session, write, source, again)
    return IngestReport(
        schema.kind,
        source,
        rows,
        counts.inserted,
        counts.updated,
        counts.unchanged,
        round(perf_counter() - started, 3),
    )


def _validate(
    session: Session,
    schema: KindSchema,
    stream: RowStream,
    options: IngestOptions,
    errors: ErrorCollector,
    progress: ProgressSink,
) -> tuple[list[Record], int]:
    """Every row checked; records kept only while the input is still clean."""
    validator = schema.make_validator(session, options)
    records: list[Record] = []
    first_row_of: dict[object, int] = {}
    rows = 0
    for rows, (row, line, values) in enumerate(_known_columns(schema, stream, errors), start=1):
        if rows % PROGRESS_EVERY == 0:
            progress.advance(PROGRESS_EVERY)
        try:
            record = validator.validate(values, row, line)
        except RowInvalid as invalid:
            for problem in invalid.problems:
                errors.add(row, line, problem.field, problem.reason)
            continue
        first = first_row_of.setdefault(record[schema.key], row)
        if first != row:
            errors.add(row, line, schema.key_field, _duplicate_reason(schema, values, first))
        elif not errors.total:
            records.append(record)
    progress.advance(rows % PROGRESS_EVERY)
    for late in validator.finish():
        errors.add(late.row, late.line, late.field, late.reason)
    return (records if not errors.total else []), rows


def _known_columns(
    schema: KindSchema, stream: RowStream, errors: ErrorCollector
) -> Iterator[tuple[int, int | None, Mapping[str, object]]]:
    """JSON rows whose keys the kind accepts (a CSV header was checked once, up front)."""
    if stream.columns is not None or schema.extra_columns_to:
        yield from stream.rows
        return
    accepted = set(schema.columns)
    clean_key_sets: set[frozenset[str]] = set()
    for row, line, values in stream.rows:
        keys = frozenset(values)
        if keys not in clean_key_sets:
            unknown = sorted(keys - accepted)
            if unknown:
                errors.add(row, line, ", ".join(unknown), _unknown_column_reason(schema))
                continue
            clean_key_sets.add(keys)
        yield row, line, values


def _check_header(
    schema: KindSchema, columns: tuple[str, ...] | None, errors: ErrorCollector
) -> None:
    if not columns:
        return
    for name in schema.required:
        if name not in columns:
            errors.add(None, 1, name, "missing required column")
    unknown = [name for name in columns if name and name not in schema.columns]
    if unknown and not schema.extra_columns_to:
        errors.add(None, 1, ", ".join(unknown), _unknown_column_reason(schema))


def _unknown_column_reason(schema: KindSchema) -> str:
    return f"unknown column(s) for {schema.kind}; allowed: {', '.join(schema.columns)}"


def _duplicate_reason(schema: KindSchema, values: Mapping[str, object], first: int) -> str:
    given = values.get(schema.key_field)
    if given is not None and str(given).strip():
        return f"duplicate {schema.key_field} '{str(given).strip()}': row {first} has it too"
    return (
        f"duplicate of row {first}: same content and no {schema.key_field}; "
        f"give each row its own {schema.key_field} to keep both"
    )
