"""A rescue survives its worker: stop it mid-conversation, start another, nothing doubles.

Slack is on (the local Slack Web API stub), so "no duplicate task message" is checked where
it matters: one posted message for the case, updated in place as steps complete.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client, WorkflowHandle

from store.models import RescueCase, RescueEvent, TaskMessage
from tests.support.rescue_world import eventually, make_worker, started_rescue
from tests.support.slack_stub import BOT_TOKEN, SlackStub
from tests.test_rescue_workflow import PROBE
from workflows.rescue_messages import (
    UPDATE_CLAIM,
    UPDATE_LOG_STEP,
    UPDATE_OUTCOME,
    ClaimRequest,
    OutcomeRequest,
    RescueResult,
    RescueStatus,
    StepRequest,
)


def task_row_at(sessions: sessionmaker[Session], step: str, posted: bool = True) -> bool:
    """The case's task row shows `step` (and, when `posted`, lives in Slack)."""
    with sessions() as session:
        row = session.scalar(select(TaskMessage).where(TaskMessage.step == step))
        return row is not None and (row.ts is not None or not posted)


async def finish_as_lost(handle: WorkflowHandle[Any, RescueResult]) -> None:
    """From 'probe' to the end: the last three steps, then 'lost' with a reason."""
    for step in (
        PROBE,
        StepRequest("ana", "offer", {"accepts_help": "no"}),
        StepRequest("ana", "close", {}),
    ):
        await handle.execute_update(UPDATE_LOG_STEP, step, result_type=RescueStatus)
    await handle.execute_update(
        UPDATE_OUTCOME,
        OutcomeRequest("ana", "lost", reason="Closed the business"),
        result_type=RescueStatus,
    )
    assert (await handle.result()).outcome == "lost"


async def test_worker_restart_mid_rescue_continues_without_duplicate_messages(
    temporal_client: Client, sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with SlackStub() as slack:
        slack.add_user("U_ANA", "ana")
        async with started_rescue(
            temporal_client,
            sqlite_sessions,
            tmp_path,
            run_worker=False,
            slack_ids={"ana": "U_ANA"},
            slack_bot_token=BOT_TOKEN,
            slack_base_url=slack.base_url,
        ) as rescue:
            world, h = rescue.world, rescue.handle
            async with make_worker(world):
                await h.execute_update(UPDATE_CLAIM, ClaimRequest("ana"), result_type=RescueStatus)
                await h.execute_update(
                    UPDATE_LOG_STEP,
                    StepRequest("ana", "initiate", {"reached_via": "call", "first_words": "Hi"}),
                    result_type=RescueStatus,
                )
                await eventually(lambda: task_row_at(sqlite_sessions, "probe"))
            # First worker gone; a new one (no cached state) replays and carries on.
            async with make_worker(world):
                await finish_as_lost(h)
        dm_messages = slack.posts("DU_ANA")
        posts = slack.calls_to("chat.postMessage")
    assert len(posts) == 1 and len(dm_messages) == 1
    # Posted by the first worker, updated in place by the second (updates batch when Updates
    # arrive faster than deliveries, so the count is at least one, not one per step).
    assert dm_messages[0].updates >= 1 and dm_messages[0].text.startswith("Rescue closed")
    with sqlite_sessions() as session:
        case = session.scalar(
            select(RescueCase).where(RescueCase.workflow_id == rescue.workflow_id)
        )
        assert case is not None and case.status == "lost"
        rows = session.scalars(select(TaskMessage).where(TaskMessage.case_id == case.id)).all()
        keys = session.scalars(
            select(RescueEvent.event_key).where(RescueEvent.case_id == case.id)
        ).all()
    assert [(r.transport, r.channel, r.ts) for r in rows] == [
        ("slack", "DU_ANA", dm_messages[0].ts)
    ]
    assert len(keys) == len(set(keys)) == 8  # opened, claimed, 4 steps, outcome, closed


async def test_slack_refusing_a_task_does_not_end_the_rescue(
    temporal_client: Client, sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """No Slack id for the assignee and no team channel: Slack cannot take the task, the
    outbox keeps it, and the conversation carries on."""
    with SlackStub() as slack:
        async with started_rescue(
            temporal_client,
            sqlite_sessions,
            tmp_path,
            slack_bot_token=BOT_TOKEN,
            slack_base_url=slack.base_url,
        ) as rescue:
            h = rescue.handle
            await eventually(lambda: task_row_at(sqlite_sessions, "unclaimed", posted=False))
            await h.execute_update(UPDATE_CLAIM, ClaimRequest("ana"), result_type=RescueStatus)
            await h.execute_update(
                UPDATE_OUTCOME, OutcomeRequest("ana", "not_needed"), result_type=RescueStatus
            )
            assert (await h.result()).outcome == "not_needed"
        assert slack.calls_to("chat.postMessage") == []
    with sqlite_sessions() as session:
        row = session.scalar(
            select(TaskMessage).where(TaskMessage.message_key == f"{rescue.workflow_id}:task")
        )
    assert row is not None and (row.transport, row.ts, row.step) == ("slack", None, "closed")
