"""Per-customer features, computed in the database with set-based GROUP BY queries.

Per partition: the customers joined to their activity rollup row (kept current at ingest;
the events themselves only where the rollup cannot answer for `as_of`), the last two usage
windows summed with numpy from the recent events packed in that row, the few signal events
through the kind index, rescue cases and classified feedback. Works on SQLite and
PostgreSQL; nothing iterates over events in Python. Times are turned into "days since
the Unix epoch" inside SQL so both backends return plain numbers. The "as of" instant is a
parameter: events after it are ignored (and counted), which makes a scan reproducible for
any past day.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement, Label

from classifiers.risk.activity import ACTIVITY_COLUMNS, customers_with_activity
from classifiers.risk.query_frame import labelled_frame
from classifiers.risk.windows import FeatureWindows
from store.activity_tail import window_sums
from store.event_time import as_epoch_days, at_instant, epoch_days, without_index
from store.models import ActivityEvent, Customer, FeedbackItem, RescueCase
from store.sql_lists import among


def _customers(session: Session, lo: int, hi: int, windows: FeatureWindows) -> pd.DataFrame:
    """The partition's customers with their activity numbers. Dates stay as the driver
    returns them (pandas parses the whole column later); the attributes JSON is decoded
    here, once per customer."""
    c = Customer
    columns: list[Label[Any]] = [
        c.external_id.label("external_id"),
        c.segment.label("segment"),
        c.team.label("team"),
        c.value_per_year.label("value_per_year"),
        c.start_date.label("start_date"),
        c.has_contract.label("has_contract"),
        c.status.label("status"),
        c.status_changed_on.label("status_changed_on"),
        c.attributes.label("attributes"),
    ]
    frame = customers_with_activity(
        session, windows, range(lo, hi), columns, with_recent_events=True
    )
    frame["has_contract"] = frame["has_contract"].astype(bool)
    frame["attributes"] = [_json_object(a) for a in frame["attributes"].tolist()]
    return frame


def _json_object(value: object) -> dict[str, Any]:
    """A JSON column as a dict: SQLite returns text, PostgreSQL's driver a decoded value."""
    if isinstance(value, str):
        value = {} if value == "{}" else json.loads(value)
    return value if isinstance(value, dict) else {}


def _usage_trend(
    session: Session, w: FeatureWindows, recent_events: pd.Series, dialect: str
) -> pd.DataFrame:
    """Usage and active events in the recent window and the one before it, from the recent
    events packed in each customer's rollup row (`recent_events`, NaN where the rollup
    cannot answer: those customers' events are read instead). The windows are nested:
    prior totals are "since prior start" minus "recent"."""
    recent_after = w.as_of - timedelta(days=w.usage_days)
    since_after = recent_after - timedelta(days=w.usage_days)
    packed = recent_events.dropna()
    sums = window_sums(packed.tolist(), recent_after, since_after)
    frame = pd.DataFrame(
        {
            "usage_recent": sums.usage_recent,
            "usage_since": sums.usage_since,
            "events_recent": sums.events_recent,
            "events_since": sums.events_since,
        },
        index=packed.index,
    )
    unanswered = recent_events.index[recent_events.isna().to_numpy()]
    if len(unanswered):
        query = _usage_from_events(w, unanswered.tolist(), recent_after, since_after, dialect)
        from_events = labelled_frame(session, query).fillna(0.0)  # SUM over none is NULL
        frame = pd.concat([frame, from_events.astype(float)]) if len(from_events) else frame
    frame["usage_prior"] = frame.pop("usage_since") - frame["usage_recent"]
    frame["events_prior"] = frame.pop("events_since") - frame["events_recent"]
    return frame


def _usage_from_events(
    w: FeatureWindows, ids: list[int], recent_after: datetime, since_after: datetime, dialect: str
) -> Select[Any]:
    """The same sums in SQL: per customer, the index is entered at the prior window's start."""
    e, c = ActivityEvent, Customer
    recent = e.occurred_at > at_instant(recent_after)
    usage = e.kind == "usage"
    in_windows = and_(
        e.customer_id == c.id,
        e.occurred_at > at_instant(since_after),
        e.occurred_at <= at_instant(w.as_of),
    )
    return (  # aggregate FILTER: cheaper per event than CASE on SQLite, same on PostgreSQL
        select(
            c.id.label("customer_id"),
            func.sum(e.quantity).filter(and_(recent, usage)).label("usage_recent"),
            func.sum(e.quantity).filter(usage).label("usage_since"),
            func.count().filter(recent).label("events_recent"),
            func.count().label("events_since"),
        )
        .select_from(c)
        .join(e, in_windows)
        .where(
            among(dialect, c.id, ids, "customer_ids"),
            without_index(e.kind, dialect).in_(w.activity_kinds),
        )
        .group_by(c.id)
    )


