"""PostgreSQL's COPY ingest path stores what SQLite's INSERT path stores, once, all or nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from store.db import make_engine, make_sessionmaker
from store.ingest import IngestError, ingest_file
from store.ingest import upsert as upsert_module
from store.ingest.pg_copy import CopyWriter
from store.ingest.schemas.events import EVENTS
from store.ingest.upsert import WriteCounts, upsert
from store.migrate import upgrade
from store.models import ActivityEvent, Customer, FeedbackItem
from tests.support.pg_locks import wait_for_a_lock_wait
from tests.support.postgres import create_database

FIXTURES = Path(__file__).parent / "fixtures" / "pg_copy"
FILES = [("customers.csv", "customers"), ("events.jsonl", "events"), ("feedback.csv", "feedback")]
CHANGED = [
    ("customers_changed.csv", "customers"),
    ("events_changed.jsonl", "events"),
    ("feedback_changed.csv", "feedback"),
]
NOW = datetime(2024, 6, 1, tzinfo=UTC)
# Filled by the model's clock, so compared by kind, not by value.
CLOCK_COLUMNS = {"id", "created_at", "updated_at"}


# conftest's `engine` and `sessions`, on PostgreSQL only: COPY is PostgreSQL's path.
pytestmark = pytest.mark.parametrize("db_url", ["postgres"], indirect=True)


@pytest.fixture
def pg_engine(engine: Engine) -> Engine:
    assert engine.dialect.name == "postgresql"
    return engine


@pytest.fixture
def pg_sessions(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    return sessions


@pytest.fixture
def copies(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many rows each COPY inserted: proves the COPY path, not executemany, ran."""
    inserted: list[int] = []
    real = CopyWriter.insert

    def counted(self: CopyWriter, rows: Any) -> int:
        inserted.append(real(self, rows))
        return inserted[-1]

    monkeypatch.setattr(CopyWriter, "insert", counted)
    return inserted


