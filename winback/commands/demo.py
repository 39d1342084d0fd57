"""`winback demo`: load the shipped public sample data, then start the stack and, on it,
train the models, run a scan (rescues start) and classify the feedback."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from temporalio.client import Client

from winback.commands.stack import run_service, run_stack
from winback.demo.load import DemoSize, load_demo_data
from winback.demo.steps import run_demo_workflows
from winback.runtime import Runtime, open_runtime
from winback.settings import get_settings

console = Console(soft_wrap=True)


def _progress(message: str) -> None:
    console.print(f"[cyan]demo:[/cyan] {message}")


async def _demo_steps(runtime: Runtime, client: Client) -> None:
    await run_demo_workflows(runtime, client, _progress)
    _progress("[bold]ready[/bold]: every demo step is done; Ctrl-C stops the stack")


def demo(
    up: Annotated[
        bool, typer.Option("--up/--no-up", help="Start the stack after loading (default).")
    ] = True,
    quick: Annotated[
        bool, typer.Option("--quick", help="Load a small slice (for a fast look or a test).")
    ] = False,
) -> None:
    """Load the sample data (idempotent), then run the stack with models, scan and listening."""
    size = DemoSize(500, 1000, 4) if quick else DemoSize()
    runtime = open_runtime(get_settings())
    try:
        console.rule("winback demo: loading the shipped sample data (winback/sample_data)")
        counts = load_demo_data(runtime.sessions, date.today(), size, progress=_progress)
    finally:
        runtime.engine.dispose()
    _progress(
        f"loaded {counts.customers} customers, {counts.events} events, {counts.feedback} "
        f"feedback items, {counts.team_members} team members (0 means: already there)"
    )
    if up:
        console.rule("starting the stack")
        run_service(lambda settings, stop: run_stack(settings, stop, after_start=_demo_steps))


def register(app: typer.Typer) -> None:
    app.command()(demo)
