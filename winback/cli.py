"""The `winback` command: one Typer sub-app per command group in winback/commands/."""

from __future__ import annotations

import importlib
import os
import sys

import typer

app = typer.Typer(
    name="winback",
    help="Spot defectors, rescue them through a four-step conversation, listen to customers.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold secrets
)

# The module that registers each top-level command. `winback tasks` imports only the module
# it runs (about half a second) instead of all of them (scikit-learn, spaCy and pandas load in
# seconds); `--help` and unknown names import every module. tests/test_cli_startup.py checks
# this map against what the modules register.
COMMAND_OWNERS = {
    "migrate": "winback.commands.db",
    "config": "winback.commands.db",
    "db": "winback.commands.db",
    "playbook": "winback.commands.playbook",
    "rescue": "winback.commands.rescue",
    "tasks": "winback.commands.rescue",
    "up": "winback.commands.stack",
    "worker": "winback.commands.stack",
    "web": "winback.commands.stack",
    "ingest": "winback.commands.ingest",
    "model": "winback.commands.model",
    "review": "winback.commands.review",
    "listen": "winback.commands.listen",
    "retrain": "winback.commands.listen",
    "train": "winback.commands.detect",
    "scan": "winback.commands.detect",
    "flags": "winback.commands.detect",
    "demo": "winback.commands.demo",
    "digest": "winback.commands.digest",
}
# Each module exposes `register(app)`: a new command group is a new entry above.
COMMAND_MODULES = list(dict.fromkeys(COMMAND_OWNERS.values()))


@app.callback()
def _root() -> None:
    """Spot defectors, rescue them through a four-step conversation, listen to customers."""
    # A callback keeps `winback` a command group even when one module is registered.


def _register_commands(argv: list[str] | None = None) -> None:
    """Register the module that owns the command in `argv` (all of them when unsure)."""
    words = [a for a in (argv or []) if not a.startswith("-")]
    owner = COMMAND_OWNERS.get(words[0]) if words else None
    for name in [owner] if owner else COMMAND_MODULES:
        importlib.import_module(name).register(app)


def main() -> None:
    """Entry point: run the CLI, then leave with os._exit (temporalio sdk-python#300)."""
    _register_commands(sys.argv[1:])
    status = 0
    try:
        # Standalone mode: Typer's click prints usage errors and "Aborted!" itself and
        # always ends in SystemExit with the command's status.
        app()
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        status = 130
    except Exception as exc:  # a bug: Typer's hook prints it (without locals), then exit 1
        sys.excepthook(type(exc), exc, exc.__traceback__)
        status = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def build_app() -> typer.Typer:
    """The app with every command registered, for tests (CliRunner)."""
    if not app.registered_commands and not app.registered_groups:
        _register_commands()
    return app
