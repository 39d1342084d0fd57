"""Waiting, in a test, until some PostgreSQL session is blocked on a lock another one holds."""

from __future__ import annotations

import time

from sqlalchemy import Engine


def wait_for_a_lock_wait(engine: Engine, failure: str) -> None:
    """Until some session of this database waits on a row lock (bounded: 20 s), else fail."""
    with engine.connect() as watcher:
        for _ in range(200):
            waiting = watcher.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).scalar()
            if waiting:
                return
            watcher.rollback()  # pg_stat_activity is read once per transaction
            time.sleep(0.1)
    raise AssertionError(failure)
