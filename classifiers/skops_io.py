"""skops.io, imported on first use.

Importing skops.io walks scikit-learn's estimators (and imports torch when it is installed):
0.7-2.4 s that every `winback` command paid at start-up, `--help` included, although only
saving and loading a model needs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any


def skops_io() -> ModuleType:
    import skops.io

    return skops.io


def load_trusted(path: Path, trusted: Sequence[str], error: type[Exception]) -> Any:
    """The object in a skops file; `error` names the file and any type outside `trusted`."""
    io = skops_io()
    untrusted = set(io.get_untrusted_types(file=path)) - set(trusted)
    if untrusted:
        raise error(f"{path}: untrusted types {sorted(untrusted)}")
    return io.load(path, trusted=list(trusted))
