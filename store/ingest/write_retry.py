"""Write an import again when PostgreSQL breaks a deadlock by aborting it.

Imports take row locks in key order, but two imports that change the same stored rows can
still meet in opposite orders: changed rows are applied one UPDATE per set of changed columns,
and an import's new keys are inserted before its changed ones. PostgreSQL then aborts one of
them (SQLSTATE 40P01). The validated records are still in memory, so the write runs inside a
savepoint: rolling back to it releases every lock the write took, the other import finishes,
and the write is redone, reading what that import stored. SQLite locks the whole database, so
it never deadlocks and writes without a savepoint.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TypeVar

from sqlalchemy.orm import Session

DEADLOCK_DETECTED = "40P01"
WRITE_ATTEMPTS = 4
RETRY_PAUSE_SECONDS = (0.05, 0.5)  # jittered, so the two imports do not collide again

log = logging.getLogger(__name__)
Result = TypeVar("Result")


def is_deadlock(error: BaseException) -> bool:
    """True if error (or what it wraps: SQLAlchemy wraps psycopg's) is a detected deadlock."""
    seen: BaseException | None = error
    while seen is not None:
        if getattr(seen, "sqlstate", None) == DEADLOCK_DETECTED:
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False


def write_retrying_deadlocks(
    session: Session,
    write: Callable[[], Result],
    source: str,
    on_retry: Callable[[int], Any] | None = None,
) -> Result:
    """Run write() in a savepoint on PostgreSQL; after a deadlock, undo it and run it again."""
    postgres = session.get_bind().dialect.name == "postgresql"
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        savepoint: AbstractContextManager[Any] = (
            session.begin_nested() if postgres else nullcontext()
        )
        try:
            with savepoint:
                return write()
        except Exception as error:
            if not is_deadlock(error) or attempt == WRITE_ATTEMPTS:
                raise
        log.warning(
            "%s: deadlock with a concurrent write; writing again (attempt %d of %d)",
            source,
            attempt + 1,
            WRITE_ATTEMPTS,
        )
        if on_retry is not None:
            on_retry(attempt + 1)
        time.sleep(random.uniform(*RETRY_PAUSE_SECONDS))
    raise AssertionError("unreachable: the last attempt returns or raises")