@pytest.fixture
def copied_updates(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many rows each COPYed UPDATE changed."""
    updated: list[int] = []
    real = CopyWriter.update

    def counted(self: CopyWriter, names: Any, rows: Any) -> int:
        updated.append(real(self, names, rows))
        return updated[-1]

    monkeypatch.setattr(CopyWriter, "update", counted)
    return updated


def load(
    sessions: sessionmaker[Session], files: list[tuple[str, str]] = FILES
) -> list[tuple[int, int, int]]:
    reports = [ingest_file(sessions, FIXTURES / name, kind, now=NOW) for name, kind in files]
    return [(r.inserted, r.updated, r.unchanged) for r in reports]


def stored(sessions: sessionmaker[Session]) -> dict[str, list[dict[str, object]]]:
    """Every row of the three tables by natural key, customer ids as external ids."""
    tables: dict[str, list[dict[str, object]]] = {}
    with sessions() as session:
        external = dict(session.execute(select(Customer.id, Customer.external_id)).tuples().all())
        for model, key in (
            (Customer, "external_id"),
            (ActivityEvent, "event_key"),
            (FeedbackItem, "external_id"),
        ):
            rows = []
            for row in session.execute(select(model.__table__)).mappings():
                values = {k: v for k, v in row.items() if k not in CLOCK_COLUMNS}
                if "customer_id" in values:
                    values["customer_id"] = external.get(values["customer_id"])  # type: ignore[arg-type]
                for name in CLOCK_COLUMNS - {"id"}:
                    if name in row:
                        stamp = row[name]
                        assert stamp.tzinfo is not None and stamp.utcoffset() == timedelta(0)
                rows.append(values)
            tables[model.__tablename__] = sorted(rows, key=lambda r, k=key: str(r[k]))  # type: ignore[misc]
    return tables


def test_copy_stores_what_sqlite_stores_and_a_second_load_inserts_nothing(
    pg_sessions: sessionmaker[Session],
    sqlite_sessions: sessionmaker[Session],
    copies: list[int],
) -> None:
    assert load(pg_sessions) == [(4, 0, 0), (5, 0, 0), (3, 0, 0)]
    assert copies == [4, 5, 3]
    assert load(sqlite_sessions) == [(4, 0, 0), (5, 0, 0), (3, 0, 0)]
    assert copies == [4, 5, 3]  # SQLite keeps its INSERT path

    on_postgres, on_sqlite = stored(pg_sessions), stored(sqlite_sessions)
    assert on_postgres == on_sqlite
    alder = on_postgres["customers"][0]
    assert alder["attributes"] == {"balance": -1250.75, "plan": "gold", "score": 0.5}
    assert alder["has_contract"] is True and alder["status_changed_on"] is None
    dune = on_postgres["customers"][3]
    assert (dune["segment"], dune["currency"], dune["owner"], dune["attributes"]) == (
        "default",
        "USD",
        None,
        {},
    )
    events = {row["event_key"]: row for row in on_postgres["activity_events"]}
    assert events["ev-1"]["occurred_at"] == datetime(2024, 3, 1, 4, 45, tzinfo=UTC)
    texts = {row["external_id"]: row["text"] for row in on_postgres["feedback_items"]}
    assert texts["F-3"] == "Tab\tand newline\\nliteral backslash \\ here"

    assert load(pg_sessions) == [(0, 0, 4), (0, 0, 5), (0, 0, 3)]
    assert copies == [4, 5, 3]  # nothing new: no COPY at all
    assert stored(pg_sessions) == on_postgres


def test_copied_updates_change_what_sqlite_updates_change(
    pg_sessions: sessionmaker[Session],
    sqlite_sessions: sessionmaker[Session],
    copied_updates: list[int],
) -> None:
    stamps = {}
    for sessions in (pg_sessions, sqlite_sessions):
        load(sessions)
        with sessions.begin() as session:
            session.execute(update(FeedbackItem).values(classified_at=NOW))
        stamps[sessions] = _updated_at(sessions)
        assert load(sessions, CHANGED) == [(1, 1, 1), (0, 2, 1), (0, 1, 1)]
    assert copied_updates == [1, 1, 1, 1]  # ev-1 and ev-4 change different columns

    on_postgres = stored(pg_sessions)
    assert on_postgres == stored(sqlite_sessions)
    customers = {row["external_id"]: row for row in on_postgres["customers"]}
    assert customers["K-001"]["attributes"] == {
        "balance": -1250.75,
        "plan": "platinum",
        "score": 0.5,
    }
    assert customers["K-001"]["has_contract"] is False
    assert customers["K-005"]["attributes"] == {"plan": -7}
    events = {row["event_key"]: row for row in on_postgres["activity_events"]}
    assert events["ev-4"]["occurred_at"] == datetime(2024, 2, 29, 23, tzinfo=UTC)
    feedback = {row["external_id"]: row for row in on_postgres["feedback_items"]}
    assert feedback["F-1"]["classified_at"] is None  # new words: classified again
    assert feedback["F-3"]["classified_at"] == NOW
    before, after = stamps[pg_sessions], _updated_at(pg_sessions)
    assert after["K-001"] > before["K-001"]  # the model's onupdate stamp, as SQLAlchemy sets it
    assert after["K-002"] == before["K-002"]


def _updated_at(sessions: sessionmaker[Session]) -> dict[str, datetime]:
    with sessions() as session:
        query = select(Customer.external_id, Customer.updated_at)
        return dict(session.execute(query).tuples().all())


def test_copy_stores_what_postgres_executemany_stores(
    pg_sessions: sessionmaker[Session], postgres_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(pg_sessions)
    monkeypatch.setattr(upsert_module, "USE_COPY_ON_POSTGRES", False)
    engine = make_engine(create_database(postgres_server))
    try:
        upgrade(engine)
        plain = make_sessionmaker(engine)
        load(plain)
        assert stored(pg_sessions) == stored(plain)
    finally:
        engine.dispose()


def _events_file(folder: Path, name: str, numbers: range) -> Path:
    path = folder / name
    lines = ["customer_external_id,occurred_at,kind,quantity,amount,event_id"]
    lines += [f"K-00{1 + i % 4},2024-04-01T00:00:{i % 60:02d}Z,usage,1,{i},ev-{i}" for i in numbers]
    path.write_text("\n".join(lines) + "\n")
    return path


def _run_together(jobs: list[Callable[[], Any]]) -> list[Any]:
    start = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = jobs[index]()
        except Exception as error:  # reported to the test below
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_concurrent_ingests_of_overlapping_keys_both_succeed_and_store_each_key_once(
    pg_sessions: sessionmaker[Session], tmp_path: Path, copies: list[int]
) -> None:
    ingest_file(pg_sessions, FIXTURES / "customers.csv", "customers", now=NOW)
    # Reversed orders in the files: sorted inserts make the two wait, never deadlock.
    first = _events_file(tmp_path, "a.csv", range(0, 12_000))
    second = _events_file(tmp_path, "b.csv", range(17_999, 5_999, -1))
    reports = _run_together(
        [partial(ingest_file, pg_sessions, p, "events", now=NOW) for p in (first, second)]
    )
    assert all(not isinstance(r, BaseException) for r in reports), reports
    with pg_sessions() as session:
        total = session.scalar(select(func.count()).select_from(ActivityEvent))
        distinct = session.scalar(select(func.count(func.distinct(ActivityEvent.event_key))))
    assert total == distinct == 18_000
    assert sum(r.inserted for r in reports) == 18_000
    assert sum(r.unchanged for r in reports) + sum(r.inserted for r in reports) == 24_000
    assert sum(copies[1:]) == 18_000  # after the customers


def test_an_import_meeting_uncommitted_rows_of_another_waits_then_skips_them(
    pg_engine: Engine, pg_sessions: sessionmaker[Session], copies: list[int]
) -> None:
    ingest_file(pg_sessions, FIXTURES / "customers.csv", "customers", now=NOW)
    with pg_sessions() as session:
        customer = session.scalars(select(Customer.id)).first()
    assert customer is not None
    at = datetime(2024, 4, 1, tzinfo=UTC)

    def events(numbers: range) -> list[dict[str, object]]:
        return [
            {
                "event_key": f"ev-{i}",
                "customer_id": customer,
                "occurred_at": at,
                "kind": "usage",
                "quantity": 1.0,
                "amount": float(i),
            }
            for i in numbers
        ]

    with pg_engine.connect() as first:
        first.begin()
        assert upsert(first, EVENTS, events(range(0, 3000))).inserted == 3000

        def second_import() -> WriteCounts:
            with pg_engine.begin() as second:  # cannot see the first's rows: not committed
                return upsert(second, EVENTS, events(range(2000, 5000)))

        outcome: list[Any] = []
        thread = threading.Thread(target=lambda: outcome.extend(_run_together([second_import])))
        thread.start()
        wait_for_a_lock_wait(pg_engine, "the second import never waited for the first one's rows")
        first.commit()
    thread.join(timeout=30)
    (counts,) = outcome
    assert isinstance(counts, WriteCounts), counts
    assert (counts.inserted, counts.unchanged) == (2000, 1000)
    assert copies[-2:] == [3000, 2000]  # the second COPY met the 1000 shared keys
    with pg_sessions() as session:
        assert session.scalar(select(func.count()).select_from(ActivityEvent)) == 5000


def test_a_bad_row_rejects_the_whole_file_and_writes_nothing(
    pg_sessions: sessionmaker[Session], copies: list[int]
) -> None:
    ingest_file(pg_sessions, FIXTURES / "customers.csv", "customers", now=NOW)
    with pytest.raises(IngestError) as raised:
        ingest_file(pg_sessions, FIXTURES / "events_bad.csv", "events", now=NOW)
    message = str(raised.value)
    assert "events_bad.csv" in message and "row 2" in message and "amount" in message
    with pg_sessions() as session:
        assert session.scalar(select(func.count()).select_from(ActivityEvent)) == 0
    assert copies == [4]  # the customers; the events never reached COPY
