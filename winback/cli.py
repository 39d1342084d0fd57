"""The `winback` command: one Typer sub-app per command group in winback/commands/."""

from __future__ import annotations

import importlib
import os
import sys

import click
import typer

app = typer.Typer(
    name="winback",
    help="Spot defectors, rescue them through a four-step conversation, listen to customers.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold secrets
)

# Each module exposes `register(app)`; add new command groups here.
COMMAND_MODULES = [
    "winback.commands.db",
    "winback.commands.playbook",
    "winback.commands.rescue",
    "winback.commands.stack",
    "winback.commands.ingest",
    "winback.commands.model",
    "winback.commands.review",
    "winback.commands.listen",
    "winback.commands.detect",
    "winback.commands.demo",
    "winback.commands.digest",
]


def _register_commands() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)


def main() -> None:
    """Entry point: run the CLI, then leave with os._exit (temporalio sdk-python#300)."""
    _register_commands()
    status = 0
    try:
        # With standalone_mode=False, click returns typer.Exit's code instead of raising it.
        returned = app(standalone_mode=False)
        status = returned if isinstance(returned, int) else 0
    except click.exceptions.Exit as exc:
        status = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        status = exc.exit_code
    except click.exceptions.Abort:
        print("Aborted.", file=sys.stderr)
        status = 130
    except KeyboardInterrupt:
        status = 130
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def build_app() -> typer.Typer:
    """The app with every command registered, for tests (CliRunner)."""
    if not app.registered_commands and not app.registered_groups:
        _register_commands()
    return app
