"""The installed `winback` program exits with the status its command asked for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

WINBACK = Path(sys.executable).parent / "winback"


def test_failing_command_exits_nonzero(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(WINBACK), "playbook", "validate", str(tmp_path / "missing.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0, result.stdout + result.stderr


def test_help_exits_zero() -> None:
    result = subprocess.run([str(WINBACK), "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    assert "ingest" in result.stdout
