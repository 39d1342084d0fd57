"""Keeps the per-customer activity rollup (customer_activity) current, with set-based SQL.

Ingestion refreshes the customers a file touched, in the file's transaction. A scan first
catches up: customers with events past the highest event id the rollup has seen (written
around ingestion) are refreshed, and a change of activity kinds, or a usage window longer
than the recent events kept per row (store/activity_tail.py), rebuilds the whole rollup.
Every refresh first locks the one state row, so two refreshes never interleave (PostgreSQL;
SQLite serialises writers anyway) and each sees the other's committed events.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, case, delete, func, insert, select, update
from sqlalchemy.sql.elements import ColumnElement

from store.activity_tail import refresh_recent_events
from store.base import utcnow
from store.db import conflict_insert
from store.event_time import at_instant, epoch_days, utc_day, without_index
from store.models import (
    DEFAULT_ACTIVITY_KINDS,
    DEFAULT_TAIL_DAYS,
    ActivityEvent,
    ActivityRollupState,
    CustomerActivity,
)
from store.sql_lists import among

log = logging.getLogger(__name__)

REFRESH_BATCH = 20_000  # customer ids per statement
STATE_ID = 1


@dataclass(frozen=True)
class RollupRefresh:
    """What a refresh did, for logs and progress lines."""

    rebuilt: bool  # the whole rollup, else only `customers`
    customers: int
    seconds: float


def activity_aggregates(
    kinds: Collection[str], dialect: str, as_of: datetime | None = None
) -> dict[str, ColumnElement[Any]]:
    """Per-customer numbers over a GROUP BY customer_id of activity_events: active events and
    days, first and last active day, negative amounts, and (with `as_of`) events after it,
    which are left out of the rest. The rollup and the scan's fallback share these."""
    e = ActivityEvent
    active: ColumnElement[bool] = without_index(e.kind, dialect).in_(list(kinds))
    columns: dict[str, ColumnElement[Any]] = {}
    if as_of is not None:
        seen = e.occurred_at <= at_instant(as_of)
        active = and_(active, seen)
        columns["events_after_as_of"] = func.sum(case((~seen, 1), else_=0))
    active_at = case((active, e.occurred_at))
    columns |= {
        "active_events": func.sum(case((active, 1), else_=0)),
        "active_days": func.count(func.distinct(case((active, utc_day(e.occurred_at, dialect))))),
        "first_active_day": epoch_days(func.min(active_at), dialect),
        "last_active_day": epoch_days(func.max(active_at), dialect),
        "negative_amounts": func.sum(case((e.amount < 0, 1), else_=0)),
    }
    return columns


def refresh_customers(
    connection: Connection,
    customer_ids: Collection[int],
    kinds: Collection[str],
    tail_days: int = DEFAULT_TAIL_DAYS,
) -> None:
    """Recompute the rollup rows of these customers from their events (no events: no row)."""
    for batch in _batches(sorted(set(customer_ids)), REFRESH_BATCH):
        dialect = connection.dialect.name
        connection.execute(
            delete(CustomerActivity).where(
                among(dialect, CustomerActivity.customer_id, batch, "ids")
            )
        )
        _insert_from_events(
            connection, kinds, among(dialect, ActivityEvent.customer_id, batch, "ids")
        )
        refresh_recent_events(connection, batch, kinds, tail_days)


def rebuild(
    connection: Connection, kinds: Collection[str], tail_days: int = DEFAULT_TAIL_DAYS
) -> None:
    """Recompute every customer's row in one pass over the events."""
    connection.execute(delete(CustomerActivity))
    _insert_from_events(connection, kinds, None)
    ids = (
        connection.execute(
            select(CustomerActivity.customer_id).order_by(CustomerActivity.customer_id)
        )
        .scalars()
        .all()
    )
    for batch in _batches(list(ids), REFRESH_BATCH):
        refresh_recent_events(connection, batch, kinds, tail_days)


def rebuild_under_lock(
    connection: Connection, kinds: Collection[str], tail_days: int = DEFAULT_TAIL_DAYS
) -> RollupRefresh:
    """Rebuild every row and move the watermark to the newest event, holding the state row
    like every refresh. For events changed in place by SQL, which no watermark can notice."""
    started = time.perf_counter()
    _lock_state(connection)
    return _rebuild_recorded(connection, _kinds_key(kinds), tail_days, started)


