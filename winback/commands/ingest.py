"""`winback ingest KIND FILE`: load customers, events, feedback or team members from CSV/JSONL.

All-or-nothing per file: a file with any bad row writes nothing, prints where each problem is
and exits with status 2 (SystemExit: the `winback` entry point runs click with
standalone_mode=False, where a typer.Exit code would be returned and lost).
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from store.ingest import IngestError, IngestReport, ingest_file
from winback.runtime import open_runtime

PROGRESS_FROM_BYTES = 1024 * 1024  # smaller files finish before a bar is worth drawing


class Kind(StrEnum):
    customers = "customers"
    events = "events"
    feedback = "feedback"
    team = "team"


class Format(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


def ingest(
    kind: Annotated[Kind, typer.Argument(help="What the file holds.")],
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV or JSONL file.")
    ],
    fmt: Annotated[
        Format | None,
        typer.Option("--format", help="File format; by default from the extension."),
    ] = None,
    progress: Annotated[
        bool | None,
        typer.Option(
            "--progress/--no-progress", help="Progress bar; default: large files on a TTY."
        ),
    ] = None,
) -> None:
    """Validate FILE completely, then upsert it in one transaction (or write nothing)."""
    runtime = open_runtime()
    if progress is None:
        progress = sys.stderr.isatty() and file.stat().st_size >= PROGRESS_FROM_BYTES
    try:
        report = ingest_file(
            runtime.sessions,
            file,
            kind.value,
            settings=runtime.settings,
            progress=progress,
            fmt=fmt.value if fmt else None,
        )
    except IngestError as rejected:
        print_rejection(rejected, Console(stderr=True))
        raise SystemExit(2) from None
    except ValueError as problem:  # an unknown format or extension
        Console(stderr=True).print(f"[red]error:[/red] {escape(str(problem))}", soft_wrap=True)
        raise SystemExit(2) from None
    print_report(report, Console())


def print_report(report: IngestReport, console: Console) -> None:
    console.print(
        f"[green]{escape(report.source)}[/green]: {report.rows} {report.kind} rows: "
        f"{report.inserted} inserted, {report.updated} updated, {report.unchanged} unchanged "
        f"in {report.seconds:.2f} s",
        soft_wrap=True,
    )


def print_rejection(rejected: IngestError, console: Console) -> None:
    console.print(
        f"[red]rejected[/red] {escape(rejected.source)}: {rejected.total} error(s); "
        "nothing was written",
        soft_wrap=True,
    )
    for error in rejected.errors:
        console.print(f"  {escape(str(error))}", soft_wrap=True)
    if rejected.total > len(rejected.errors):
        console.print(f"  ... and {rejected.total - len(rejected.errors)} more", soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command()(ingest)