def _signals(session: Session, lo: int, hi: int, w: FeatureWindows, dialect: str) -> pd.DataFrame:
    """Contract, payment and complaint events in their windows. Signals are rare, so they
    are read through the (kind, customer_id, occurred_at) index: only the signal rows."""
    e = ActivityEvent
    windows = {
        "payment_failed": w.payments_days,
        "complaint": w.complaints_days,
        "cancellation": w.contract_days,
        "non_renewal": w.contract_days,
        "downgrade": w.contract_days,
    }

    def since(kind: str, days: int) -> ColumnElement[int]:
        window = and_(e.kind == kind, e.occurred_at > at_instant(w.as_of - timedelta(days=days)))
        return func.sum(case((window, 1), else_=0)).label(f"{kind}_n")

    query = (
        select(e.customer_id.label("customer_id"), *[since(k, d) for k, d in windows.items()])
        .where(
            e.kind.in_(list(windows)),
            e.customer_id >= lo,
            e.customer_id < hi,
            e.occurred_at > at_instant(w.as_of - timedelta(days=max(windows.values()))),
            e.occurred_at <= at_instant(w.as_of),
        )
        .group_by(e.customer_id)
    )
    if dialect == "sqlite":  # without statistics it would take the covering time index
        query = query.with_hint(e, "INDEXED BY ix_activity_events_kind_customer_time", "sqlite")
    return labelled_frame(session, query)


def _complaint_categories(session: Session, lo: int, hi: int, w: FeatureWindows) -> pd.Series:
    f = FeedbackItem
    rows = (
        session.connection()
        .execute(
            select(f.customer_id, f.category_id, func.count())
            .where(
                f.customer_id >= lo,
                f.customer_id < hi,
                f.category_id.is_not(None),
                f.occurred_at > at_instant(w.as_of - timedelta(days=w.complaints_days)),
                f.occurred_at <= at_instant(w.as_of),
            )
            .group_by(f.customer_id, f.category_id)
        )
        .all()
    )
    by_customer: dict[int, dict[str, int]] = {}
    for customer_id, category_id, count in rows:  # one row per (customer, category): aggregated
        by_customer.setdefault(customer_id, {})[category_id] = int(count)
    return pd.Series(by_customer, dtype=object, name="complaint_categories")


def _episodes(session: Session, lo: int, hi: int, dialect: str) -> pd.DataFrame:
    """Rescue episodes so far, open ones, and when the last one closed."""
    r = RescueCase
    query = (
        select(
            r.customer_id.label("customer_id"),
            func.count().label("episodes"),
            func.sum(case((r.status == "open", 1), else_=0)).label("open_cases"),
            func.max(epoch_days(r.closed_at, dialect)).label("last_closed_day"),
        )
        .where(r.customer_id >= lo, r.customer_id < hi)
        .group_by(r.customer_id)
    )
    return labelled_frame(session, query)


def compute_features(session: Session, lo: int, hi: int, windows: FeatureWindows) -> pd.DataFrame:
    """One row per customer with id in [lo, hi): raw aggregates plus derived features."""
    dialect = session.get_bind().dialect.name
    frame = _customers(session, lo, hi, windows)
    parts = [
        _usage_trend(session, windows, frame.pop("recent_events"), dialect),
        _signals(session, lo, hi, windows, dialect),
        _episodes(session, lo, hi, dialect),
    ]
    for part in parts:
        frame = frame.join(part, how="left")
    days = ("first_day", "last_day", "last_closed_day")
    counts = [c for c in ACTIVITY_COLUMNS if c not in days]
    counts += [c for p in parts for c in p.columns if c not in days]
    frame[counts] = frame[counts].fillna(0).astype(float)
    frame = frame.join(_complaint_categories(session, lo, hi, windows), how="left")
    frame["complaint_categories"] = [
        v if isinstance(v, dict) else {} for v in frame["complaint_categories"]
    ]
    return derive(frame, windows.as_of)


def derive(frame: pd.DataFrame, as_of: datetime) -> pd.DataFrame:
    """Features computed from the aggregates: recency, own rhythm, usage trend, tenure."""
    today = as_of_days = as_epoch_days(as_of)
    frame["silent_days"] = today - frame["last_day"].astype(float)  # all-NULL partitions too
    gaps = frame["n_days"] - 1
    frame["own_gap_days"] = np.where(
        gaps > 0, (frame["last_day"] - frame["first_day"]) / gaps.where(gaps > 0, 1), np.nan
    )
    use_quantity = frame["usage_prior"] > 0
    before = np.where(use_quantity, frame["usage_prior"], frame["events_prior"])
    after = np.where(use_quantity, frame["usage_recent"], frame["events_recent"])
    frame["usage_change_pct"] = np.where(
        before > 0, 100.0 * (after - before) / np.where(before > 0, before, 1), np.nan
    )
    start = pd.to_datetime(frame["start_date"], errors="coerce")
    start_days = (start - pd.Timestamp("1970-01-01")).dt.days.astype(float)
    start_days = start_days.where(start_days.notna(), frame["first_day"].astype(float))
    frame["tenure_days"] = (as_of_days - start_days).clip(lower=0)
    return frame
