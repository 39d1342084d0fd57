"""The embedded stack behind `winback up`, and the single services behind `winback worker`/`web`.

The Temporal dev server runs as a child in its own process group (so a terminal's Ctrl-C
reaches only us and we stop things in order); the worker and the web app run as tasks of
one asyncio loop. Everything stops when `stop` is set: web and worker first, then the dev
server is terminated, and killed if it has not left within the timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import uvicorn
from temporalio.client import Client
from temporalio.worker import Worker

from web.app import create_app
from web.temporal_link import TemporalLink
from winback.binaries import temporal_cli
from winback.child_process import die_with_parent
from winback.runtime import Runtime
from winback.settings import Settings
from winback.temporal_client import temporal_target
from winback.worker import activity_callables, build_worker, workflow_classes

Say = Callable[[str], None]


class StackError(RuntimeError):
    """A reason the stack cannot start, worded for the person who ran the command."""


def bind_port(host: str, port: int, what: str, env_var: str) -> socket.socket:
    """A listening-ready socket on host:port, or a clear error naming who should move."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise StackError(
            f"port {port} on {host} ({what}) is already in use: stop what holds it "
            f"or choose another port with {env_var}"
        ) from exc
    return sock


def ensure_port_free(host: str, port: int, what: str, env_var: str) -> None:
    bind_port(host, port, what, env_var).close()


def dev_server_command(settings: Settings) -> list[str]:
    """`temporal server start-dev` on loopback, persisting to <data_dir>/temporal.db."""
    return [
        str(temporal_cli()),
        "server", "start-dev",
        "--ip", "127.0.0.1",
        "--port", str(settings.temporal_port),
        "--ui-port", str(settings.temporal_ui_port),
        "--db-filename", str(settings.data_dir.resolve() / "temporal.db"),
        "--sqlite-pragma", "journal_mode=wal",
        "--sqlite-pragma", "synchronous=normal",
        "--namespace", settings.temporal_namespace,
        "--ui-disable-news-fetch",
        "--log-level", "warn",
    ]  # fmt: skip


class DevServer:
    """The Temporal dev server child process: start, wait until it answers, stop."""

    def __init__(self, process: subprocess.Popen[bytes], log_path: Path) -> None:
        self.process = process
        self.log_path = log_path

    @classmethod
    def start(cls, settings: Settings) -> DevServer:
        log_path = settings.data_dir / "temporal.log"
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                dev_server_command(settings),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: we stop it, not the terminal
                preexec_fn=die_with_parent if sys.platform == "linux" else None,
            )
        return cls(process, log_path)

    async def wait_ready(self, settings: Settings, timeout: float = 60.0) -> Client:
        """A connected client once the server answers; a clear error if it died or hung."""
        target = temporal_target(settings)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            code = self.process.poll()
            if code is not None:
                raise StackError(
                    f"the Temporal dev server exited with status {code}; "
                    f"last lines of {self.log_path}:\n{self._log_tail()}"
                )
            try:
                return await Client.connect(target, namespace=settings.temporal_namespace)
            except RuntimeError:
                if asyncio.get_running_loop().time() > deadline:
                    self.stop()
                    raise StackError(
                        f"the Temporal dev server did not answer at {target} within "
                        f"{timeout:.0f}s; see {self.log_path}"
                    ) from None
                await asyncio.sleep(0.25)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the server's process group, SIGKILL it after `timeout`, reap the child."""
        group = self.process.pid  # leader of its own session, so pgid == pid
        if self.process.poll() is None:
            _signal_group(group, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(group, signal.SIGKILL)
                self.process.wait()
        _signal_group(group, signal.SIGKILL)  # anything it left behind in its group
        _wait_group_gone(group)

    def _log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _wait_group_gone(group: int, timeout: float = 5.0) -> None:
    """A killed process lingers until the kernel has torn it down: return only once nothing
    in the group is left, so `winback up` never exits before its children do."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except (ProcessLookupError, PermissionError):
            return
        time.sleep(0.02)


def _signal_group(group: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, sig)


class _QuietSignalsServer(uvicorn.Server):
    """uvicorn, minus its own signal handlers: the stack decides when everything stops."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def web_server(runtime: Runtime, client: Client | None) -> _QuietSignalsServer:
    app = create_app(runtime, TemporalLink(runtime.settings, client))
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    return _QuietSignalsServer(config)


def maybe_worker(runtime: Runtime, client: Client, say: Say) -> Worker | None:
    """The worker with everything registered, or None (with a note) while nothing is."""
    workflows = workflow_classes()
    activities = activity_callables(runtime, client)
    if not workflows and not activities:
        say("no workflows or activities are registered yet: the worker is not started")
        return None
    return build_worker(runtime, client, workflows=workflows, activities=activities)


async def serve_until_stopped(
    stop: asyncio.Event, worker: Worker | None, web: tuple[uvicorn.Server, socket.socket] | None
) -> None:
    """Run worker and web until `stop` is set or one of them fails; then stop both."""
    running: dict[str, asyncio.Task[Any]] = {"stop": asyncio.create_task(stop.wait())}
    if worker is not None:
        running["worker"] = asyncio.create_task(worker.run())
    if web is not None:
        server, sock = web
        running["web"] = asyncio.create_task(server.serve(sockets=[sock]))
    await asyncio.wait(running.values(), return_when=asyncio.FIRST_COMPLETED)
    if web is not None:
        web[0].should_exit = True
    if worker is not None and not running["worker"].done():
        await worker.shutdown()
    if worker is not None:
        from activities.scan_processes import close_scan_pools

        await asyncio.to_thread(close_scan_pools)  # waits for the pool's processes to end
    running["stop"].cancel()
    results = await asyncio.gather(*running.values(), return_exceptions=True)
    for name, result in zip(running, results, strict=True):
        if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
            raise StackError(f"the {name} stopped with an error: {result!r}") from result
        if name != "stop" and not stop.is_set():
            raise StackError(f"the {name} stopped on its own; see the messages above")


def run_until_signalled(main: Callable[[asyncio.Event], Coroutine[Any, Any, None]]) -> None:
    """asyncio.run(main(stop)) where SIGINT and SIGTERM set `stop` instead of raising."""

    async def _with_signals() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await main(stop)

    asyncio.run(_with_signals())
