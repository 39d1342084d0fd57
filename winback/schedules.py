"""Temporal Schedules created or updated in place, so `... schedule` commands are idempotent."""

from __future__ import annotations

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
