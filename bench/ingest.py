"""Benchmark: 1M activity events through `winback ingest` vs a plain DB-API executemany.

    .venv/bin/python bench/ingest.py [--events 1000000] [--customers 20000]

Both load the same synthetic CSV into fresh, migrated SQLite stores in one process. The
baseline does the least a loader can (csv rows, customer id lookup, a key, executemany); winback
also validates every field, checks duplicates and future dates, and upserts by natural key.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import random
import resource
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from store.db import make_engine, make_sessionmaker
from store.ingest import ingest_file
from store.ingest.upsert import SQLITE_BULK_CACHE_KB
from store.migrate import upgrade

KINDS = ("purchase", "usage", "login", "payment")


def write_customers(path: Path, count: int) -> None:
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["external_id", "name", "segment", "value_per_year", "status", "region"])
        for i in range(count):
            writer.writerow([f"C{i:06d}", f"Customer {i}", "smb", 1000 + i % 5000, "active", "EU"])


def write_events(path: Path, count: int, customers: int) -> None:
    rng = random.Random(7)
    start = datetime(2022, 1, 1, tzinfo=UTC)
    with path.open("w", newline="") as out:
        out.write("customer_external_id,occurred_at,kind,quantity,amount,event_id\n")
        for i in range(count):
            at = start + timedelta(seconds=rng.randrange(3 * 365 * 86400))
            out.write(
                f"C{rng.randrange(customers):06d},{at.isoformat()},{KINDS[i % 4]},"
                f"{rng.randrange(1, 20)},{rng.randrange(0, 50000) / 100},E{i}\n"
            )


def fresh_store(folder: Path, name: str) -> str:
    url = f"sqlite:///{folder / name}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def baseline(db_path: Path, events: Path) -> float:
    """csv rows -> executemany INSERT, ids from one dict, one transaction, same pragmas."""
    started = time.perf_counter()
    connection = sqlite3.connect(db_path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(f"PRAGMA cache_size=-{SQLITE_BULK_CACHE_KB}")  # as winback's bulk load
    ids = dict(connection.execute("SELECT external_id, id FROM customers"))
    with events.open(newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        rows = (
            (
                key or hashlib.sha256(f"{c}|{at}|{k}".encode()).hexdigest(),
                ids[c],
                at,
                k,
                float(q),
                float(a),
            )
            for c, at, k, q, a, key in reader
        )
        with connection:
            connection.executemany(
                "INSERT INTO activity_events (event_key, customer_id, occurred_at, kind, quantity,"
                " amount) VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
    count = connection.execute("SELECT count(*) FROM activity_events").fetchone()[0]
    connection.close()
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="winback-bench-") as tmp:
        folder = Path(tmp)
        customers, events = folder / "customers.csv", folder / "events.csv"
        write_customers(customers, args.customers)
        write_events(events, args.events, args.customers)
        print(
            f"{args.events:,} events for {args.customers:,} customers, "
            f"{events.stat().st_size / 2**20:.0f} MB CSV"
        )

        sessions = make_sessionmaker(make_engine(fresh_store(folder, "winback.db")))
        report = ingest_file(sessions, customers, "customers")
        print(f"customers: {report.inserted:,} in {report.seconds:.2f} s")
        first = ingest_file(sessions, events, "events")
        again = ingest_file(sessions, events, "events")
        assert first.inserted == args.events and again.unchanged == args.events

        base_db = folder / "baseline.db"
        fresh_store(folder, "baseline.db")
        ingest_file(make_sessionmaker(make_engine(f"sqlite:///{base_db}")), customers, "customers")
        base_rate = baseline(base_db, events)

        rate = first.rows / first.seconds
        print(f"winback ingest (first load) : {rate:>10,.0f} rows/s  ({first.seconds:.1f} s)")
        print(
            f"winback ingest (re-import)  : {again.rows / again.seconds:>10,.0f} rows/s  "
            f"({again.seconds:.1f} s, {again.unchanged:,} unchanged)"
        )
        print(
            f"DB-API executemany baseline : {base_rate:>10,.0f} rows/s  "
            f"({args.events / base_rate:.1f} s)"
        )
        print(f"ratio winback / baseline    : {rate / base_rate:.2f}")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory of this process : {peak:,.0f} MB")


if __name__ == "__main__":
    main()
