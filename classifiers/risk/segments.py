"""Per-segment rule values spread over a partition's rows.

A scan partition has tens of thousands of rows but a handful of segments, so each segment's
value is looked up once and spread with integer codes, not looked up once per row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from classifiers.risk.rules import DetectionRules, SegmentRules


def _by_code(segments: pd.Series, lookup: Callable[[str], float]) -> pd.Series:
    codes, uniques = pd.factorize(segments)
    table = np.array([lookup(str(u)) for u in uniques] + [np.nan], dtype=float)
    return pd.Series(table[codes], index=segments.index)  # code -1 (no segment) -> NaN


def spread(segments: pd.Series, values: Mapping[str, float]) -> pd.Series:
    """Each row's value for its segment (NaN for a segment missing from `values`)."""
    return _by_code(segments, lambda s: values.get(s, np.nan))


def segment_rule(
    frame: pd.DataFrame, rules: DetectionRules, value: Callable[[SegmentRules], float]
) -> pd.Series:
    """`value(rules for the row's segment)` for every row, as floats."""
    return _by_code(frame["segment"], lambda s: value(rules.for_segment(s)))
