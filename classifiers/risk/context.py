"""What a whole scan shares before scoring partitions: segment rhythm norms and BG/NBD.

Each customer's active-day count and first/last active day come from the activity rollup
(from the events where it cannot answer); norms and the BG/NBD fit are computed from those
few numbers per customer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from classifiers.risk.activity import customers_with_activity
from classifiers.risk.bgnbd import fit_bgnbd
from classifiers.risk.features import FeatureWindows
from classifiers.risk.lapse import LapseContext, bgnbd_inputs
from store.event_time import as_epoch_days
from store.models import Customer

MAX_FIT_CUSTOMERS = 5_000  # BG/NBD has 4 parameters: a sample of this size pins them
MIN_FIT_CUSTOMERS = 30
MAX_NORM_CUSTOMERS = 50_000  # beyond this, norms come from every k-th customer id


def activity_summary(session: Session, windows: FeatureWindows, every: int = 1) -> pd.DataFrame:
    """Per customer with active events (every `every`-th id): segment, contract flag, active
    days, first and last active day, read from the activity rollup where it answers."""
    bounds = session.connection().execute(select(func.min(Customer.id), func.max(Customer.id)))
    lo, hi = bounds.one()
    columns = ["segment", "has_contract", "customer_id", "n_days", "first_day", "last_day"]
    if lo is None:
        return pd.DataFrame(columns=columns)
    ids = range(lo, hi + 1) if every == 1 else range(-(-lo // every) * every, hi + 1, every)
    c = Customer
    frame = customers_with_activity(
        session, windows, ids, [c.segment.label("segment"), c.has_contract.label("has_contract")]
    )
    return frame[frame["n_events"] > 0].reset_index()[columns]


def segment_gap_days(summary: pd.DataFrame) -> tuple[dict[str, float], float | None]:
    """Pooled days between active days, per segment and overall (repeat customers only)."""
    repeat = summary[summary["n_days"] >= 2]
    if repeat.empty:
        return {}, None
    span = repeat["last_day"] - repeat["first_day"]
    gaps = repeat["n_days"] - 1
    by_segment = span.groupby(repeat["segment"]).sum() / gaps.groupby(repeat["segment"]).sum()
    overall = float(span.sum() / gaps.sum())
    return {str(k): float(v) for k, v in by_segment.items()}, overall


def build_lapse_context(session: Session, windows: FeatureWindows) -> LapseContext:
    """Norms from up to MAX_NORM_CUSTOMERS customers (a systematic sample by id beyond that),
    BG/NBD fitted on up to MAX_FIT_CUSTOMERS non-contract ones when there are enough."""
    customers = session.connection().execute(select(func.count()).select_from(Customer)).scalar()
    every = max(1, -(-int(customers or 0) // MAX_NORM_CUSTOMERS))
    summary = activity_summary(session, windows, every)
    norms, overall = segment_gap_days(summary)
    sample = summary[~summary["has_contract"].astype(bool)].sort_values("customer_id")
    step = max(1, -(-len(sample) // MAX_FIT_CUSTOMERS))  # ceil: at most MAX_FIT_CUSTOMERS
    sample = sample.iloc[::step]
    params = None
    if len(sample) >= MIN_FIT_CUSTOMERS and (sample["n_days"] > 1).any():
        x, t_x, T = bgnbd_inputs(sample, as_epoch_days(windows.as_of))
        try:
            params = fit_bgnbd(x, t_x, np.maximum(T, 1e-6))
        except ValueError:
            params = None
    return LapseContext(segment_gap_days=norms, overall_gap_days=overall, bgnbd=params)
