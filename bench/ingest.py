"""Benchmark: 1M activity events through `winback ingest` vs a plain DB-API executemany.

    .venv/bin/python bench/ingest.py [--events 1000000] [--customers 20000]
    .venv/bin/python bench/ingest.py --postgres            # a throwaway local PostgreSQL
    .venv/bin/python bench/ingest.py --database-url postgresql+psycopg://user@host:5432

Both load the same synthetic CSV into fresh, migrated stores in one process (SQLite files, or
databases the run creates on one PostgreSQL server). The baseline does the least a loader can
(csv rows, customer id lookup, a key, executemany); winback also validates every field, checks
duplicates and future dates, and upserts by natural key. On PostgreSQL winback runs twice, with
COPY (its path) and with executemany (the path before it), and a plain COPY loader is timed too.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from support.ingest_baselines import baseline, postgres_baseline
from support.pg_stores import PostgresStores, postgres_server

from store.db import make_engine, make_sessionmaker
from store.ingest import IngestReport, ingest_file
from store.ingest import upsert as upsert_module
from store.migrate import upgrade

KINDS = ("purchase", "usage", "login", "payment")


def write_customers(path: Path, count: int) -> None:
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["external_id", "name", "segment", "value_per_year", "status", "region"])
        for i in range(count):
            writer.writerow([f"C{i:06d}", f"Customer {i}", "smb", 1000 + i % 5000, "active", "EU"])


def write_events(path: Path, count: int, customers: int, surcharge: float = 0.0) -> None:
    """Synthetic events; `surcharge` added to every amount makes a file of corrections."""
    rng = random.Random(7)
    start = datetime(2022, 1, 1, tzinfo=UTC)
    with path.open("w", newline="") as out:
        out.write("customer_external_id,occurred_at,kind,quantity,amount,event_id\n")
        for i in range(count):
            at = start + timedelta(seconds=rng.randrange(3 * 365 * 86400))
            out.write(
                f"C{rng.randrange(customers):06d},{at.isoformat()},{KINDS[i % 4]},"
                f"{rng.randrange(1, 20)},{rng.randrange(0, 50000) / 100 + surcharge},E{i}\n"
            )


def fresh_store(folder: Path, name: str) -> str:
    url = f"sqlite:///{folder / name}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def load_events(url: str, events: Path, use_copy: bool = True) -> IngestReport:
    """`winback ingest` of the events, by COPY or by the executemany path before it."""
    upsert_module.USE_COPY_ON_POSTGRES = use_copy
    engine = make_engine(url)
    try:
        return ingest_file(make_sessionmaker(engine), events, "events")
    finally:
        upsert_module.USE_COPY_ON_POSTGRES = True
        engine.dispose()


def line(label: str, rate: float, seconds: float) -> None:
    print(f"{label:<40}: {rate:>10,.0f} rows/s  ({seconds:.1f} s)")


def run_postgres(args: argparse.Namespace, customers: Path, events: Path) -> None:
    with postgres_server(args.database_url) as server:
        stores = PostgresStores(server)
        try:
            copy_url = stores.new(customers)
            first = load_events(copy_url, events)
            again = load_events(copy_url, events)
            assert first.inserted == args.events and again.unchanged == args.events
            before_url = stores.new(customers)
            before = load_events(before_url, events, use_copy=False)
            assert before.inserted == args.events
            # Every amount corrected: a re-import that updates every row.
            changed = events.with_name("events_changed.csv")
            write_events(changed, args.events, args.customers, surcharge=1.0)
            fixes = load_events(copy_url, changed)
            fixes_before = load_events(before_url, changed, use_copy=False)
            assert fixes.updated == fixes_before.updated == args.events
            base_rate = postgres_baseline(stores.new(customers), events, copy=False)
            copy_rate = postgres_baseline(stores.new(customers), events, copy=True)
        finally:
            stores.drop_all()

    rate = first.rows / first.seconds
    before_rate = before.rows / before.seconds
    line("winback ingest, COPY (first load)", rate, first.seconds)
    line("winback ingest, COPY (re-import)", again.rows / again.seconds, again.seconds)
    line("winback ingest, executemany (before)", before_rate, before.seconds)
    line("winback, every row changed, COPY", fixes.rows / fixes.seconds, fixes.seconds)
    line(
        "winback, every row changed, executemany",
        fixes_before.rows / fixes_before.seconds,
        fixes_before.seconds,
    )
    line("DB-API executemany baseline", base_rate, args.events / base_rate)
    line("DB-API COPY baseline", copy_rate, args.events / copy_rate)
    print(f"ratio winback COPY / executemany baseline  : {rate / base_rate:.2f}")
    print(f"ratio winback COPY / winback executemany   : {rate / before_rate:.2f}")
    print(f"ratio winback COPY / COPY baseline         : {rate / copy_rate:.2f}")
    speedup = fixes_before.seconds / fixes.seconds
    print(f"ratio of the updates, COPY / executemany   : {speedup:.2f}")


def run_sqlite(args: argparse.Namespace, folder: Path, customers: Path, events: Path) -> None:
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
    line("winback ingest (first load)", rate, first.seconds)
    line("winback ingest (re-import, all unchanged)", again.rows / again.seconds, again.seconds)
    line("DB-API executemany baseline", base_rate, args.events / base_rate)
    print(f"ratio winback / baseline    : {rate / base_rate:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument(
        "--postgres", action="store_true", help="run on a throwaway local PostgreSQL server"
    )
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server URL without a database; the bench makes and drops its own",
    )
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
        if args.postgres or args.database_url:
            run_postgres(args, customers, events)
        else:
            run_sqlite(args, folder, customers, events)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory of this process : {peak:,.0f} MB")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/
    main()
