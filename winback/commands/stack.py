"""`winback up` (the whole stack on this machine), `winback worker` and `winback web` (one each,
for production, against the configured Temporal and database)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Coroutine
from typing import Any

import typer
from rich.console import Console
from temporalio.client import Client

from playbooks.loader import PlaybookError
from winback.runtime import Runtime, open_runtime
from winback.settings import SettingError, Settings, get_settings
from winback.stack import (
    DevServer,
    StackError,
    bind_port,
    ensure_port_free,
    maybe_worker,
    run_until_signalled,
    serve_until_stopped,
    web_server,
)
from winback.temporal_client import connect, temporal_target

console = Console(soft_wrap=True)


def _say(message: str) -> None:
    console.print(f"[dim]winback:[/dim] {message}")


def _web_socket(settings: Settings) -> socket.socket:
    return bind_port(settings.web_host, settings.web_port, "dashboard", "WINBACK_WEB_PORT")


AfterStart = Callable[[Runtime, Client], Coroutine[Any, Any, None]]


async def run_stack(
    settings: Settings, stop: asyncio.Event, after_start: AfterStart | None = None
) -> None:
    """Dev server (unless WINBACK_TEMPORAL_ADDRESS is set), then worker and web, until `stop`.

    `after_start` (the demo's steps) runs beside them once they start; its failure is
    reported and leaves the stack running.
    """
    embedded = not settings.temporal_address
    if embedded:
        ensure_port_free("127.0.0.1", settings.temporal_port, "Temporal", "WINBACK_TEMPORAL_PORT")
        ensure_port_free(
            "127.0.0.1", settings.temporal_ui_port, "Temporal UI", "WINBACK_TEMPORAL_UI_PORT"
        )
    sock = _web_socket(settings)
    runtime = open_runtime(settings)
    dev_server = DevServer.start(settings) if embedded else None
    try:
        if dev_server is not None:
            _say(f"starting the Temporal dev server (log: {dev_server.log_path})")
            client = await dev_server.wait_ready(settings)
        else:
            client = await _connect(settings)
        worker = maybe_worker(runtime, client, _say)
        server = web_server(runtime, client)
        _print_where(settings, runtime.engine.url.render_as_string(hide_password=True))
        extra = (
            asyncio.create_task(_reported(after_start(runtime, client))) if after_start else None
        )
        try:
            await serve_until_stopped(stop, worker, (server, sock))
        finally:
            if extra is not None:
                extra.cancel()
    finally:
        sock.close()
        if dev_server is not None:
            _say("stopping the Temporal dev server")
            dev_server.stop()
        runtime.engine.dispose()
    _say("stopped")


async def _reported(steps: Coroutine[Any, Any, None]) -> None:
    try:
        await steps
    except Exception as exc:  # the stack stays up; the person sees what failed
        console.print(f"[bold red]error:[/bold red] {type(exc).__name__}: {exc}")


def _print_where(settings: Settings, database: str) -> None:
    temporal_ui = (
        f"http://127.0.0.1:{settings.temporal_ui_port}"
        if not settings.temporal_address
        else f"(external Temporal at {settings.temporal_address})"
    )
    console.print("[bold green]winback is up[/bold green]  (Ctrl-C stops everything)")
    console.print(f"  dashboard    http://{settings.web_host}:{settings.web_port}")
    console.print(f"  Temporal UI  {temporal_ui}   gRPC {temporal_target(settings)}")
    console.print(f"  database     {database}")
    if not settings.temporal_address:
        console.print(f"  Temporal DB  {settings.data_dir.resolve() / 'temporal.db'}")


async def run_worker_only(settings: Settings, stop: asyncio.Event) -> None:
    runtime = open_runtime(settings)
    try:
        client = await _connect(settings)
        worker = maybe_worker(runtime, client, _say)
        if worker is None:
            raise StackError("nothing to run: no workflows or activities are registered")
        _say(f"worker on task queue {settings.task_queue!r} at {temporal_target(settings)}")
        await serve_until_stopped(stop, worker, None)
    finally:
        runtime.engine.dispose()


async def run_web_only(settings: Settings, stop: asyncio.Event) -> None:
    sock = _web_socket(settings)
    runtime = open_runtime(settings)
    try:
        _say(f"dashboard on http://{settings.web_host}:{settings.web_port}")
        await serve_until_stopped(stop, None, (web_server(runtime, None), sock))
    finally:
        sock.close()
        runtime.engine.dispose()


ServiceMain = Callable[[Settings, asyncio.Event], Coroutine[Any, Any, None]]


async def _connect(settings: Settings) -> Client:
    try:
        return await connect(settings)
    except RuntimeError as exc:
        raise StackError(str(exc)) from exc


def run_service(main: ServiceMain) -> None:
    """Run one of the service mains until SIGINT/SIGTERM; a StackError exits 1 with its reason."""
    settings = get_settings()
    try:
        run_until_signalled(lambda stop: main(settings, stop))
    except (StackError, PlaybookError, SettingError) as exc:
        console.print(f"[bold red]error:[/bold red] {exc}")
        # SystemExit, not typer.Exit: cli.main runs click with standalone_mode=False, where
        # typer.Exit's code is returned rather than raised and would be lost.
        raise SystemExit(1) from None


def up() -> None:
    """Start Temporal (dev server), the worker and the dashboard on this machine."""
    run_service(run_stack)


def worker() -> None:
    """Run the winback worker against the configured Temporal (production)."""
    run_service(run_worker_only)


def web() -> None:
    """Serve the dashboard and APIs on WINBACK_WEB_HOST:WINBACK_WEB_PORT (production)."""
    run_service(run_web_only)


def register(app: typer.Typer) -> None:
    app.command()(up)
    app.command(name="worker")(worker)
    app.command(name="web")(web)
