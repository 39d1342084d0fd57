"""`winback up` as a real subprocess: dev server + dashboard answer, SIGINT stops everything,
a second start reuses the stored Temporal and winback state."""

from __future__ import annotations

import asyncio
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

    def interrupt(self, timeout: float = 30.0) -> int:
        self.process.send_signal(signal.SIGINT)
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
    assert second.interrupt() == 0, second.output.read_text()
    assert _processes_using(stack_dir) == []
    assert (stack_dir / "state" / "temporal.db").exists()
    assert (stack_dir / "state" / "winback.db").exists()


def test_up_refuses_a_port_in_use(tmp_path: Path) -> None:
    env = _stack_env(tmp_path / "state")
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", int(env["WINBACK_WEB_PORT"])))
        holder.listen()
        result = subprocess.run(
            [str(WINBACK), "up"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
    assert result.returncode == 1
    assert f"port {env['WINBACK_WEB_PORT']}" in result.stdout
    assert "already in use" in result.stdout and "WINBACK_WEB_PORT" in result.stdout
    assert _processes_using(tmp_path) == []


async def test_worker_command_explains_unreachable_temporal(tmp_path: Path) -> None:
    env = _stack_env(tmp_path / "state")
    env["WINBACK_TEMPORAL_ADDRESS"] = f"127.0.0.1:{_free_port()}"
    process = await asyncio.create_subprocess_exec(
        str(WINBACK), "worker", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    assert b"cannot reach Temporal" in output
