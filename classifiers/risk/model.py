"""The supervised at-risk model: logistic regression in a sklearn Pipeline, cross-validated,
saved with skops (never pickle) next to a model card.

Logistic regression fits by log-loss, so its probabilities are calibrated out of the box;
the card reports the Brier score (5-fold CV) to show it.
"""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
import skops
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from classifiers.risk.model_frame import model_input
from classifiers.skops_io import skops_io

# Every type a saved risk model may contain; loading refuses anything else.
TRUSTED_TYPES = [
    "numpy.dtype",
    "numpy.ndarray",
    "numpy.float64",
    "numpy.int64",
    "sklearn.compose._column_transformer.ColumnTransformer",
    "sklearn.impute._base.SimpleImputer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing._data.StandardScaler",
    "sklearn.preprocessing._encoders.OneHotEncoder",
    "builtins.slice",
    "builtins.object",
    "builtins.str",
    "builtins.float",
]


@dataclass
class RiskModel:
    pipeline: Pipeline
    numeric: list[str]
    categorical: list[str]
    card: dict[str, object] = field(default_factory=dict)

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        return self.pipeline.predict_proba(model_input(frame, self.numeric, self.categorical))[:, 1]

    def coverage(self, frame: pd.DataFrame) -> pd.Series:
        """Per row, the share of the model's input columns that are present and not empty."""
        columns = self.numeric + self.categorical
        if not columns:
            return pd.Series(0.0, index=frame.index)
        known = pd.DataFrame(
            {c: frame[c].notna() if c in frame else False for c in columns}, index=frame.index
        )
        return known.mean(axis=1)

    def contributions(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Each input column's share of the log-odds (one-hot columns summed back)."""
        X = model_input(frame, self.numeric, self.categorical)
        transformed = self.pipeline[:-1].transform(X)
        if hasattr(transformed, "toarray"):
            transformed = transformed.toarray()
        coef = self.pipeline[-1].coef_[0]
        names = self.pipeline[:-1].get_feature_names_out()
        baseline = np.asarray(self.card.get("transformed_means", np.zeros(len(names))), float)
        # Relative to the average training customer, so "raises risk" means above average.
        parts = pd.DataFrame((transformed - baseline) * coef, columns=names, index=frame.index)
        sources = [_source_column(n, self.numeric, self.categorical) for n in names]
        return parts.T.groupby(sources).sum().T


def _source_column(name: str, numeric: list[str], categorical: list[str]) -> str:
    prefix, _, rest = name.partition("__")
    if prefix == "num":
        return rest
    return max((c for c in categorical if rest.startswith(f"{c}_")), key=len, default=rest)


def build_pipeline(numeric: list[str], categorical: list[str]) -> Pipeline:
    numbers = Pipeline(
        [
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
            ("scale", StandardScaler()),
        ]
    )
    categories = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    return Pipeline(
        [
            (
                "columns",
                ColumnTransformer([("num", numbers, numeric), ("cat", categories, categorical)]),
            ),
            ("model", LogisticRegression(max_iter=2000, C=1.0)),
        ]
    )


def data_hash(frame: pd.DataFrame, labels: np.ndarray) -> str:
    digest = hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    digest.update(np.asarray(labels, dtype=np.int8).tobytes())
    return digest.hexdigest()


def train_risk_model(
    frame: pd.DataFrame,
    labels: np.ndarray,
    numeric: list[str],
    categorical: list[str],
    source: str,
    folds: int = 5,
) -> RiskModel:
    """Cross-validate (stratified, fixed seed), then fit on everything; the card holds both."""
    labels = np.asarray(labels, dtype=int)
    if len(set(labels)) != 2 or min(np.bincount(labels)) < folds:
        raise ValueError(f"{source}: need both churned and retained customers (>= {folds} each)")
    X = model_input(frame, numeric, categorical)
    pipeline = build_pipeline(numeric, categorical)
    cv = cross_validate(
        pipeline,
        X,
        labels,
        cv=StratifiedKFold(folds, shuffle=True, random_state=0),
        scoring={"roc_auc": "roc_auc", "pr_auc": "average_precision", "brier": "neg_brier_score"},
    )
    pipeline.fit(X, labels)
    means = np.asarray(pipeline[:-1].transform(X), dtype=float).mean(axis=0)
    card: dict[str, object] = {
        "kind": "risk",
        "source": source,
        "rows": int(len(labels)),
        "positive_rate": round(float(labels.mean()), 4),
        "data_sha256": data_hash(X, labels),
        "features": {"numeric": numeric, "categorical": categorical},
        "cv_folds": folds,
        "cv_roc_auc": round(float(np.mean(cv["test_roc_auc"])), 4),
        "cv_pr_auc": round(float(np.mean(cv["test_pr_auc"])), 4),
        "cv_brier": round(float(-np.mean(cv["test_brier"])), 4),
        "transformed_means": [round(float(m), 6) for m in means],
        "versions": {
            "python": platform.python_version(),
            "sklearn": sklearn.__version__,
            "skops": skops.__version__,
            "numpy": np.__version__,
            "pandas": pd.__version__,
        },
    }
    return RiskModel(pipeline, numeric, categorical, card)


def save_risk_model(model: RiskModel, directory: Path) -> Path:
    """`model.skops` + `card.json` in `directory`; returns the model file."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "model.skops"
    skops_io().dump(model.pipeline, path)
    (directory / "card.json").write_text(json.dumps(model.card, indent=2), encoding="utf-8")
    return path


def load_risk_model(path: Path) -> RiskModel:
    """Load with the trusted list only; refuses a file holding any other type.

    `path` is the model file or the directory holding `model.skops` and `card.json`.
    """
    if path.is_dir():
        path = path / "model.skops"
    untrusted = [t for t in skops_io().get_untrusted_types(file=path) if t not in TRUSTED_TYPES]
    if untrusted:
        raise ValueError(f"{path}: refusing to load untrusted types {untrusted}")
    pipeline = skops_io().load(path, trusted=TRUSTED_TYPES)
    card = json.loads((path.parent / "card.json").read_text(encoding="utf-8"))
    features = card["features"]
    return RiskModel(pipeline, list(features["numeric"]), list(features["categorical"]), card)
