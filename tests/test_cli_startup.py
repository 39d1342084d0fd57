"""`winback <command>` imports only the module that owns the command, and the owner map
stays true to what the modules register; mistakes get usage errors, not tracebacks."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import typer
from typer.main import get_command

from winback.cli import COMMAND_MODULES, COMMAND_OWNERS

WINBACK = Path(sys.executable).parent / "winback"


def _registered_names(module: str) -> set[str]:
    app = typer.Typer()
    app.callback()(lambda: None)  # a group even when the module registers one command
    importlib.import_module(module).register(app)
    return set(get_command(app).commands)  # type: ignore[attr-defined]


def test_every_command_has_its_registering_module_as_owner() -> None:
    owners = {name: module for module in COMMAND_MODULES for name in _registered_names(module)}
    assert owners == COMMAND_OWNERS


def test_a_light_command_does_not_load_the_model_libraries() -> None:
    probe = (
        "import sys; from winback import cli; cli._register_commands(['tasks', '--help']); "
        "print(sorted(m for m in ('sklearn', 'spacy', 'pandas', 'torch') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip() == "[]", result.stderr


def test_registering_every_command_leaves_skops_io_and_torch_unimported() -> None:
    """skops.io walks scikit-learn's estimators and imports torch when installed: seconds
    that `winback --help` paid before it moved behind classifiers.skops_io."""
    probe = (
        "import sys; from winback import cli; cli._register_commands([]); "
        "print(sorted(m for m in ('skops.io', 'torch') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip() == "[]", result.stderr


def test_an_unknown_command_is_a_usage_error() -> None:
    result = subprocess.run([str(WINBACK), "nosuch"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "No such command 'nosuch'" in result.stderr
    assert "Traceback" not in result.stderr
