"""Each customer's active-event numbers as of an instant: from the rollup where it answers,
from the events where it cannot.

The rollup (customer_activity, kept current at ingest) answers for a customer whose latest
event is not after `as_of`: one row instead of a walk over every event. A customer without a
rollup row, or with events after `as_of` (a scan of a past day, or future-dated data), is
computed from the events, with the same aggregates the rollup is built from.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Select, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from classifiers.risk.query_frame import labelled_frame
from classifiers.risk.windows import FeatureWindows
from store.activity_refresh import activity_aggregates
from store.event_time import at_instant
from store.models import ActivityEvent, CustomerActivity
from store.sql_lists import among

# Feature names of the rollup's columns.
COLUMNS = {
    "active_events": "n_events",
    "active_days": "n_days",
    "first_active_day": "first_day",
    "last_active_day": "last_day",
    "negative_amounts": "negative_amounts",
    "events_after_as_of": "events_after_as_of",
}


def activity_numbers(
    session: Session, windows: FeatureWindows, ids: range, customers: pd.Index
) -> pd.DataFrame:
    """Customers with events among `customers` (the existing ids of `ids`, a range of
    contiguous or every k-th id), indexed by customer_id, with COLUMNS' values as columns."""
    a = CustomerActivity
    rollup_columns = [name for name in COLUMNS if name != "events_after_as_of"]
    rolled = _frame(
        session,
        select(
            a.customer_id.label("customer_id"),
            *(getattr(a, name).label(COLUMNS[name]) for name in rollup_columns),
        ).where(_among(session, a.customer_id, ids), a.last_event_at <= at_instant(windows.as_of)),
    )
    rolled["events_after_as_of"] = 0.0
    unanswered = customers.difference(rolled.index)
    if unanswered.empty:
        return rolled
    query = _from_events(session, windows, unanswered.tolist())
    from_events = _frame(session, query)
    return pd.concat([rolled, from_events]) if len(from_events) else rolled


def _from_events(session: Session, windows: FeatureWindows, ids: list[int]) -> Select[Any]:
    e = ActivityEvent
    dialect = session.get_bind().dialect.name
    aggregates = activity_aggregates(windows.activity_kinds, dialect, windows.as_of)
    return (
        select(
            e.customer_id.label("customer_id"),
            *(aggregates[name].label(label) for name, label in COLUMNS.items()),
        )
        .where(among(dialect, e.customer_id, ids, "customer_ids"))
        .group_by(e.customer_id)
    )


def _among(session: Session, column: Any, ids: range) -> ColumnElement[bool]:
    if ids.step == 1:
        return (column >= ids.start) & (column < ids.stop)
    return among(session.get_bind().dialect.name, column, list(ids), "sampled_ids")


def _frame(session: Session, query: Select[Any]) -> pd.DataFrame:
    """All numbers: NULL days become NaN, even in an empty frame."""
    return labelled_frame(session, query).astype(float)
