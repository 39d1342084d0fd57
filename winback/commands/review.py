"""`winback review`: list low-confidence feedback and label it; labels feed the next training."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from classifiers.text.review_queue import (
    ReviewError,
    apply_review_label,
    export_training_rows,
    mark_for_review,
    pending_reviews,
)
from classifiers.text.taxonomy_store import sync_taxonomy
from playbooks.taxonomy import load_taxonomy
from store.db import transaction
from winback.runtime import open_runtime

DEFAULT_THRESHOLD = 0.4


def review(
    threshold: Annotated[
        float, typer.Option(help="Queue classified items below this confidence.")
    ] = DEFAULT_THRESHOLD,
    limit: Annotated[int, typer.Option(help="How many queued items to show.")] = 20,
    item: Annotated[int | None, typer.Option("--item", help="Item id to label.")] = None,
    label: Annotated[str | None, typer.Option("--label", help="Category id for --item.")] = None,
    reviewer: Annotated[str, typer.Option(help="Who is labelling.")] = "cli",
    interactive: Annotated[bool, typer.Option(help="Ask for a label per queued item.")] = False,
    export: Annotated[
        Path | None, typer.Option(help="Write reviewed items as text,label CSV.")
    ] = None,
) -> None:
    """Queue low-confidence items, then list them, label one (--item/--label) or export labels."""
    runtime = open_runtime()
    with transaction(runtime.sessions) as session:
        sync_taxonomy(session, load_taxonomy(runtime.settings.taxonomy_path))
        queued = mark_for_review(session, threshold)
    if item is not None or label is not None:
        if item is None or label is None:
            typer.echo("error: --item and --label go together", err=True)
            raise typer.Exit(2)
        _label(runtime.sessions, item, label, reviewer)
    elif interactive:
        with runtime.sessions() as session:
            waiting = [(i.id, i.text, i.category_id) for i in pending_reviews(session, limit)]
        for item_id, text, guess in waiting:
            typer.echo(f"\n#{item_id} (model: {guess}) {text[:300]}")
            answer = typer.prompt("category (blank to skip)", default="", show_default=False)
            if answer.strip():
                _label(runtime.sessions, item_id, answer.strip(), reviewer)
    if export is not None:
        with runtime.sessions() as session:
            rows = export_training_rows(session)
        with export.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["text", "label"])
            writer.writerows((row.text, row.label) for row in rows)
        typer.echo(f"exported {len(rows)} reviewed rows to {export}")
    if item is None and not interactive and export is None:
        _show_queue(runtime.sessions, limit, queued)


def _label(sessions: sessionmaker[Session], item_id: int, label: str, reviewer: str) -> None:
    try:
        with transaction(sessions) as session:
            apply_review_label(session, item_id, label, reviewer)
    except ReviewError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"item {item_id} labelled {label} by {reviewer}")


def _show_queue(sessions: sessionmaker[Session], limit: int, queued: int) -> None:
    with sessions() as session:
        items = pending_reviews(session, limit)
        table = Table("id", "confidence", "model says", "text")
        for entry in items:
            table.add_row(
                str(entry.id),
                f"{entry.confidence:.2f}" if entry.confidence is not None else "",
                entry.category_id or "",
                entry.text[:80],
            )
    typer.echo(f"{queued} newly queued; {len(items)} shown")
    Console(width=140).print(table)


def register(app: typer.Typer) -> None:
    app.command()(review)
