"""Starting workflows from the CLI: run one now and print its result, or create/update its
Temporal Schedule in place (so `winback ... schedule` commands are idempotent)."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Any

import typer
from temporalio.client import (
    Client,
    Schedule,
    ScheduleAlreadyRunningError,
    ScheduleUpdate,
    ScheduleUpdateInput,
)


async def upsert_schedule(client: Client, schedule_id: str, schedule: Schedule) -> str:
    """Create `schedule_id`, or replace its definition if it exists: "created" | "updated"."""
    try:
        await client.create_schedule(schedule_id, schedule)
        return "created"
    except ScheduleAlreadyRunningError:
        pass

    def replace(_current: ScheduleUpdateInput) -> ScheduleUpdate:
        return ScheduleUpdate(schedule=schedule)

    await client.get_schedule_handle(schedule_id).update(replace)
    return "updated"


async def run_now(client: Client, run: Any, arg: Any, id_prefix: str, task_queue: str) -> Any:
    """Run a workflow under `<id_prefix>-now-<random>`, wait, print its result's fields."""
    result = await client.execute_workflow(
        run, arg, id=f"{id_prefix}-now-{uuid.uuid4().hex[:8]}", task_queue=task_queue
    )
    for key, value in asdict(result).items():
        typer.echo(f"{key}: {value}")
    return result
