"""An import that PostgreSQL aborts to break a deadlock is written again, not lost."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from store.ingest import ingest_file
from store.ingest.write_retry import is_deadlock
from store.models import ActivityEvent
from tests.support.pg_locks import wait_for_a_lock_wait

FIXTURES = Path(__file__).parent / "fixtures" / "pg_copy"
KEYS = [f"ev-{i}" for i in range(100)]
LAST = max(KEYS)  # the row every import (keys sorted in byte order) locks last


class _Driver(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"driver error {sqlstate}")
        self.sqlstate = sqlstate


def test_a_deadlock_is_recognised_through_sqlalchemys_wrapping() -> None:
    wrapped = OperationalError("UPDATE ...", {}, _Driver("40P01"))
    assert is_deadlock(wrapped)
    assert is_deadlock(_Driver("40P01"))
    assert not is_deadlock(OperationalError("UPDATE ...", {}, _Driver("23505")))
    try:
        raise RuntimeError("while writing") from _Driver("40P01")
    except RuntimeError as chained:
        assert is_deadlock(chained)


def _events(path: Path, offset: int) -> Path:
    lines = ["customer_external_id,occurred_at,kind,quantity,amount,event_id"]
    lines += [
        f"K-001,2024-04-01T00:00:{i % 60:02d}Z,usage,1,{offset + i},ev-{i}" for i in range(100)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_an_import_aborted_by_a_deadlock_is_written_again_after_the_other_side_commits(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path, caplog: Any
) -> None:
    with engine.connect() as admin:
        name = admin.exec_driver_sql("SELECT current_database()").scalar()
        # The import's sessions look for deadlocks after 3 s, the other side only after 60 s,
        # so PostgreSQL aborts the import's statement, the path under test.
        admin.exec_driver_sql(f"ALTER DATABASE \"{name}\" SET deadlock_timeout = '3s'")
        admin.commit()
    engine.dispose()
    ingest_file(sessions, FIXTURES / "customers.csv", "customers")
    ingest_file(sessions, _events(tmp_path / "first.csv", 0), "events")
    outcome: list[Any] = []

    def reimport() -> None:
        try:
            outcome.append(ingest_file(sessions, _events(tmp_path / "new.csv", 1000), "events"))
        except Exception as error:  # reported by the assertions below
            outcome.append(error)

    caplog.set_level(logging.WARNING, logger="store.ingest.write_retry")
    with engine.connect() as other:
        other.exec_driver_sql("SET deadlock_timeout = '60s'")
        other.exec_driver_sql(f"UPDATE activity_events SET amount = -1 WHERE event_key = '{LAST}'")
        thread = threading.Thread(target=reimport)
        thread.start()
        wait_for_a_lock_wait(engine, "the import never waited for the locked row")
        # Every other row of the import, which holds them: a cycle. Returns once the
        # import's write is undone (PostgreSQL aborted it) and its locks are gone.
        other.exec_driver_sql(
            "UPDATE activity_events SET amount = -1 WHERE event_key <> %s", (LAST,)
        )
        other.commit()
    thread.join(timeout=60)
    (report,) = outcome
    assert not isinstance(report, BaseException), report
    assert "deadlock with a concurrent write; writing again (attempt 2 of 4)" in caplog.text
    assert (report.inserted, report.updated, report.unchanged) == (0, 100, 0)
    with sessions() as session:
        stored = dict(session.execute(select(ActivityEvent.event_key, ActivityEvent.amount)).all())
    assert stored == {f"ev-{i}": 1000 + i for i in range(100)}  # the retry re-read, then wrote
