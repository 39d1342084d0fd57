"""`winback digest schedule|now`: the weekly leaders' digest as a Temporal Schedule."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
)

from winback.cli_workflows import upsert_schedule
from winback.settings import Settings, get_settings
from winback.temporal_client import connect
from workflows.digest import DIGEST_WORKFLOW_ID, DigestInput, DigestWorkflow

DIGEST_SCHEDULE_ID = "winback-digest"
DIGEST_CRON = "0 8 * * MON"  # Monday 08:00 UTC: the week just ended

digest_app = typer.Typer(help="The weekly Customer Room digest for leaders (Slack or outbox).")


def digest_schedule(
    settings: Settings, cron: str = DIGEST_CRON, task_queue: str | None = None
) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            DigestWorkflow.run,
            DigestInput(),
            id=DIGEST_WORKFLOW_ID,
            task_queue=task_queue or settings.task_queue,
        ),
        spec=ScheduleSpec(cron_expressions=[cron]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_digest_schedule(
    client: Client,
    settings: Settings,
    cron: str = DIGEST_CRON,
    schedule_id: str = DIGEST_SCHEDULE_ID,
    task_queue: str | None = None,
) -> str:
    """Create the weekly schedule, or update it to the current settings: "created"/"updated"."""
    return await upsert_schedule(client, schedule_id, digest_schedule(settings, cron, task_queue))


@digest_app.command("schedule")
def schedule(
    cron: Annotated[str, typer.Option(help="When to send (cron, UTC).")] = DIGEST_CRON,
) -> None:
    """Create or update the weekly digest schedule."""
    settings = get_settings()

    async def run() -> str:
        return await ensure_digest_schedule(await connect(settings), settings, cron)

    typer.echo(f"digest schedule {asyncio.run(run())} ({cron})")


@digest_app.command("now")
def now(days: Annotated[int, typer.Option(help="Days the digest covers.")] = 7) -> None:
    """Send (or store) the digest now and say where it went."""
    settings = get_settings()

    async def run() -> str:
        client = await connect(settings)
        delivery = await client.execute_workflow(
            DigestWorkflow.run,
            DigestInput(days=days),
            id=f"{DIGEST_WORKFLOW_ID}-now",
            task_queue=settings.task_queue,
        )
        return f"digest {delivery.status}: {delivery.where}"

    typer.echo(asyncio.run(run()))


def register(app: typer.Typer) -> None:
    app.add_typer(digest_app, name="digest")
