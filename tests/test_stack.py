"""`winback up` as a real subprocess: dev server + dashboard answer, SIGINT stops everything,
a second start reuses the stored Temporal and winback state."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from winback.cli import build_app
from winback.commands.stack import run_stack
from winback.settings import Settings, get_settings

WINBACK = Path(sys.executable).parent / "winback"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stack_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WINBACK_")}
    env.update(
        WINBACK_DATA_DIR=str(data_dir),
        WINBACK_DATABASE_URL=f"sqlite:///{data_dir / 'winback.db'}",
        WINBACK_TEMPORAL_PORT=str(_free_port()),
        WINBACK_TEMPORAL_UI_PORT=str(_free_port()),
        WINBACK_WEB_PORT=str(_free_port()),
    )
    return env


def _children(pid: int) -> set[int]:
    """Every live descendant of `pid`, read from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _processes_using(path: Path) -> list[int]:
    hits = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if str(path) in cmdline and _alive(int(entry.name)):
                hits.append(int(entry.name))
    return hits


class RunningStack:
    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env = env
        self.output = cwd / "up.log"
        with self.output.open("ab") as out:
            self.process = subprocess.Popen(
                [str(WINBACK), "up"], env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT
            )

    @property
    def web(self) -> str:
        return f"http://127.0.0.1:{self.env['WINBACK_WEB_PORT']}"

    @property
    def temporal(self) -> str:
        return f"127.0.0.1:{self.env['WINBACK_TEMPORAL_PORT']}"

    def wait_healthy(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output.read_text()
            try:
                if httpx.get(f"{self.web}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"dashboard never answered:\n{self.output.read_text()}")

    def interrupt(self, sig: signal.Signals = signal.SIGINT, timeout: float = 30.0) -> int:
        self.process.send_signal(sig)
        return self.process.wait(timeout)


@pytest.fixture
def stack_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    for pid in _processes_using(tmp_path):  # never leave a dev server behind a failed test
        os.kill(pid, signal.SIGKILL)


async def _workflow_status(target: str, workflow_id: str) -> WorkflowExecutionStatus | None:
    client = await Client.connect(target)
    description = await client.get_workflow_handle(workflow_id).describe()
    return description.status


async def test_up_serves_stops_cleanly_and_keeps_state(stack_dir: Path) -> None:
    env = _stack_env(stack_dir / "state")
    workflow_id = f"stack-probe-{uuid.uuid4()}"

    first = RunningStack(env, stack_dir)
    first.wait_healthy()
    children = _children(first.process.pid)
    assert children, "the dev server should run as a child of `winback up`"
    client = await Client.connect(first.temporal)
    # No worker polls this queue: the workflow simply stays Running in Temporal's store.
    await client.start_workflow(
        "StackProbeWorkflow", id=workflow_id, task_queue=f"nobody-{uuid.uuid4()}"
    )
    assert first.interrupt() == 0, first.output.read_text()
    assert not [pid for pid in children if _alive(pid)], "children outlived `winback up`"
    assert _processes_using(stack_dir) == []

    second = RunningStack(env, stack_dir)
    second.wait_healthy()
    status = await _workflow_status(second.temporal, workflow_id)
    assert status == WorkflowExecutionStatus.RUNNING
    assert second.interrupt(signal.SIGTERM) == 0, second.output.read_text()
    assert _processes_using(stack_dir) == []
    assert (stack_dir / "state" / "temporal.db").exists()
    assert (stack_dir / "state" / "winback.db").exists()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """WINBACK_* for an in-process CLI run; the cached settings are re-read around it."""
    env = _stack_env(tmp_path / "state")
    for key, value in env.items():
        if key.startswith("WINBACK_"):
            monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    # The commands call asyncio.run, which clears this thread's event loop when it ends;
    # put pytest-asyncio's session loop back for the async tests that follow.
    session_loop = asyncio.get_event_loop_policy().get_event_loop()
    yield env
    asyncio.set_event_loop(session_loop)
    get_settings.cache_clear()


def test_up_refuses_a_port_in_use(cli_env: dict[str, str], tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", int(cli_env["WINBACK_WEB_PORT"])))
        holder.listen()
        result = CliRunner().invoke(build_app(), ["up"])
    assert result.exit_code == 1
    assert f"port {cli_env['WINBACK_WEB_PORT']} on 127.0.0.1 (dashboard)" in result.output
    assert "already in use" in result.output and "WINBACK_WEB_PORT" in result.output
    assert _processes_using(tmp_path) == []  # refused before starting the dev server


def test_worker_command_explains_unreachable_temporal(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    address = f"127.0.0.1:{_free_port()}"
    monkeypatch.setenv("WINBACK_TEMPORAL_ADDRESS", address)
    get_settings.cache_clear()
    result = CliRunner().invoke(build_app(), ["worker"])
    assert result.exit_code == 1
    assert f"cannot reach Temporal at {address}" in result.output


async def test_up_uses_a_configured_temporal_without_a_dev_server(
    tmp_path: Path, temporal_env: WorkflowEnvironment
) -> None:
    env = _stack_env(tmp_path / "state")
    settings = Settings(
        data_dir=tmp_path / "state",
        database_url=env["WINBACK_DATABASE_URL"],
        temporal_address=temporal_env.client.service_client.config.target_host,
        task_queue=f"stack-{uuid.uuid4()}",
        web_port=int(env["WINBACK_WEB_PORT"]),
    )
    stop = asyncio.Event()
    running = asyncio.create_task(run_stack(settings, stop))
    async with httpx.AsyncClient() as http:
        for _ in range(100):
            assert not running.done(), running.exception()
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(f"http://127.0.0.1:{settings.web_port}/healthz")).is_success:
                    break
            await asyncio.sleep(0.2)
        else:
            raise AssertionError("dashboard never answered")
    assert _processes_using(tmp_path) == []
    stop.set()
    await asyncio.wait_for(running, 30)
    assert not (tmp_path / "state" / "temporal.db").exists()


def test_dev_server_dies_with_a_killed_up(stack_dir: Path) -> None:
    stack = RunningStack(_stack_env(stack_dir / "state"), stack_dir)
    stack.wait_healthy()
    children = _children(stack.process.pid)
    assert children
    stack.process.kill()  # SIGKILL: no chance to clean up; the kernel must tell the child
    stack.process.wait(10)
    deadline = time.monotonic() + 15
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in children if _alive(pid)], "dev server orphaned"
