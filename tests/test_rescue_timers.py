"""Timers of the rescue: reminders, escalation to the lead, give-up, follow-up due.

Day-long playbook timings run on the time-skipping test server; the follow-up test uses
seconds on the dev server.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from store.models import RescueCase, RescueEvent, TaskMessage
from tests.support.rescue_world import eventually, fast_playbook, started_rescue
from tests.support.slack_stub import BOT_TOKEN, SlackStub
from tests.test_rescue_workflow import walk_conversation
from workflows.rescue_messages import (
    QUERY_STATUS,
    UPDATE_LOG_STEP,
    UPDATE_OUTCOME,
    OutcomeRequest,
    RescueStatus,
    StepRequest,
)

DAY = 86400.0


async def test_unclaimed_rescue_reminds_escalates_then_gives_up(
    time_skipping_env: WorkflowEnvironment, sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    playbook = fast_playbook(reminder_after=DAY, escalate_after=3 * DAY, give_up_after=10 * DAY)
    async with started_rescue(
        time_skipping_env.client, sqlite_sessions, tmp_path, playbook
    ) as rescue:
        handle = rescue.handle
        await time_skipping_env.sleep(timedelta(days=11))  # ten days pass in a moment
        result = await handle.result()
        status = await handle.query(QUERY_STATUS, result_type=RescueStatus)
    assert result.outcome == "no_contact"
    assert status.escalated and status.current_step == "closed"
    with sqlite_sessions() as session:
        by_id = select(RescueCase).where(RescueCase.workflow_id == rescue.workflow_id)
        case = session.scalar(by_id)
        assert case is not None
        assert (case.status, case.escalated, case.first_contact_at) == ("no_contact", True, None)
        assert case.closed_at is not None
        assert (case.closed_at - case.opened_at).total_seconds() >= 10 * DAY - 60
        events = session.scalars(
            select(RescueEvent).where(RescueEvent.case_id == case.id).order_by(RescueEvent.id)
        ).all()
        assert [e.kind for e in events] == ["opened", "reminder", "escalation", "outcome", "closed"]
        assert events[1].data == {"to": "ana"} and events[2].data == {"to": "lee"}
        rows = {t.kind: t for t in session.scalars(select(TaskMessage)) if t.case_id == case.id}
        assert rows["reminder"].recipient == "ana" and rows["escalation"].recipient == "lee"
        assert rows["reminder"].blocks[0]["parent_key"] == f"{rescue.workflow_id}:task"
        assert not any(t.open for t in rows.values())


async def test_follow_up_timer_fires_and_follow_up_closes_the_rescue(
    temporal_client: Client, sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    async with started_rescue(temporal_client, sqlite_sessions, tmp_path) as rescue:
        wid, handle = rescue.workflow_id, rescue.handle
        await walk_conversation(handle)
        status = await handle.execute_update(
            UPDATE_OUTCOME,
            OutcomeRequest(
                "ana", "rescued", follow_up="Send the credit note", follow_up_due_days=1.5 / DAY
            ),
            result_type=RescueStatus,
        )
        assert status.current_step == "follow_up"

        def follow_up_reminder() -> TaskMessage | None:
            with sqlite_sessions() as session:
                return session.scalar(
                    select(TaskMessage).where(TaskMessage.message_key.like(f"{wid}:reminder:%"))
                )

        reminder = await eventually(follow_up_reminder, timeout=15)
        assert reminder.step == "follow_up" and reminder.recipient == "ana"
        await handle.execute_update(
            UPDATE_LOG_STEP,
            StepRequest("ana", "follow_up", {"done": "credit sent"}),
            result_type=RescueStatus,
        )
        result = await handle.result()
    assert result.outcome == "rescued" and result.value_saved == 1200.0
    with sqlite_sessions() as session:
        kinds = session.scalars(
            select(RescueEvent.kind)
            .join(RescueCase)
            .where(RescueCase.workflow_id == wid)
            .order_by(RescueEvent.id)
        ).all()
        follow_up = session.scalar(
            select(TaskMessage).where(TaskMessage.message_key == f"{wid}:follow_up")
        )
    assert kinds[-3:] == ["reminder", "follow_up_done", "closed"]
    assert follow_up is not None and not follow_up.open and "credit note" in follow_up.text


async def test_reminder_threads_under_the_task_and_escalation_reaches_the_lead_in_slack(
    time_skipping_env: WorkflowEnvironment, sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    playbook = fast_playbook(reminder_after=DAY, escalate_after=2 * DAY, give_up_after=4 * DAY)
    with SlackStub() as slack:
        slack.add_user("U_ANA", "ana")
        slack.add_user("U_LEE", "lee")
        async with started_rescue(
            time_skipping_env.client,
            sqlite_sessions,
            tmp_path,
            playbook,
            slack_ids={"ana": "U_ANA", "lee": "U_LEE"},
            slack_bot_token=BOT_TOKEN,
            slack_base_url=slack.base_url,
        ) as rescue:
            await time_skipping_env.sleep(timedelta(days=5))
            assert (await rescue.handle.result()).outcome == "no_contact"
        to_ana, to_lee = slack.posts("DU_ANA"), slack.posts("DU_LEE")
    task = next(m for m in to_ana if m.thread_ts is None)
    reminders = [m for m in to_ana if m.thread_ts == task.ts]
    assert len(to_ana) == 2 and len(reminders) == 1  # the task, and one reminder in its thread
    assert task.text.startswith("Rescue closed")  # updated in place when it gave up
    assert len(to_lee) == 1 and to_lee[0].thread_ts is None  # escalation in the lead's DM
