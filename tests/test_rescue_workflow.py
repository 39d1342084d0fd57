"""The rescue conversation end to end on the real dev server and a real store (SQLite + PG)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from activities.rescue_start import StartRescueRequest
from store.models import FeedbackItem, Flag, RescueCase, RescueEvent, TaskMessage
from tests.support.rescue_world import eventually, rescue_world, seed, started_rescue, unique_id
from workflows.rescue_messages import (
    QUERY_STATUS,
    UPDATE_CLAIM,
    UPDATE_LOG_STEP,
    UPDATE_OUTCOME,
    ClaimRequest,
    OutcomeRequest,
    RescueResult,
    RescueStatus,
    StepRequest,
)

PROBE = StepRequest(
    "ana",
    "probe",
    {
        "verbatim": "Your invoices were wrong three times, mail me at jo@example.com",
        "repeat_back": "Billing errors kept happening",
        "confirmed": "yes",
    },
)


async def walk_conversation(handle, actor: str = "ana") -> None:  # type: ignore[no-untyped-def]
    await handle.execute_update(UPDATE_CLAIM, ClaimRequest(actor), result_type=RescueStatus)
    steps = [
        StepRequest(actor, "initiate", {"reached_via": "call", "first_words": "We left."}),
        PROBE,
        StepRequest(
            actor,
            "offer",
            {"accepts_help": "yes"},
            offers_made=["service_review", "billing_credit"],
            offers_accepted=["billing_credit"],
        ),
        StepRequest(actor, "close", {"next_steps": "Credit by Friday"}),
    ]
    for step in steps:
        await handle.execute_update(UPDATE_LOG_STEP, step, result_type=RescueStatus)


async def test_full_rescue_is_rescued_and_audited(
    temporal_client: Client, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    customer = unique_id()
    flag_id = seed(sessions, customer)
    wid = f"rescue-{customer}-1"
    async with rescue_world(temporal_client, sessions, tmp_path) as world:
        started = await world.starter.start_for_flag(StartRescueRequest(flag_id))
        assert started.started and started.workflow_id == wid
        handle = temporal_client.get_workflow_handle(started.workflow_id, result_type=RescueResult)
        await walk_conversation(handle)
        status = await handle.query(QUERY_STATUS, result_type=RescueStatus)
        assert status.current_step == "outcome" and status.assignee == "ana"
        await handle.execute_update(
            UPDATE_OUTCOME,
            OutcomeRequest("ana", "rescued", value_saved=900.0),
            result_type=RescueStatus,
        )
        result = await handle.result()
    assert result.outcome == "rescued" and result.value_saved == 900.0
    with sessions() as session:
        case = session.scalar(select(RescueCase).where(RescueCase.workflow_id == wid))
        assert case is not None
        assert (case.status, case.current_step, case.value_saved) == ("rescued", "closed", 900.0)
        assert case.first_contact_at is not None and case.closed_at is not None
        assert case.playbook_version == "2026.1" and case.flag_id == flag_id
        kinds = session.scalars(
            select(RescueEvent.kind).where(RescueEvent.case_id == case.id).order_by(RescueEvent.id)
        ).all()
        assert kinds == ["opened", "claimed"] + ["step_logged"] * 4 + ["outcome", "closed"]
        offer = session.scalar(select(RescueEvent).where(RescueEvent.step == "offer"))
        assert offer is not None and offer.data["offers_declined"] == ["service_review"]
        feedback = session.scalar(select(FeedbackItem).where(FeedbackItem.source == "rescue"))
        assert feedback is not None and feedback.external_id == f"{wid}:probe"
        assert "jo@example.com" not in feedback.text and "invoices" in feedback.text
        assert feedback.original_text is None  # WINBACK_KEEP_ORIGINAL_TEXT is off
        tasks = session.scalars(select(TaskMessage).where(TaskMessage.case_id == case.id)).all()
        assert [(t.message_key, t.step, t.open) for t in tasks] == [
            (f"{wid}:task", "closed", False)
        ]
        flag = session.get(Flag, flag_id)
        assert flag is not None and (flag.status, flag.workflow_id) == ("started", wid)


async def test_lost_with_reason_writes_feedback(
    temporal_client: Client, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    async with started_rescue(temporal_client, sessions, tmp_path, claimed_by="ana") as rescue:
        handle = rescue.handle
        await handle.execute_update(
            UPDATE_OUTCOME,
            OutcomeRequest(
                "ana", "lost", reason="Moved to a cheaper rival", lost_category_id="price"
            ),
            result_type=RescueStatus,
        )
        result = await handle.result()
    assert (result.outcome, result.reason) == ("lost", "Moved to a cheaper rival")
    with sessions() as session:
        by_id = select(RescueCase).where(RescueCase.workflow_id == rescue.workflow_id)
        case = session.scalar(by_id)
        assert case is not None and case.status == "lost"
        assert (case.outcome_reason, case.lost_category_id) == ("Moved to a cheaper rival", "price")
        item = session.scalar(
            select(FeedbackItem).where(FeedbackItem.external_id == f"{rescue.workflow_id}:lost")
        )
        assert item is not None and item.text == "Moved to a cheaper rival"
        assert item.customer_id == case.customer_id


async def test_without_slack_the_first_task_is_written_with_the_case(
    temporal_client: Client, sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Outbox only: opening the case and writing the 'unclaimed' task are one local activity,
    so no activity task is scheduled before the account team has its task."""
    async with started_rescue(temporal_client, sqlite_sessions, tmp_path) as rescue:
        customer, handle = rescue.customer, rescue.handle

        def first_task() -> TaskMessage | None:
            with sqlite_sessions() as session:
                key = f"{rescue.workflow_id}:task"
                return session.scalar(select(TaskMessage).where(TaskMessage.message_key == key))

        task = await eventually(first_task)
        for _ in range(50):  # the row commits just before the workflow takes the result
            status = await handle.query(QUERY_STATUS, result_type=RescueStatus)
            if status.assignee:
                break
            await asyncio.sleep(0.1)
        history = await handle.fetch_history()
        await handle.terminate("test done")
    assert status.current_step == "unclaimed" and status.assignee == "ana"
    assert (task.transport, task.recipient, task.step, task.open) == (
        "outbox",
        "ana",
        "unclaimed",
        True,
    )
    notice = task.blocks[0]
    assert task.text == f"New rescue: claim it and reach out: Customer {customer}"
    assert notice["reasons"] == ["usage dropped 60%", "billing complaint"]
    assert notice["value_at_risk"] == 960.0 and notice["kind"] == "task"
    kinds = [EventType.Name(e.event_type) for e in history.events]
    assert "EVENT_TYPE_MARKER_RECORDED" in kinds
    assert "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED" not in kinds
