"""Baselines of bench/detect.py: a naive pandas scan, and the CDNOW lapse holdout.

The CDNOW master file is read from the shared data folder beside the repository (benchmarks
only: the repository itself ships no copy of it).
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from classifiers.risk.bgnbd import expected_purchases, fit_bgnbd
from store.db import make_engine

CDNOW_MASTER = Path(__file__).resolve().parents[3] / "shared/data/cdnow/CDNOW_master.txt"


def naive_pandas(url: str, as_of: datetime) -> float:
    """Baseline: read every event into pandas, group and derive the same activity features."""
    engine = make_engine(url)
    started = time.perf_counter()
    events = pd.read_sql(
        "SELECT customer_id, occurred_at, kind, quantity FROM activity_events",
        engine,
        parse_dates=["occurred_at"],
    )
    events["day"] = events["occurred_at"].dt.floor("D")
    active = events[events["kind"].isin(["purchase", "usage", "login", "payment"])]
    grouped = active.groupby("customer_id").agg(
        n_events=("kind", "size"),
        n_days=("day", "nunique"),
        first=("occurred_at", "min"),
        last=("occurred_at", "max"),
    )
    recent = events[
        events["occurred_at"] > pd.Timestamp(as_of.replace(tzinfo=None)) - pd.Timedelta(days=28)
    ]
    grouped["usage_recent"] = recent.groupby("customer_id")["quantity"].sum()
    grouped["silent"] = (pd.Timestamp(as_of.replace(tzinfo=None)) - grouped["last"]).dt.days
    gaps = (grouped["last"] - grouped["first"]).dt.days / (grouped["n_days"] - 1).clip(lower=1)
    _ = grouped["silent"] > 3 * gaps
    engine.dispose()
    return time.perf_counter() - started


def cdnow_holdout(path: Path) -> tuple[float, float, float, int]:
    log = pd.read_csv(
        path,
        sep=r"\s+",
        skiprows=1,
        header=None,
        names=["customer", "date", "cds", "dollars"],
        dtype={"date": str},
    )
    log["date"] = pd.to_datetime(log["date"], format="%Y%m%d")
    end = pd.Timestamp("1997-09-30")
    cal = log[log["date"] <= end].groupby("customer")["date"]
    first, last = cal.min(), cal.max()
    x = (cal.nunique() - 1).to_numpy(float)
    t_x = ((last - first).dt.days / 7).to_numpy(float)
    T = ((end - first).dt.days / 7).to_numpy(float)
    buyers_later = set(log.loc[log["date"] > end, "customer"])
    lapsed = np.array([c not in buyers_later for c in first.index], dtype=int)
    params = fit_bgnbd(x, t_x, T)
    expected = expected_purchases(params, 39.0, x, t_x, T)
    auc_bgnbd = roc_auc_score(lapsed, -expected)
    auc_recency = roc_auc_score(lapsed, T - t_x)
    return float(auc_bgnbd), float(auc_recency), float(lapsed.mean()), len(x)
