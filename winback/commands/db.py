"""`winback migrate` and `winback config`: the store and the settings in force."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from winback.runtime import open_runtime
from winback.settings import Settings, get_settings


def migrate() -> None:
    """Create or upgrade the store's schema to the current version."""
    runtime = open_runtime()
    typer.echo(f"store at {runtime.engine.url.render_as_string(hide_password=True)} is current")


def config() -> None:
    """Show the settings in force (secrets masked)."""
    settings = get_settings()
    table = Table("setting", "value", "env var")
    for name in Settings.model_fields:
        table.add_row(name, str(getattr(settings, name)), f"WINBACK_{name.upper()}")
    Console().print(table)


def register(app: typer.Typer) -> None:
    app.command()(migrate)
    app.command()(config)
