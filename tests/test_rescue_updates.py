"""Updates the rescue refuses, with reasons; who may act; starting twice is a no-op."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client, WorkflowUpdateFailedError

from activities.rescue_start import StartRescueRequest
from store.models import Flag, RescueCase, RescueEvent
from tests.support.rescue_world import eventually, started_rescue
from workflows.rescue_messages import (
    QUERY_STATUS,
    UPDATE_CLAIM,
    UPDATE_ESCALATE,
    UPDATE_LOG_STEP,
    UPDATE_OUTCOME,
    UPDATE_RESCHEDULE,
    ClaimRequest,
    EscalateRequest,
    OutcomeRequest,
    RescheduleRequest,
    RescueStatus,
    StepRequest,
)

INITIATE = {"reached_via": "call", "first_words": "We were let down."}


async def refused(handle, name: str, request: object) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await handle.execute_update(name, request, result_type=RescueStatus)
    return str(caught.value.cause)


async def test_invalid_and_unauthorised_updates_are_refused_with_reasons(
    temporal_client: Client, sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    async with started_rescue(temporal_client, sqlite_sessions, tmp_path) as rescue:
        h = rescue.handle
        assert "claim the rescue first" in await refused(
            h, UPDATE_LOG_STEP, StepRequest("ana", "initiate", INITIATE)
        )
        assert "zed may not act" in await refused(h, UPDATE_CLAIM, ClaimRequest("zed"))
        assert "belongs to ana or lee" in await refused(h, UPDATE_CLAIM, ClaimRequest("bo"))
        await h.execute_update(UPDATE_CLAIM, ClaimRequest("ana"), result_type=RescueStatus)
        assert "already claimed by ana" in await refused(h, UPDATE_CLAIM, ClaimRequest("ana"))
        assert "out of order: the next step is 'initiate'" in await refused(
            h, UPDATE_LOG_STEP, StepRequest("ana", "probe", {"verbatim": "x"})
        )
        assert "needs field 'first_words'" in await refused(
            h, UPDATE_LOG_STEP, StepRequest("ana", "initiate", {"reached_via": "call"})
        )
        assert "must be one of" in await refused(
            h, UPDATE_LOG_STEP, StepRequest("ana", "initiate", INITIATE | {"reached_via": "fax"})
        )
        assert "offers can only be recorded in the 'offer' step" in await refused(
            h,
            UPDATE_LOG_STEP,
            StepRequest("ana", "initiate", INITIATE, offers_made=["service_review"]),
        )
        # The lead may act for the assignee; someone else may not.
        await h.execute_update(
            UPDATE_LOG_STEP, StepRequest("lee", "initiate", INITIATE), result_type=RescueStatus
        )
        assert "bo may not act" in await refused(
            h, UPDATE_LOG_STEP, StepRequest("bo", "probe", {"verbatim": "x"})
        )
        await h.execute_update(
            UPDATE_LOG_STEP,
            StepRequest(
                "ana",
                "probe",
                {"verbatim": "Too pricey", "repeat_back": "Price", "confirmed": "yes"},
            ),
            result_type=RescueStatus,
        )
        # smb customer, 1200/yr: the enterprise-only executive sponsor is not allowed.
        reason = await refused(
            h,
            UPDATE_LOG_STEP,
            StepRequest("ana", "offer", {"accepts_help": "yes"}, offers_made=["executive_sponsor"]),
        )
        assert "'executive_sponsor' is not allowed for this customer by playbook 2026.1" in reason
        assert "accepted offer(s) ['billing_credit'] were not offered" in await refused(
            h,
            UPDATE_LOG_STEP,
            StepRequest(
                "ana",
                "offer",
                {"accepts_help": "yes"},
                offers_made=["service_review"],
                offers_accepted=["billing_credit"],
            ),
        )
        assert "'rescued' needs the close step logged first" in await refused(
            h, UPDATE_OUTCOME, OutcomeRequest("ana", "rescued")
        )
        assert "'lost' needs a reason" in await refused(
            h, UPDATE_OUTCOME, OutcomeRequest("ana", "lost")
        )
        assert "unknown outcome 'won'" in await refused(
            h, UPDATE_OUTCOME, OutcomeRequest("ana", "won")
        )
        assert "greater than zero" in await refused(
            h, UPDATE_RESCHEDULE, RescheduleRequest("ana", 0)
        )
        await h.execute_update(
            UPDATE_RESCHEDULE, RescheduleRequest("ana", 2), result_type=RescueStatus
        )
        status = await h.execute_update(
            UPDATE_ESCALATE,
            EscalateRequest("ana", "needs a discount I cannot give"),
            result_type=RescueStatus,
        )
        assert status.escalated and status.current_step == "offer"
        await h.execute_update(
            UPDATE_OUTCOME, OutcomeRequest("ana", "not_needed"), result_type=RescueStatus
        )
        assert (await h.result()).outcome == "not_needed"
    with sqlite_sessions() as session:
        kinds = session.scalars(
            select(RescueEvent.kind)
            .join(RescueCase)
            .where(RescueCase.workflow_id == rescue.workflow_id)
            .order_by(RescueEvent.id)
        ).all()
        actors = session.scalars(
            select(RescueEvent.actor)
            .join(RescueCase)
            .where(RescueCase.workflow_id == rescue.workflow_id)
            .order_by(RescueEvent.id)
        ).all()
    # Refused Updates leave no trace; accepted ones are written once each, in order.
    assert kinds == [
        "opened",
        "claimed",
        "step_logged",
        "step_logged",
        "rescheduled",
        "escalation",
        "outcome",
        "closed",
    ]
    assert actors[1:4] == ["ana", "lee", "ana"]


async def test_starting_twice_returns_the_open_rescue(
    temporal_client: Client, sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    async with started_rescue(temporal_client, sqlite_sessions, tmp_path) as rescue:
        world, customer, flag_id = rescue.world, rescue.customer, rescue.flag_id
        # Both before any case row exists: Temporal's USE_EXISTING makes the second a no-op.
        first, h = rescue.start, rescue.handle
        racing = await world.starter.start_for_customer(customer)
        await h.execute_update(UPDATE_CLAIM, ClaimRequest("ana"), result_type=RescueStatus)
        # Now the store knows the open case: the flag is marked skipped and points at it.
        from_flag = await world.starter.start_for_flag(StartRescueRequest(flag_id))
        assert first.started and not racing.started and not from_flag.started
        assert first.workflow_id == racing.workflow_id == from_flag.workflow_id
        assert (await h.query(QUERY_STATUS, result_type=RescueStatus)).assignee == "ana"
        await h.execute_update(
            UPDATE_OUTCOME, OutcomeRequest("ana", "not_needed"), result_type=RescueStatus
        )
        await h.result()
        # Once closed, a new start opens episode 2.
        second = await world.starter.start_for_customer(customer)
        assert second.started and second.workflow_id == f"rescue-{customer}-2"

        def cases() -> int:
            with sqlite_sessions() as session:
                return int(session.scalar(select(func.count()).select_from(RescueCase)) or 0)

        assert await eventually(lambda: cases() == 2)
        # A rescue whose workflow was terminated must not block the customer forever.
        await temporal_client.get_workflow_handle(second.workflow_id).terminate("ops cleanup")
        third = await world.starter.start_for_customer(customer)
        assert third.started and third.workflow_id == f"rescue-{customer}-3"
        await temporal_client.get_workflow_handle(third.workflow_id).terminate("test done")
    with sqlite_sessions() as session:
        flag = session.get(Flag, flag_id)
        abandoned = session.scalar(
            select(RescueCase).where(RescueCase.workflow_id == second.workflow_id)
        )
        assert abandoned is not None and abandoned.status == "no_contact"
        assert abandoned.outcome_reason is not None and "TERMINATED" in abandoned.outcome_reason
    assert flag is not None and (flag.status, flag.workflow_id) == ("skipped", first.workflow_id)
