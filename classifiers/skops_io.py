"""skops.io, imported on first use.

Importing skops.io walks scikit-learn's estimators (and imports torch when it is installed):
0.7-2.4 s that every `winback` command paid at start-up, `--help` included, although only
saving and loading a model needs it.
"""

from __future__ import annotations

from types import ModuleType


def skops_io() -> ModuleType:
    import skops.io

    return skops.io
