"""Label-mapping presets: public datasets' labels onto the shipped taxonomy's category ids."""

from __future__ import annotations

from collections.abc import Sequence

from classifiers.presets.banking77 import BANKING77_TO_CATEGORY
from classifiers.presets.bitext import BITEXT_TO_CATEGORY
from classifiers.presets.cfpb import CFPB_ISSUE_TO_CATEGORY

PRESETS: dict[str, dict[str, str]] = {
    "banking77": BANKING77_TO_CATEGORY,
    "bitext": BITEXT_TO_CATEGORY,
    "cfpb": CFPB_ISSUE_TO_CATEGORY,
}


class PresetError(ValueError):
    """A preset that does not exist or a label it cannot map (message names row and field)."""


def map_labels(
    labels: Sequence[str], preset: str, source: str = "data", field: str = "label"
) -> list[str]:
    """Labels translated by the named preset; an unmapped label fails with its row."""
    try:
        mapping = PRESETS[preset]
    except KeyError:
        raise PresetError(f"unknown preset {preset!r}; choose one of {sorted(PRESETS)}") from None
    mapped = []
    for row, label in enumerate(labels, start=1):
        if label not in mapping:
            raise PresetError(
                f"{source}: row {row}, field {field}: {label!r} is not in preset {preset!r}"
            )
        mapped.append(mapping[label])
    return mapped
