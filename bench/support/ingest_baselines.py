"""The plain loaders bench/ingest.py measures winback against: the least a loader can do.

csv rows, a customer id lookup, a key, then executemany (SQLite or PostgreSQL) or COPY.
"""

from __future__ import annotations

import csv
import hashlib
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from store.ingest.upsert import SQLITE_BULK_CACHE_KB

EVENT_COLUMNS = "event_key, customer_id, occurred_at, kind, quantity, amount"


def baseline_rows(events: Path, ids: dict[str, int]) -> Iterator[tuple[object, ...]]:
    """The events as a plain loader would write them: key, customer id, time, kind, numbers."""
    with events.open(newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for c, at, k, q, a, key in reader:
            digest = key or hashlib.sha256(f"{c}|{at}|{k}".encode()).hexdigest()
            yield digest, ids[c], at, k, float(q), float(a)


def baseline(db_path: Path, events: Path) -> float:
    """csv rows -> executemany INSERT, ids from one dict, one transaction, same pragmas."""
    started = time.perf_counter()
    connection = sqlite3.connect(db_path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(f"PRAGMA cache_size=-{SQLITE_BULK_CACHE_KB}")  # as winback's bulk load
    ids = dict(connection.execute("SELECT external_id, id FROM customers"))
    with connection:
        connection.executemany(
            f"INSERT INTO activity_events ({EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
            baseline_rows(events, ids),
        )
    count = connection.execute("SELECT count(*) FROM activity_events").fetchone()[0]
    connection.close()
    return count / (time.perf_counter() - started)


def postgres_baseline(url: str, events: Path, copy: bool) -> float:
    """The same rows into PostgreSQL by psycopg executemany (or COPY), one transaction."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        ids: dict[str, int] = dict(
            connection.execute("SELECT external_id, id FROM customers").fetchall()  # type: ignore[arg-type]
        )
        rows = baseline_rows(events, ids)
        with connection.cursor() as cursor:
            if copy:
                with cursor.copy(f"COPY activity_events ({EVENT_COLUMNS}) FROM STDIN") as out:
                    for row in rows:
                        out.write_row(row)
            else:
                cursor.executemany(
                    f"INSERT INTO activity_events ({EVENT_COLUMNS}) "
                    "VALUES (%s, %s, %s, %s, %s, %s)",
                    rows,
                )
        connection.commit()
        count = connection.execute("SELECT count(*) FROM activity_events").fetchone()
    assert count is not None
    return int(count[0]) / (time.perf_counter() - started)
