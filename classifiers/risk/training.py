"""Training data for the at-risk model, from a labels CSV.

Two shapes are accepted: a tabular file whose other columns are the features (the Telco
CSV with its `Churn` column), or just `external_id,churned` whose features come from the
store as of a date (engineered features plus each customer's attributes). Bad rows are
errors that name the file, the row and the field.
"""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from classifiers.registry import ModelRegistry
from classifiers.risk.features import FeatureWindows, compute_features
from classifiers.risk.model import RiskModel, save_risk_model, train_risk_model
from classifiers.risk.model_frame import scoring_frame, split_columns
from classifiers.risk.registry import RISK
from classifiers.risk.rules import DetectionRules
from store.models import Customer

TRUE = {"1", "yes", "true", "y", "churned", "lost"}
FALSE = {"0", "no", "false", "n", "retained", "active"}
ID_COLUMNS = ("external_id", "customerID", "customer_id")
LABEL_COLUMNS = ("churned", "Churn", "label")


class LabelsFileError(ValueError):
    """A labels file that cannot be trained on; the message names file, row and field."""


@dataclass(frozen=True)
class TrainingSet:
    frame: pd.DataFrame
    labels: np.ndarray
    numeric: list[str]
    categorical: list[str]
    source: str  # "tabular" | "store"


def _pick(
    columns: list[str], wanted: str | None, choices: tuple[str, ...], path: Path, what: str
) -> str:
    if wanted:
        if wanted not in columns:
            raise LabelsFileError(f"{path}: no {what} column {wanted!r} (columns: {columns})")
        return wanted
    for choice in choices:
        if choice in columns:
            return choice
    raise LabelsFileError(f"{path}: no {what} column; name it with one of {list(choices)}")


def read_labels(
    path: Path, id_column: str | None = None, label_column: str | None = None
) -> tuple[pd.DataFrame, str, str]:
    """The CSV as text, with its id and label columns checked row by row."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise LabelsFileError(f"{path}: cannot read: {exc}") from exc
    if not rows:
        raise LabelsFileError(f"{path}: no rows")
    frame = pd.DataFrame(rows, dtype=str).fillna("")
    ident = _pick(list(frame.columns), id_column, ID_COLUMNS, path, "id")
    label = _pick(list(frame.columns), label_column, LABEL_COLUMNS, path, "label")
    for number, (key, value) in enumerate(zip(frame[ident], frame[label], strict=True), start=2):
        if not key.strip():
            raise LabelsFileError(f"{path}: row {number}, field {ident!r}: empty id")
        if value.strip().lower() not in TRUE | FALSE:
            raise LabelsFileError(
                f"{path}: row {number}, field {label!r}: {value!r} is not a churn label "
                f"(use one of {sorted(TRUE | FALSE)})"
            )
    duplicated = frame[ident].duplicated()
    if duplicated.any():
        number = int(np.argmax(duplicated.to_numpy())) + 2
        raise LabelsFileError(f"{path}: row {number}, field {ident!r}: duplicate id")
    return frame, ident, label


def labels_of(values: pd.Series) -> np.ndarray:
    return values.str.strip().str.lower().isin(TRUE).to_numpy(int)


def training_set(
    path: Path,
    sessions: sessionmaker[Session],
    rules: DetectionRules,
    as_of: datetime,
    id_column: str | None = None,
    label_column: str | None = None,
) -> TrainingSet:
    frame, ident, label = read_labels(path, id_column, label_column)
    labels = labels_of(frame[label])
    if len(frame.columns) > 2:  # tabular: the file's other columns are the features
        numeric, categorical = split_columns(frame, {ident, label})
        return TrainingSet(
            frame.drop(columns=[ident, label]), labels, numeric, categorical, "tabular"
        )
    with sessions() as session:
        found = session.execute(
            select(Customer.external_id, Customer.id).where(
                Customer.external_id.in_(list(frame[ident]))
            )
        ).all()
        ids = {str(external_id): int(customer_id) for external_id, customer_id in found}
        missing = [i for i, key in enumerate(frame[ident]) if key not in ids]
        if missing:
            raise LabelsFileError(
                f"{path}: row {missing[0] + 2}, field {ident!r}: customer "
                f"{frame[ident].iloc[missing[0]]!r} is not in the store "
                f"({len(missing)} unknown ids)"
            )
        lo, hi = session.execute(select(func.min(Customer.id), func.max(Customer.id))).one()
        w = rules.window_days
        windows = FeatureWindows(
            as_of, rules.activity_kinds(), w["usage"], w["complaints"], w["payments"], w["contract"]
        )
        features = compute_features(session, int(lo), int(hi) + 1, windows)
    inputs = scoring_frame(features.loc[[ids[k] for k in frame[ident]]])
    numeric, categorical = split_columns(inputs, set())
    return TrainingSet(inputs.reset_index(drop=True), labels, numeric, categorical, "store")


def train_and_register(
    data: TrainingSet, sessions: sessionmaker[Session], models_dir: Path, labels_path: Path
) -> tuple[str, RiskModel]:
    """Cross-validate, fit, save with skops, register and promote: the new live risk model."""
    model = train_risk_model(
        data.frame,
        data.labels,
        data.numeric,
        data.categorical,
        source=f"{labels_path.name} ({data.source})",
    )
    registry = ModelRegistry(sessions, models_dir)
    with tempfile.TemporaryDirectory() as tmp:
        save_risk_model(model, Path(tmp))
        version = registry.register(RISK, Path(tmp), model.card)
    registry.promote(RISK, version)
    return version, model
