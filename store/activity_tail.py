"""Each customer's latest active events, packed into its rollup row, so a scan sums its usage
windows from one value per customer instead of seeking into the event index per customer.

A rollup row answers for any `as_of` at or after the customer's last event. The windows a
scan sums over (the last two usage windows before `as_of`) then lie within the `tail_days`
before that last event, so the row keeps exactly those active events: the instant in UTC
microseconds, the quantity, and whether it is a usage event. Summing them for the scan's
own window edges gives the numbers the SQL over the events gives.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, and_, bindparam, select, update

from store.db import driver_rows
from store.event_time import days_before, utc_micros, without_index
from store.models import ActivityEvent, CustomerActivity
from store.sql_lists import among

PACKED = np.dtype([("at_us", "<i8"), ("quantity", "<f8"), ("usage", "u1")])
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def tail_days_for(usage_window_days: int) -> int:
    """Days of recent events a rollup row keeps for scans with this usage window: the recent
    window and the one before it, and a day for instants within the last day."""
    return 2 * usage_window_days + 1


def micros(moment: datetime) -> int:
    """`moment` as integer UTC microseconds since the epoch, exactly."""
    return (moment.astimezone(UTC) - _EPOCH) // timedelta(microseconds=1)


def refresh_recent_events(
    connection: Connection, customer_ids: Sequence[int], kinds: Collection[str], tail_days: int
) -> None:
    """Rewrite recent_events of these customers' rollup rows from their events."""
    if not customer_ids:
        return
    dialect = connection.dialect.name
    e, a = ActivityEvent, CustomerActivity
    query = (
        select(
            a.customer_id,
            utc_micros(e.occurred_at, dialect),
            e.quantity,
            e.kind == "usage",
        )
        .select_from(a)
        .join(
            e,
            and_(
                e.customer_id == a.customer_id,
                e.occurred_at > days_before(a.last_event_at, tail_days, dialect),
            ),
        )
        .where(
            among(dialect, a.customer_id, list(customer_ids), "ids"),
            without_index(e.kind, dialect).in_(list(kinds)),
        )
        .order_by(a.customer_id, e.occurred_at)
    )
    packed = pack_by_customer(driver_rows(connection, query))
    values = [{"cid": cid, "packed": packed.get(cid, b"")} for cid in customer_ids]
    connection.execute(
        update(CustomerActivity)
        .where(CustomerActivity.customer_id == bindparam("cid"))
        .values(recent_events=bindparam("packed")),
        values,
    )


def pack_by_customer(rows: Sequence[Sequence[object]]) -> dict[int, bytes]:
    """(customer_id, at_us, quantity, is_usage) rows, ordered by customer -> packed bytes."""
    if not rows:
        return {}
    read = np.array(
        [tuple(row) for row in rows],
        dtype=[("customer_id", "<i8"), ("at_us", "<i8"), ("quantity", "<f8"), ("usage", "u1")],
    )
    table = np.empty(len(read), dtype=PACKED)
    for name in PACKED.names or ():
        table[name] = read[name]
    owners = read["customer_id"]
    starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
    ends = np.r_[starts[1:], len(owners)]
    return {int(owners[s]): table[s:e].tobytes() for s, e in zip(starts, ends, strict=True)}


@dataclass(frozen=True)
class WindowSums:
    """Per customer (in input order): usage quantity and active events in the recent window
    and since the start of the window before it."""

    usage_recent: NDArray[np.float64]
    usage_since: NDArray[np.float64]
    events_recent: NDArray[np.float64]
    events_since: NDArray[np.float64]


def window_sums(
    packed: Sequence[bytes], recent_after: datetime, since_after: datetime
) -> WindowSums:
    """Sum each customer's packed events after the window edges (strictly, like the SQL)."""
    lengths = np.fromiter(map(len, packed), dtype=np.int64, count=len(packed))
    table = np.frombuffer(b"".join(packed), dtype=PACKED)
    owner = np.repeat(np.arange(len(packed)), lengths // PACKED.itemsize)
    since = table["at_us"] > micros(since_after)
    recent = table["at_us"] > micros(recent_after)
    usage = table["usage"].astype(bool)
    n = len(packed)

    def total(mask: NDArray[np.bool_], weights: NDArray[np.float64] | None = None) -> NDArray:
        chosen = weights[mask] if weights is not None else None
        return np.bincount(owner[mask], weights=chosen, minlength=n).astype(np.float64)

    quantity = table["quantity"]
    return WindowSums(
        usage_recent=total(recent & usage, quantity),
        usage_since=total(since & usage, quantity),
        events_recent=total(recent),
        events_since=total(since),
    )
