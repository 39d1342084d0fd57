"""Memoise a dashboard report until the data under it changes (or a minute passes).

The key holds a cheap change marker: every change to a rescue writes an audit line, so the
highest RescueEvent and RescueCase ids (O(1) reads of the rowid / primary key) move whenever a
pipeline number can. The minute is in the key too, so ages and "overdue" are never more than a
minute old and edits made behind the workflow's back show within a minute.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import RescueCase, RescueEvent

T = TypeVar("T")


class ReportCache:
    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]  # type: ignore[no-any-return]
        value = compute()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value


def rescue_marker(session: Session, now: datetime) -> tuple[object, ...]:
    """What changes whenever a pipeline number can: newest audit line, newest case, minute."""
    events, cases = session.execute(
        select(
            select(func.max(RescueEvent.id)).scalar_subquery(),
            select(func.max(RescueCase.id)).scalar_subquery(),
        )
    ).one()
    return events, cases, now.replace(second=0, microsecond=0)