def catch_up(
    connection: Connection,
    kinds: Collection[str] | None = None,
    also: Collection[int] = (),
    tail_days: int | None = None,
) -> RollupRefresh:
    """Bring the rollup up to date: rebuild it when `kinds` differ from what it counts, when
    it keeps fewer than `tail_days` of recent events, or when it was never built; else
    refresh the customers of events it has not seen plus `also`. None keeps what the
    rollup has (the defaults before the first build)."""
    started = time.perf_counter()
    state = _lock_state(connection)
    built = state.max_event_id >= 0
    wanted = (
        _kinds_key(kinds)
        if kinds is not None
        else (state.activity_kinds if built else _kinds_key(DEFAULT_ACTIVITY_KINDS))
    )
    kept = state.tail_days if built else 0
    tail = max(kept, tail_days or (kept or DEFAULT_TAIL_DAYS))
    if not built or state.activity_kinds != wanted or kept < tail:
        report = _rebuild_recorded(connection, wanted, tail, started)
        log.info(
            "activity rollup rebuilt for kinds %s, %d days of recent events: %d customers in %.1fs",
            wanted,
            tail,
            report.customers,
            report.seconds,
        )
        return report
    top = _newest_event_id(connection)
    touched = set(also)
    if top > state.max_event_id:  # no DISTINCT: SQLite would walk a whole index for it
        unseen = select(ActivityEvent.customer_id).where(ActivityEvent.id > state.max_event_id)
        touched.update(connection.execute(unseen).scalars())
    refresh_customers(connection, touched, wanted.split(","), tail)
    if top != state.max_event_id:
        _save_state(connection, wanted, tail, max(top, state.max_event_id))
    return RollupRefresh(False, len(touched), time.perf_counter() - started)


def _rebuild_recorded(
    connection: Connection, kinds_key: str, tail_days: int, started: float
) -> RollupRefresh:
    """Rebuild every row (the state row is locked) and record what the rollup now holds."""
    top = _newest_event_id(connection)
    rebuild(connection, kinds_key.split(","), tail_days)
    customers = int(
        connection.execute(select(func.count()).select_from(CustomerActivity)).scalar() or 0
    )
    _save_state(connection, kinds_key, tail_days, top)
    return RollupRefresh(True, customers, time.perf_counter() - started)


def _newest_event_id(connection: Connection) -> int:
    return int(connection.execute(select(func.max(ActivityEvent.id))).scalar() or 0)


def _insert_from_events(
    connection: Connection, kinds: Collection[str], where: ColumnElement[bool] | None
) -> None:
    e = ActivityEvent
    columns = activity_aggregates(kinds, connection.dialect.name)
    query = select(e.customer_id, *columns.values(), func.max(e.occurred_at)).group_by(
        e.customer_id
    )
    if where is not None:
        query = query.where(where)
    names = ["customer_id", *columns, "last_event_at"]
    connection.execute(insert(CustomerActivity).from_select(names, query))


def _lock_state(connection: Connection) -> Row[Any]:
    """The state row, locked until commit (PostgreSQL; SQLite has one writer at a time).
    It is created first if missing, so even the first two refreshes queue on its lock;
    max_event_id -1 means the rollup was never built."""
    connection.execute(
        conflict_insert(connection.dialect.name)(ActivityRollupState)
        .values(id=STATE_ID, activity_kinds="", max_event_id=-1, tail_days=0, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["id"])
    )
    return connection.execute(
        select(
            ActivityRollupState.activity_kinds,
            ActivityRollupState.max_event_id,
            ActivityRollupState.tail_days,
        )
        .where(ActivityRollupState.id == STATE_ID)
        .with_for_update()
    ).one()


def _save_state(connection: Connection, kinds_key: str, tail_days: int, max_event_id: int) -> None:
    connection.execute(
        update(ActivityRollupState)
        .where(ActivityRollupState.id == STATE_ID)
        .values(
            activity_kinds=kinds_key,
            tail_days=tail_days,
            max_event_id=max_event_id,
            updated_at=utcnow(),
        )
    )


def _kinds_key(kinds: Collection[str]) -> str:
    return ",".join(sorted(set(kinds)))


def _batches(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
