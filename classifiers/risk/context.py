"""What a whole scan shares before scoring partitions: segment rhythm norms and BG/NBD.

One set-based query returns each customer's active-day count and first/last active day;
norms and the BG/NBD fit are computed from those few numbers per customer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from classifiers.risk.bgnbd import fit_bgnbd
from classifiers.risk.event_time import (
    as_epoch_days,
    at_instant,
    epoch_days,
    utc_day,
    without_index,
)
from classifiers.risk.features import FeatureWindows
from classifiers.risk.lapse import LapseContext, bgnbd_inputs
from store.models import ActivityEvent, Customer

MAX_FIT_CUSTOMERS = 5_000  # BG/NBD has 4 parameters: a sample of this size pins them
MIN_FIT_CUSTOMERS = 30
MAX_NORM_CUSTOMERS = 50_000  # beyond this, norms come from every k-th customer id


def activity_summary(session: Session, windows: FeatureWindows, every: int = 1) -> pd.DataFrame:
    """Per customer (every `every`-th id): segment, contract flag, active days, first and
    last active day. The sample is a list of customer ids, so the events are read through
    the (customer_id, occurred_at, ...) index for those customers only, not scanned whole."""
    e = ActivityEvent
    dialect = session.get_bind().dialect.name
    sampled = []
    if every > 1:
        ids = select(Customer.id).where(Customer.id % every == 0)
        sampled = [e.customer_id.in_(ids.scalar_subquery())]
    per_customer = (
        select(
            e.customer_id.label("customer_id"),
            func.count(func.distinct(utc_day(e.occurred_at, dialect))).label("n_days"),
            epoch_days(func.min(e.occurred_at), dialect).label("first_day"),
            epoch_days(func.max(e.occurred_at), dialect).label("last_day"),
        )
        .where(
            without_index(e.kind, dialect).in_(windows.activity_kinds),
            e.occurred_at <= at_instant(windows.as_of),
            *sampled,
        )
        .group_by(e.customer_id)
        .subquery()
    )
    rows = (
        session.connection()
        .execute(
            select(Customer.segment, Customer.has_contract, per_customer).join(
                per_customer, per_customer.c.customer_id == Customer.id
            )
        )
        .all()
    )
    columns = ["segment", "has_contract", "customer_id", "n_days", "first_day", "last_day"]
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


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
