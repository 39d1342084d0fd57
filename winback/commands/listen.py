"""`winback listen --now`, `winback listen schedule` and `winback retrain --now`.

The commands start workflows on Temporal; a running worker (`winback up` or `winback worker`)
does the work. The schedule is created or updated in place, so running it twice is safe.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
)

from winback.cli_workflows import run_now, upsert_schedule
from winback.settings import Settings, get_settings
from winback.temporal_client import connect
from workflows.listen import LISTEN_WORKFLOW_ID, ListenInput, ListenWorkflow
from workflows.retrain import LabelledFile, RetrainInput, RetrainWorkflow

LISTEN_SCHEDULE_ID = "winback-listen"

listen_app = typer.Typer(help="Classify new feedback, roll it up, alert leaders to spikes.")


def listen_schedule(settings: Settings, task_queue: str | None = None) -> Schedule:
    """Run ListenWorkflow every settings.listen_every_minutes; skip a run while one is busy."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            ListenWorkflow.run,
            ListenInput(),
            id=LISTEN_WORKFLOW_ID,
            task_queue=task_queue or settings.task_queue,
        ),
        spec=ScheduleSpec(
            intervals=[ScheduleIntervalSpec(every=timedelta(minutes=settings.listen_every_minutes))]
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_listen_schedule(
    client: Client,
    settings: Settings,
    schedule_id: str = LISTEN_SCHEDULE_ID,
    task_queue: str | None = None,
) -> str:
    """Create the listening schedule, or update it to the current settings: "created"/"updated"."""
    return await upsert_schedule(client, schedule_id, listen_schedule(settings, task_queue))


async def _listen_now(settings: Settings) -> None:
    client = await connect(settings)
    await run_now(
        client, ListenWorkflow.run, ListenInput(), LISTEN_WORKFLOW_ID, settings.task_queue
    )


async def _schedule(settings: Settings) -> None:
    client = await connect(settings)
    outcome = await ensure_listen_schedule(client, settings)
    typer.echo(
        f"schedule {LISTEN_SCHEDULE_ID} {outcome}: every {settings.listen_every_minutes} min "
        f"on task queue {settings.task_queue}"
    )


@listen_app.callback(invoke_without_command=True)
def listen(
    ctx: typer.Context,
    now: Annotated[bool, typer.Option("--now", help="Run one listening pass and wait.")] = False,
) -> None:
    """Classify pending feedback and alert on spikes (needs a running worker)."""
    if ctx.invoked_subcommand is not None:
        return
    if not now:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)
    asyncio.run(_listen_now(get_settings()))


@listen_app.command("schedule")
def schedule() -> None:
    """Create or update the Temporal Schedule that runs listening every few minutes."""
    asyncio.run(_schedule(get_settings()))


def retrain(
    data: Annotated[Path, typer.Option(help="CSV of labelled texts to train on.")],
    gold: Annotated[Path, typer.Option(help="CSV of the fixed gold set both models face.")],
    now: Annotated[bool, typer.Option("--now", help="Run the retraining now and wait.")] = False,
    text_column: Annotated[str, typer.Option(help="Column holding the text.")] = "text",
    label_column: Annotated[str, typer.Option(help="Column holding the category.")] = "label",
    preset: Annotated[
        str | None, typer.Option(help="Map the files' labels with a preset (bitext, ...).")
    ] = None,
    margin: Annotated[
        float, typer.Option(help="Promote unless macro-F1 is worse than live by more.")
    ] = 0.01,
    route: Annotated[
        str, typer.Option(help="linear, distilled or encoder (see `winback model train --help`).")
    ] = "linear",
    encoder: Annotated[
        Path | None, typer.Option(help="Sentence-encoder folder on the worker to fine-tune.")
    ] = None,
    timeout_minutes: Annotated[
        float | None,
        typer.Option(
            help="Longest a training or scoring step may run; default 30, or 480 off linear."
        ),
    ] = None,
) -> None:
    """Train a candidate, compare it with the live model on the gold set, promote if not worse."""
    if not now:
        typer.echo("nothing to do: pass --now to retrain (a schedule is not offered)")
        raise typer.Exit(2)

    def labelled(path: Path) -> LabelledFile:
        return LabelledFile(str(path.resolve()), text_column, label_column, preset)

    if timeout_minutes is None:
        timeout_minutes = 30.0 if route == "linear" else 480.0  # mpnet: hours on 2 cores
    params = RetrainInput(
        data=labelled(data),
        gold=labelled(gold),
        margin=margin,
        activity_timeout_seconds=timeout_minutes * 60,
        route=route,
        encoder=str(encoder.resolve()) if encoder else "",
    )
    asyncio.run(_retrain_now(get_settings(), params))


async def _retrain_now(settings: Settings, params: RetrainInput) -> None:
    client = await connect(settings)
    result = await run_now(
        client, RetrainWorkflow.run, params, "winback-retrain", settings.task_queue
    )
    if result.status == "failed":
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(listen_app, name="listen")
    app.command("retrain")(retrain)
