"""Bad input on the rescue paths: refused with a reason, and nothing is started or written.

Unknown customers and flags (starter and CLI; the API's 404 is in test_rescue_api.py), a
playbook with a typo (starter, worker, CLI), Updates with an unknown step or wrong types, and
Updates for a rescue that has finished.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from activities.rescue_registry import rescue_activities
from activities.rescue_start import RescueStarter, StartRescueRequest, current_playbook
from playbooks.loader import PlaybookError
from tests.support.rescue_world import (
    cli_settings,
    fast_playbook,
    rescue_world,
    seed,
    started_rescue,
    unique_id,
)
from tests.test_rescue_cli import winback
from winback.runtime import Runtime
from winback.settings import Settings
from winback.worker import activity_callables
from workflows.rescue_messages import (
    UPDATE_CLAIM,
    UPDATE_LOG_STEP,
    UPDATE_OUTCOME,
    UPDATE_RESCHEDULE,
    ClaimRequest,
    OutcomeRequest,
    RescueStatus,
    StepRequest,
)

TYPO = "scenarios.at_risk.timings.remind_after: Extra inputs are not permitted"


async def started_nothing(client: Client, task_queue: str, customer: str) -> bool:
    """No workflow on the queue, and none under the customer's first rescue id."""
    with pytest.raises(RPCError) as missing:
        await client.get_workflow_handle(f"rescue-{customer}-1").describe()
    listed = await client.count_workflows(f"TaskQueue = '{task_queue}'")
    return missing.value.status == RPCStatusCode.NOT_FOUND and listed.count == 0


def playbook_with_typo(tmp_path: Path) -> Path:
    data = fast_playbook().model_dump()
    data["scenarios"]["at_risk"]["timings"]["remind_after"] = 60
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


