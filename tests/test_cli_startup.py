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


def _loaded_after_registering(argv: list[str], modules: tuple[str, ...]) -> str:
    """Which of `modules` a fresh interpreter has imported after registering for argv."""
    probe = (
        f"import sys; from winback import cli; cli._register_commands({argv!r}); "
        f"print(sorted(m for m in {modules!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_a_light_command_does_not_load_the_model_libraries() -> None:
    libraries = ("sklearn", "spacy", "pandas", "torch")
    assert _loaded_after_registering(["tasks", "--help"], libraries) == "[]"


def test_registering_every_command_leaves_skops_io_and_torch_unimported() -> None:
    """skops.io walks scikit-learn's estimators and imports torch when installed: seconds
    that `winback --help` paid before it moved behind classifiers.skops_io."""
    assert _loaded_after_registering([], ("skops.io", "torch")) == "[]"


def test_an_unknown_command_is_a_usage_error() -> None:
    result = subprocess.run([str(WINBACK), "nosuch"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "No such command 'nosuch'" in result.stderr
    assert "Traceback" not in result.stderr
