"""The at-risk model's input table: engineered features plus the customer's attributes.

Training (from the store or from a tabular CSV) and scoring build the same columns, so a
model fitted on Telco attributes scores customers whose `attributes` JSON holds them.
"""

from __future__ import annotations

import pandas as pd

ENGINEERED = (
    "silent_days",
    "n_days",
    "own_gap_days",
    "usage_change_pct",
    "events_recent",
    "tenure_days",
    "complaint_n",
    "payment_failed_n",
)
CATEGORY_PREFIX = "complaints:"


def engineered_frame(features: pd.DataFrame) -> pd.DataFrame:
    """Engineered columns plus one count column per complaint category."""
    frame = features[list(ENGINEERED)].astype(float)
    categories = pd.DataFrame.from_records(
        list(features["complaint_categories"]), index=features.index
    ).fillna(0)
    categories.columns = [f"{CATEGORY_PREFIX}{c}" for c in categories.columns]
    return frame.join(categories) if len(categories.columns) else frame


def attributes_frame(attributes: pd.Series) -> pd.DataFrame:
    """The attributes JSON flattened into columns (one per key seen)."""
    records = [a if isinstance(a, dict) else {} for a in attributes]
    return pd.DataFrame.from_records(records, index=attributes.index)


def split_columns(frame: pd.DataFrame, exclude: set[str]) -> tuple[list[str], list[str]]:
    """Numeric vs categorical columns: a column is numeric when nearly all values parse."""
    numeric: list[str] = []
    categorical: list[str] = []
    for column in frame.columns:
        if column in exclude:
            continue
        values = frame[column]
        parsed = pd.to_numeric(values, errors="coerce")
        present = values.notna() & (values.astype(str).str.strip() != "")
        if present.sum() and parsed[present].notna().mean() >= 0.95:
            numeric.append(column)
        else:
            categorical.append(column)
    return numeric, categorical


def model_input(frame: pd.DataFrame, numeric: list[str], categorical: list[str]) -> pd.DataFrame:
    """Exactly the model's columns: numbers coerced, missing columns added as missing."""
    out = pd.DataFrame(index=frame.index)
    for column in numeric:
        default = 0.0 if column.startswith(CATEGORY_PREFIX) else float("nan")
        values = frame[column] if column in frame else pd.Series(default, index=frame.index)
        out[column] = pd.to_numeric(values, errors="coerce")
    for column in categorical:
        values = frame[column] if column in frame else pd.Series(None, index=frame.index)
        out[column] = values.astype(object).where(values.notna(), "missing").astype(str)
    return out


def scoring_frame(features: pd.DataFrame) -> pd.DataFrame:
    """Engineered features joined with attributes, for a scan partition."""
    engineered = engineered_frame(features)
    attributes = attributes_frame(features["attributes"])
    # An attribute named like an engineered feature keeps its value under "attr:<name>".
    attributes.columns = [f"attr:{c}" if c in engineered else c for c in attributes.columns]
    return engineered.join(attributes)
