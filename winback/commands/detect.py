"""`winback train risk`, `winback flags`, `winback scan --now` and `winback scan schedule`.

Scans run as ScanWorkflow on Temporal (a worker must be running: `winback up`); the schedule
is created or updated in place, so running `scan schedule` twice is safe.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
)

from classifiers.risk.queue import current_queue
from classifiers.risk.rules import load_rules
from classifiers.risk.training import LabelsFileError, train_and_register, training_set
from winback.cli_workflows import run_now, upsert_schedule
from winback.runtime import open_runtime
from winback.settings import Settings, get_settings, load_detection_rules
from winback.temporal_client import connect
from workflows.scan import SCAN_SCHEDULE_ID, ScanInput, ScanWorkflow

train_app = typer.Typer(help="Train the defector models.")
scan_app = typer.Typer(help="Score every customer, store flags, start rescues.")

AsOf = Annotated[
    str | None,
    typer.Option("--as-of", help="ISO date or instant (UTC) to score as of; default now."),
]


def parse_as_of(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"--as-of {value!r}: not an ISO date or time") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@train_app.command("risk")
def train_risk(
    labels: Annotated[Path, typer.Option("--labels", help="CSV: id + churn label (+ features).")],
    id_column: Annotated[str | None, typer.Option(help="Id column (auto).")] = None,
    label_column: Annotated[str | None, typer.Option(help="Label column (auto).")] = None,
    as_of: AsOf = None,
    rules: Annotated[
        Path | None, typer.Option(help="Detection rules YAML; default WINBACK_DETECTION_RULES.")
    ] = None,
) -> None:
    """Train the at-risk model (5-fold CV), save it with skops and make it live."""
    runtime = open_runtime()
    try:
        data = training_set(
            labels,
            runtime.sessions,
            load_rules(rules) if rules else load_detection_rules(runtime.settings),
            parse_as_of(as_of),
            id_column,
            label_column,
        )
        version, model = train_and_register(
            data, runtime.sessions, runtime.settings.models_dir, labels
        )
    except (LabelsFileError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    card = model.card
    typer.echo(
        f"risk model {version} is live: {card['rows']} rows ({data.source}), 5-fold CV "
        f"ROC-AUC {card['cv_roc_auc']:.4f}, PR-AUC {card['cv_pr_auc']:.4f}, "
        f"Brier {card['cv_brier']:.4f}"
    )


def flags(
    limit: Annotated[int, typer.Option(help="How many flags to show.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """The current defector queue: the latest scan's flags by value at risk."""
    runtime = open_runtime()
    with runtime.sessions() as session:
        queue = current_queue(session, limit)
    if as_json:
        typer.echo(json.dumps([asdict(q) for q in queue], indent=2))
        return
    if not queue:
        typer.echo("no flags yet: run `winback scan --now`")
        return
    table = Table(
        "customer",
        "kind",
        "probability",
        "value at risk",
        "status",
        "reasons",
        title=f"defector queue (scan of {queue[0].scanned_at})",
    )
    for q in queue:
        table.add_row(
            q.customer,
            q.kind,
            f"{q.probability:.0%}",
            f"{q.value_at_risk:,.0f}",
            q.status,
            "; ".join(q.reasons),
        )
    Console().print(table)


def scan_schedule_of(settings: Settings, task_queue: str | None = None) -> Schedule:
    """ScanWorkflow on settings.scan_cron; a run still busy makes the next one skip."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            ScanWorkflow.run,
            ScanInput(),
            id=SCAN_SCHEDULE_ID,
            task_queue=task_queue or settings.task_queue,
        ),
        spec=ScheduleSpec(cron_expressions=[settings.scan_cron]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_scan_schedule(
    client: Client,
    settings: Settings,
    schedule_id: str = SCAN_SCHEDULE_ID,
    task_queue: str | None = None,
) -> str:
    """Create the scan schedule, or update it to the current settings: "created"/"updated"."""
    return await upsert_schedule(client, schedule_id, scan_schedule_of(settings, task_queue))


async def _scan_now(settings: Settings, params: ScanInput) -> None:
    client = await connect(settings)
    await run_now(client, ScanWorkflow.run, params, SCAN_SCHEDULE_ID, settings.task_queue)


async def _schedule(settings: Settings) -> None:
    client = await connect(settings)
    outcome = await ensure_scan_schedule(client, settings)
    typer.echo(
        f"schedule {SCAN_SCHEDULE_ID} {outcome}: cron {settings.scan_cron!r} "
        f"on task queue {settings.task_queue}"
    )


@scan_app.callback(invoke_without_command=True)
def scan(
    ctx: typer.Context,
    now: Annotated[bool, typer.Option("--now", help="Run one scan and wait for it.")] = False,
    as_of: AsOf = None,
    partition_size: Annotated[int, typer.Option(help="Customers per partition.")] = 50_000,
    no_rescues: Annotated[bool, typer.Option("--no-rescues", help="Flag only.")] = False,
) -> None:
    """Scan all customers now (needs a running worker), or manage the schedule."""
    if ctx.invoked_subcommand is not None:
        return
    if not now:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)
    params = ScanInput(
        as_of=parse_as_of(as_of).isoformat() if as_of else None,
        partition_size=partition_size,
        start_rescues=not no_rescues,
    )
    asyncio.run(_scan_now(get_settings(), params))


@scan_app.command("schedule")
def schedule() -> None:
    """Create or update the Temporal Schedule that scans on settings.scan_cron."""
    asyncio.run(_schedule(get_settings()))


def register(app: typer.Typer) -> None:
    app.add_typer(train_app, name="train")
    app.add_typer(scan_app, name="scan")
    app.command("flags")(flags)