async def test_unknown_customer_or_flag_starts_nothing(
    temporal_client: Client, sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    known = unique_id()
    seed(sqlite_sessions, known)
    async with rescue_world(temporal_client, sqlite_sessions, tmp_path, run_worker=False) as w:
        with pytest.raises(ApplicationError, match="customer 'nobody' does not exist") as one:
            await w.starter.start_for_customer("nobody")
        with pytest.raises(ApplicationError, match="flag 999999 does not exist") as two:
            await w.starter.start_for_flag(StartRescueRequest(999999))
        with pytest.raises(ApplicationError, match="unknown scenario 'churned'"):
            await w.starter.start_for_customer(known, "churned")
        assert one.value.type == two.value.type == "RescueStartRefused"
        assert one.value.non_retryable
        assert await started_nothing(temporal_client, w.task_queue, known)


async def test_playbook_typo_is_refused_before_any_rescue_starts(
    temporal_client: Client,
    sqlite_engine: Engine,
    sqlite_sessions: sessionmaker[Session],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    customer = unique_id()
    seed(sqlite_sessions, customer)
    bad = playbook_with_typo(tmp_path)
    queue = f"rescue-typo-{unique_id()}"
    settings = Settings(
        data_dir=tmp_path, database_url=str(sqlite_engine.url), playbook_path=bad, task_queue=queue
    )
    # The starter (CLI, API, scan) and the worker's activities both load it up front.
    with pytest.raises(PlaybookError) as by_starter:
        RescueStarter(temporal_client, sqlite_sessions, settings)
    with pytest.raises(PlaybookError) as by_registry:
        rescue_activities(settings, sqlite_sessions, temporal_client)
    with pytest.raises(PlaybookError) as by_worker:
        activity_callables(Runtime(settings, sqlite_engine, sqlite_sessions), temporal_client)
    for caught in (by_starter, by_registry, by_worker):
        assert str(bad) in str(caught.value) and TYPO in caught.value.problems
    with cli_settings(
        monkeypatch,
        sqlite_engine,
        temporal_client,
        tmp_path,
        TASK_QUEUE=queue,
        PLAYBOOK_PATH=str(bad),
    ):
        started = await winback("rescue", "start", customer)
        validated = await winback("playbook", "validate")
    assert started.exit_code == 1 and str(bad) in started.output and TYPO in started.output
    assert validated.exit_code == 2 and TYPO in validated.output
    assert await started_nothing(temporal_client, queue, customer)


async def test_updates_with_unknown_step_or_wrong_types_are_refused(
    temporal_client: Client, sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    async with started_rescue(
        temporal_client, sqlite_sessions, tmp_path, claimed_by="ana"
    ) as rescue:
        h = rescue.handle
        with pytest.raises(WorkflowUpdateFailedError) as unknown:
            await h.execute_update(
                UPDATE_LOG_STEP, StepRequest("ana", "negotiate", {}), result_type=RescueStatus
            )
        assert "unknown step 'negotiate': steps are initiate, probe, offer, close" in str(
            unknown.value.cause
        )
        # Untyped payloads (another client, a hand-written call) are refused with the field.
        for name, payload, field in (
            (UPDATE_CLAIM, {"actor": 5}, "field actor"),
            (
                UPDATE_LOG_STEP,
                {"actor": "ana", "step": "initiate", "fields": "call"},
                "field fields",
            ),
            (UPDATE_RESCHEDULE, {"actor": "ana", "days": "soon"}, "field days"),
            (UPDATE_OUTCOME, {"actr": "ana", "outcome": "lost"}, "actor"),
        ):
            with pytest.raises(WorkflowUpdateFailedError) as wrong:
                await h.execute_update(name, payload, result_type=RescueStatus)
            cause = wrong.value.cause
            assert isinstance(cause, ApplicationError)
            assert cause.message == "Failed decoding arguments" and cause.cause is not None
            assert field in str(cause.cause), (name, str(cause.cause))
        status = await h.execute_update(
            UPDATE_LOG_STEP,
            StepRequest("ana", "initiate", {"reached_via": "call", "first_words": "Hi"}),
            result_type=RescueStatus,
        )
        assert status.current_step == "probe"  # nothing refused changed the rescue
        assert [line.split(" ", 1)[1] for line in status.history] == [
            "winback opened",
            "ana claimed claim",
            "ana step_logged initiate",
        ]
        await h.terminate("test done")


async def test_updates_for_a_finished_rescue_are_refused(
    temporal_client: Client,
    sqlite_engine: Engine,
    sqlite_sessions: sessionmaker[Session],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with started_rescue(
        temporal_client, sqlite_sessions, tmp_path, claimed_by="ana"
    ) as rescue:
        h = rescue.handle
        await h.execute_update(
            UPDATE_OUTCOME, OutcomeRequest("ana", "not_needed"), result_type=RescueStatus
        )
        assert (await h.result()).outcome == "not_needed"
        with pytest.raises(RPCError) as finished:
            await h.execute_update(UPDATE_CLAIM, ClaimRequest("ana"), result_type=RescueStatus)
        assert finished.value.status == RPCStatusCode.NOT_FOUND
        assert "already completed" in finished.value.message
        with cli_settings(monkeypatch, sqlite_engine, temporal_client, tmp_path):
            by_cli = await winback("rescue", "claim", rescue.workflow_id, "--actor", "ana")
    assert by_cli.exit_code == 1 and "has finished" in by_cli.output


def test_playbook_is_parsed_once_per_version_of_its_file(tmp_path: Path) -> None:
    """Starters built per request reuse the parsed playbook until the file changes; a typo
    saved later is caught by the next starter."""
    good = tmp_path / "playbook.yaml"
    good.write_text(yaml.safe_dump(fast_playbook().model_dump()), encoding="utf-8")
    first = current_playbook(good)
    assert current_playbook(good) is first
    good.write_text(playbook_with_typo(tmp_path).read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(PlaybookError) as caught:
        current_playbook(good)
    assert TYPO in caught.value.problems
    with pytest.raises(PlaybookError, match="cannot read"):
        current_playbook(tmp_path / "missing.yaml")
