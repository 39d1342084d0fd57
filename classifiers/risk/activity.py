"""Customers with their active-event numbers as of an instant, in one read: the rollup where
it answers, the events where it cannot.

The rollup (customer_activity, kept current at ingest) answers for a customer whose latest
event is not after `as_of`: one joined row instead of a walk over every event. A customer
without a rollup row, or with events after `as_of` (a scan of a past day, or future-dated
data), is computed from the events, with the same aggregates the rollup is built from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement, Label

from classifiers.risk.query_frame import labelled_frame
from classifiers.risk.windows import FeatureWindows
from store.activity_refresh import activity_aggregates
from store.event_time import at_instant
from store.models import ActivityEvent, Customer, CustomerActivity
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
ACTIVITY_COLUMNS = list(COLUMNS.values())
_ROLLED = "rollup_answers"


def customers_with_activity(
    session: Session,
    windows: FeatureWindows,
    ids: range,
    customer_columns: Sequence[Label[Any]],
    with_recent_events: bool = False,
) -> pd.DataFrame:
    """Every customer among `ids` (a range of contiguous or every k-th id), indexed by
    customer_id in id order: the labelled `customer_columns`, then ACTIVITY_COLUMNS as
    floats (NaN for a customer without active events), and with `with_recent_events` the
    rollup's packed recent events (NaN where the rollup does not answer)."""
    c, a = Customer, CustomerActivity
    rollup_columns = [name for name in COLUMNS if name != "events_after_as_of"]
    answers = and_(a.customer_id == c.id, a.last_event_at <= at_instant(windows.as_of))
    query = (
        select(
            c.id.label("customer_id"),
            *customer_columns,
            a.customer_id.label(_ROLLED),
            *(getattr(a, name).label(COLUMNS[name]) for name in rollup_columns),
            *([a.recent_events.label("recent_events")] if with_recent_events else []),
        )
        .select_from(c)
        .outerjoin(a, answers)
        .where(_among(session, c.id, ids))
        .order_by(c.id)
    )
    frame = labelled_frame(session, query)
    frame["events_after_as_of"] = 0
    frame[ACTIVITY_COLUMNS] = frame[ACTIVITY_COLUMNS].astype(float)
    unanswered = frame.index[frame.pop(_ROLLED).isna().to_numpy()]
    if len(unanswered):
        from_events = labelled_frame(session, _from_events(session, windows, unanswered.tolist()))
        if len(from_events):
            frame.loc[from_events.index, ACTIVITY_COLUMNS] = from_events.astype(float)
    return frame


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
