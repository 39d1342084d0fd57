"""`winback rescue ...` and `winback tasks`: the outbox way to work a rescue, end to end.

The CLI runs in a thread (it has its own event loop) against the real dev server, a worker on
a fresh task queue and a SQLite store file, configured through WINBACK_* variables.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from typer.testing import CliRunner, Result

from tests.support.rescue_world import cli_settings, rescue_world, seed, unique_id
from winback.cli import build_app


async def winback(*args: str) -> Result:
    return await asyncio.to_thread(CliRunner().invoke, build_app(), list(args))


async def test_rescue_worked_from_the_terminal(
    temporal_client: Client,
    sqlite_engine: Engine,
    sqlite_sessions: sessionmaker[Session],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    customer = unique_id()
    seed(sqlite_sessions, customer)
    async with rescue_world(temporal_client, sqlite_sessions, tmp_path) as world:
        # The CLI reads the same fast playbook file as the world's worker.
        with cli_settings(
            monkeypatch,
            sqlite_engine,
            temporal_client,
            tmp_path,
            TASK_QUEUE=world.task_queue,
            PLAYBOOK_PATH=str(world.settings.playbook_path),
        ):
            started = await winback("rescue", "start", customer)
            assert started.exit_code == 0, started.output
            wid = f"rescue-{customer}-1"
            assert started.output.strip() == f"started: {wid}"
            again = await winback("rescue", "start", customer)
            assert again.output.strip() == f"already open: {wid}"
            unknown = await winback("rescue", "start", "nobody")
            assert unknown.exit_code == 1 and "customer 'nobody' does not exist" in unknown.output

            claim = await winback("rescue", "claim", wid, "--actor", "ana")
            assert claim.exit_code == 0, claim.output
            assert "step=initiate assignee=ana" in claim.output
            listed = await winback("tasks", "--for", "ana")
            assert wid in listed.output and "1 open task(s)" in listed.output

            missing = await winback(
                "rescue",
                "step",
                wid,
                "--actor",
                "ana",
                "--step",
                "initiate",
                "--field",
                "reached_via=call",
            )
            assert missing.exit_code == 1
            assert "refused: step 'initiate' needs field 'first_words'" in missing.output
            wrong_user = await winback("rescue", "claim", wid, "--actor", "zed")
            assert wrong_user.exit_code == 1 and "refused:" in wrong_user.output

            for step, fields in (
                ("initiate", ["reached_via=email", "first_words=Hello"]),
                (
                    "probe",
                    [
                        "verbatim=Support never called back",
                        "repeat_back=No callback",
                        "confirmed=yes",
                    ],
                ),
            ):
                args = [arg for f in fields for arg in ("--field", f)]
                logged = await winback(
                    "rescue", "step", wid, "--actor", "ana", "--step", step, *args
                )
                assert logged.exit_code == 0, logged.output
            offered = await winback(
                "rescue",
                "step",
                wid,
                "--actor",
                "ana",
                "--step",
                "offer",
                "--field",
                "accepts_help=yes",
                "--offer",
                "service_review",
                "--accepted",
                "service_review",
            )
            assert offered.exit_code == 0, offered.output
            closed = await winback("rescue", "step", wid, "--actor", "ana", "--step", "close")
            assert "step=outcome" in closed.output
            done = await winback(
                "rescue",
                "outcome",
                wid,
                "--actor",
                "ana",
                "--outcome",
                "rescued",
                "--value-saved",
                "1000",
            )
            assert done.exit_code == 0 and "outcome=rescued" in done.output
            await temporal_client.get_workflow_handle(wid).result()
            finished = await winback("rescue", "status", wid)
            assert "step=closed" in finished.output and "ana step_logged probe" in finished.output
            empty = await winback("tasks")
            assert "0 open task(s)" in empty.output
            bad_field = await winback(
                "rescue", "step", wid, "--actor", "ana", "--step", "x", "--field", "novalue"
            )
            assert bad_field.exit_code == 2 and "use NAME=VALUE" in bad_field.output
