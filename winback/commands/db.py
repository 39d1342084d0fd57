"""`winback migrate`, `winback config` and `winback db`: the store and the settings in force."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from store.activity_refresh import rebuild_under_lock
from store.db import transaction
from store.migrate import schema_problem
from store.models import ActivityEvent
from winback.runtime import open_runtime
from winback.settings import SettingError, Settings, get_settings, load_detection_rules

db_app = typer.Typer(help="Store maintenance: rebuild derived tables.")


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


@db_app.command("rebuild-activity")
def rebuild_activity() -> None:
    """Rebuild the activity rollup from every event, e.g. after events were changed by SQL
    (the scan only catches up on events with new ids)."""
    settings = get_settings()
    try:
        rules = load_detection_rules(settings)
        kinds = rules.activity_kinds()
    except SettingError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    runtime = open_runtime(settings, migrate=False)
    try:
        problem = schema_problem(runtime.engine)
        if problem:
            typer.echo(f"error: {problem}: run `winback migrate` first", err=True)
            raise typer.Exit(1)
        with transaction(runtime.sessions) as session:
            connection = session.connection()
            report = rebuild_under_lock(connection, kinds, rules.recent_event_days())
            events = connection.execute(select(func.count()).select_from(ActivityEvent)).scalar()
    finally:
        runtime.engine.dispose()
    typer.echo(
        f"activity rollup rebuilt: {report.customers:,} customers from {events or 0:,} events "
        f"(kinds {', '.join(sorted(kinds))}) in {report.seconds:.2f}s"
    )


def register(app: typer.Typer) -> None:
    app.command()(migrate)
    app.command()(config)
    app.add_typer(db_app, name="db")
