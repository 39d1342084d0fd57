"""Where a rescue's plan comes from: the worker resolves it from its playbook and records it in
history; a mismatched playbook is refused and the same episode can run once fixed; a starter
with a playbook of its own sends the plan along.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.converter import DataConverter
from temporalio.exceptions import ActivityError, ApplicationError

from activities.rescue_plans import WorkerPlaybook
from activities.rescue_registry import rescue_activities
from activities.rescue_start import RescueStarter
from activities.rescue_store import CaseContext
from playbooks.loader import playbook_digest, resolve_plan
from store.models import RescueCase, TaskMessage
from tests.support.rescue_world import (
    eventually,
    fast_playbook,
    make_worker,
    playbook_file,
    rescue_world,
    seed,
    started_rescue,
    unique_id,
)
from winback.settings import Settings
from workflows.rescue_messages import RescueInput, RescueResult

REASONS = ["usage dropped 60%", "billing complaint"]  # seed()'s flag
CONVERT = DataConverter.default.payload_converter


async def recorded(handle: WorkflowHandle) -> tuple[RescueInput, CaseContext]:  # type: ignore[type-arg]
    """The rescue's start input and open_rescue_case's result, as its history holds them."""
    events = (await handle.fetch_history()).events
    start = events[0].workflow_execution_started_event_attributes
    [inp] = CONVERT.from_payloads(start.input.payloads, [RescueInput])
    marker = next(e for e in events if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED)
    result = marker.marker_recorded_event_attributes.details["result"].payloads
    [case] = CONVERT.from_payloads(result, [CaseContext])
    return inp, case


def first_task(sessions: sessionmaker[Session], workflow_id: str) -> bool:
    key = TaskMessage.message_key == f"{workflow_id}:task"
    with sessions() as session:
        return bool(session.scalar(select(func.count()).select_from(TaskMessage).where(key)))


async def test_worker_resolves_the_plan_and_history_keeps_it(
    temporal_client: Client, sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    playbook = fast_playbook(reminder_after=1800)
    async with started_rescue(temporal_client, sqlite_sessions, tmp_path, playbook) as rescue:
        await eventually(lambda: first_task(sqlite_sessions, rescue.workflow_id))
        inp, case = await recorded(rescue.handle)
    assert inp.plan is None
    assert (inp.playbook_version, inp.playbook_digest) == ("2026.1", playbook_digest(playbook))
    expected = resolve_plan(playbook, "at_risk", "smb", 1200.0, REASONS, "accounts")
    assert case.plan == expected and case.plan.timings.reminder_after == 1800
    assert case.first_task_posted and case.assignee == "ana"


async def test_a_playbook_mismatch_is_refused_then_the_same_episode_runs_once_fixed(
    temporal_client: Client, sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    customer = unique_id()
    seed(sqlite_sessions, customer)
    # Same version string, other timings: only the digest tells them apart.
    other = playbook_file(fast_playbook(reminder_after=60), tmp_path)
    async with rescue_world(temporal_client, sqlite_sessions, tmp_path, run_worker=False) as w:
        wrong = Settings(data_dir=tmp_path, database_url="sqlite://", playbook_path=other)
        async with make_worker(w, rescue_activities(wrong, sqlite_sessions, temporal_client)):
            started = await w.starter.start_for_customer(customer)
            handle = temporal_client.get_workflow_handle(started.workflow_id)
            with pytest.raises(WorkflowFailureError) as failed:
                await handle.result()
        refusal: BaseException | None = failed.value.cause
        while isinstance(refusal, ActivityError):  # local activity failures may come wrapped
            refusal = refusal.cause
        assert isinstance(refusal, ApplicationError) and refusal.type == "PlaybookMismatch"
        assert str(other) in refusal.message
        assert playbook_digest(fast_playbook()) in refusal.message  # the starter's copy
        with sqlite_sessions() as session:  # refused before anything was written
            assert (
                session.scalar(
                    select(func.count())
                    .select_from(RescueCase)
                    .where(RescueCase.workflow_id == started.workflow_id)
                )
                == 0
            )
        async with make_worker(w):  # the worker now has the starter's playbook
            again = await w.starter.start_for_customer(customer)
            assert (again.workflow_id, again.started) == (started.workflow_id, True)
            await eventually(lambda: first_task(sqlite_sessions, again.workflow_id))
            inp, case = await recorded(temporal_client.get_workflow_handle(again.workflow_id))
    assert case.plan is not None and case.plan.timings.reminder_after == 3600


async def test_a_starter_with_its_own_playbook_sends_the_plan(
    temporal_client: Client, sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    customer = unique_id()
    seed(sqlite_sessions, customer)
    async with rescue_world(temporal_client, sqlite_sessions, tmp_path) as world:
        own = fast_playbook(reminder_after=900)  # not the configured file's playbook
        starter = RescueStarter(
            temporal_client, sqlite_sessions, world.settings, own, world.task_queue
        )
        started = await starter.start_for_customer(customer)
        handle = temporal_client.get_workflow_handle(started.workflow_id, result_type=RescueResult)
        await eventually(lambda: first_task(sqlite_sessions, started.workflow_id))
        inp, case = await recorded(handle)
    assert inp.plan == resolve_plan(own, "at_risk", "smb", 1200.0, REASONS, "accounts")
    assert case.plan is None and case.first_task_posted  # nothing resolved on the worker


async def test_an_input_naming_no_playbook_fails_before_any_activity(
    temporal_client: Client, sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    customer = unique_id()
    seed(sqlite_sessions, customer)
    bare = RescueInput(
        customer_id=1,
        customer_external_id=customer,
        episode=1,
        scenario="at_risk",
        segment="smb",
        value_per_year=1.0,
        probability=1.0,
    )
    async with rescue_world(temporal_client, sqlite_sessions, tmp_path) as world:
        handle = await temporal_client.start_workflow(
            "RescueWorkflow",
            bare,
            id=f"rescue-{customer}-1",
            task_queue=world.task_queue,
            result_type=RescueResult,
        )
        with pytest.raises(WorkflowFailureError) as failed:
            await handle.result()
    assert isinstance(failed.value.cause, ApplicationError)
    assert failed.value.cause.type == "RescueInputInvalid"
    assert "neither a plan nor a playbook digest" in failed.value.cause.message
    events = (await handle.fetch_history()).events
    assert not any(e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED for e in events)


def test_worker_playbook_follows_edits_of_its_file(tmp_path: Path) -> None:
    path = tmp_path / "playbook.yaml"
    first = fast_playbook()
    path.write_bytes(playbook_file(first, tmp_path).read_bytes())
    worker = WorkerPlaybook(path)
    assert worker.current()[1] == playbook_digest(first)
    edited = fast_playbook(reminder_after=120)
    path.write_bytes(playbook_file(edited, tmp_path).read_bytes())
    assert worker.current()[1] == playbook_digest(edited) != playbook_digest(first)
