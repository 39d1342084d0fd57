"""The Temporal dev server restarted on its SQLite file: a rescue waiting on a human survives.

A dev server of its own (not the session one) keeps its state in a file under tmp_path; it
and the worker are shut down while the rescue waits at 'probe' with its timers pending, then a
new server starts on the same file and port, with a new worker. The rescue is still there,
its reminder timer still fires, it takes the next Updates and completes, and Slack has one
task message for it (posted before the restart, updated in place after).
"""

from __future__ import annotations

import socket
from dataclasses import replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import WorkflowEnvironment

from store.models import RescueCase, RescueEvent, TaskMessage
from tests.support.rescue_world import eventually, fast_playbook, make_worker, started_rescue
from tests.support.slack_stub import BOT_TOKEN, SlackStub
from tests.test_rescue_durability import finish_as_lost
from winback.binaries import temporal_cli
from workflows.rescue_messages import (
    QUERY_STATUS,
    UPDATE_LOG_STEP,
    RescueResult,
    RescueStatus,
    StepRequest,
)

REMINDER_AFTER = 8.0  # seconds after 'initiate' is logged: due while or after the server is down


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def dev_server(db_file: Path, port: int) -> WorkflowEnvironment:
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_cli()),
        dev_server_database_filename=str(db_file),
        port=port,
        dev_server_log_level="error",
    )


def task_rows(sessions: sessionmaker[Session], case_id: int) -> dict[str, str | None]:
    """message_key -> step of the case's outbox rows."""
    with sessions() as session:
        rows = session.scalars(select(TaskMessage).where(TaskMessage.case_id == case_id)).all()
        return {row.message_key: row.step for row in rows}


async def test_waiting_rescue_survives_a_dev_server_restart_on_its_file(
    sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    db_file, port = tmp_path / "temporal.db", free_port()
    playbook = fast_playbook(reminder_after=REMINDER_AFTER, escalate_after=3600, give_up_after=7200)
    with SlackStub() as slack:
        slack.add_user("U_ANA", "ana")
        first = await dev_server(db_file, port)
        try:
            async with started_rescue(
                first.client,
                sqlite_sessions,
                tmp_path,
                playbook,
                claimed_by="ana",
                slack_ids={"ana": "U_ANA"},
                slack_bot_token=BOT_TOKEN,
                slack_base_url=slack.base_url,
            ) as rescue:
                world, wid = rescue.world, rescue.workflow_id
                before = await rescue.handle.execute_update(
                    UPDATE_LOG_STEP,
                    StepRequest("ana", "initiate", {"reached_via": "call", "first_words": "Hi"}),
                    result_type=RescueStatus,
                )
                await eventually(
                    lambda: (
                        slack.posts("DU_ANA")
                        and slack.posts("DU_ANA")[0].text.startswith("Step 2 of 4")
                    )
                )
        finally:
            await first.shutdown()  # worker already stopped; now the server, mid-rescue
        assert before.current_step == "probe" and before.assignee == "ana"
        with sqlite_sessions() as session:
            case = session.scalar(select(RescueCase).where(RescueCase.workflow_id == wid))
            assert case is not None
            case_id = case.id
        # The reminder is still pending: it has not fired before the restart.
        assert set(task_rows(sqlite_sessions, case_id)) == {f"{wid}:task"}

        second = await dev_server(db_file, port)
        try:
            h = second.client.get_workflow_handle(wid, result_type=RescueResult)
            async with make_worker(replace(world, client=second.client)):
                # Queries need a worker: the new one rebuilds the rescue from its history.
                after = await h.query(QUERY_STATUS, result_type=RescueStatus)
                assert (after.current_step, after.assignee) == ("probe", "ana")
                assert after.history[: len(before.history)] == before.history
                # The timer set before the restart fires on the new server.
                await eventually(
                    lambda: len(task_rows(sqlite_sessions, case_id)) == 2, REMINDER_AFTER + 10
                )
                await finish_as_lost(h)
        finally:
            await second.shutdown()
        dm = slack.posts("DU_ANA")
        posts = slack.calls_to("chat.postMessage")
    task, reminder = sorted(dm, key=lambda m: m.thread_ts is not None)
    # One task message (posted before the restart, updated after) and one threaded reminder.
    assert len(posts) == 2 and len(dm) == 2
    assert task.thread_ts is None and task.text.startswith("Rescue closed")
    assert reminder.thread_ts == task.ts and "Reminder for <@U_ANA>" in reminder.text
    rows = task_rows(sqlite_sessions, case_id)
    assert rows == {
        f"{wid}:task": "closed",
        next(k for k in rows if ":reminder:probe:" in k): "probe",
    }
    with sqlite_sessions() as session:
        kinds = session.scalars(
            select(RescueEvent.kind).where(RescueEvent.case_id == case_id).order_by(RescueEvent.id)
        ).all()
        status = session.scalar(select(RescueCase.status).where(RescueCase.id == case_id))
    assert status == "lost"
    assert kinds == [
        "opened",
        "claimed",
        "step_logged",
        "reminder",
        "step_logged",
        "step_logged",
        "step_logged",
        "outcome",
        "closed",
    ]
