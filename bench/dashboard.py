"""Benchmark: every Customer Room page on 1M customers / 100k rescues vs a SELECT 1 page.

    .venv/bin/python bench/dashboard.py [--customers N] [--rescues N] [--repeat 5] [--db PATH]

Fills a temporary, migrated SQLite store with bulk Core inserts (customers, flags, rescue cases,
four audit events per rescue, feedback, daily rollups, spikes, models), then asks each page
through the real app in the same process, for every period, window and segment/team filter the
UI offers. Per page it prints the median and slowest *uncached* server time (report cache
cleared before each request), the median CPU time of those requests (the app runs in this
process, so this is the server's own work even on a shared machine) and the warm median, next
to /healthz (a trivial SELECT 1 page) measured in the same run. Goal: every page < 300 ms
uncached. `--db` keeps the filled store for another run.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert

from store.db import make_engine, make_sessionmaker
from store.migrate import upgrade
from store.models import (
    Category,
    CategoryDaily,
    Customer,
    FeedbackItem,
    Flag,
    JourneyStage,
    ModelVersion,
    RescueCase,
    RescueEvent,
    SpikeAlert,
    TaskMessage,
)
from web.app import create_app
from web.queries.report_cache import ReportCache
from winback.runtime import Runtime
from winback.settings import Settings

CHUNK = 50_000
STAGES = ("onboard", "billing", "support", "renewal")
CATEGORIES = [f"{stage}_{i}" for stage in STAGES for i in range(8)]
FILTERS = ("", "segment=smb", "team=team3", "segment=smb&team=team3")
# Every period / window / filter combination the UI offers, then the other pages.
PAGES = [
    *(f"/?period={p}&{f}".rstrip("&") for p in ("week", "month", "quarter") for f in FILTERS),
    *(f"/pipeline?days={d}&{f}".rstrip("&") for d in (30, 90, 365) for f in FILTERS),
    "/listening",
    "/listening?days=366",
    "/customers/C000042",
    "/ops/models",
    "/tasks",
]


def _bulk(engine: Engine, table: Any, rows: Iterator[dict[str, Any]]) -> int:
    count, batch = 0, []
    with engine.begin() as connection:
        for row in rows:
            batch.append(row)
            if len(batch) == CHUNK:
                connection.execute(insert(table), batch)
                count, batch = count + len(batch), []
        if batch:
            connection.execute(insert(table), batch)
            count += len(batch)
    return count


def fill(engine: Engine, customers: int, rescues: int, today: date) -> None:
    rng = random.Random(7)
    now = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
    statuses = ["active"] * 8 + ["cancelled", "non_renewed"]
    _bulk(
        engine,
        JourneyStage.__table__,
        (
            {"id": s, "name": s.title(), "company_alias": s, "position": i, "taxonomy_version": "b"}
            for i, s in enumerate(STAGES)
        ),
    )
    _bulk(
        engine,
        Category.__table__,
        (
            {
                "id": c,
                "stage_id": c.split("_")[0],
                "name": c,
                "description": "",
                "taxonomy_version": "b",
                "retired": False,
            }
            for c in CATEGORIES
        ),
    )
    _bulk(
        engine,
        Customer.__table__,
        (
            {
                "external_id": f"C{i:06d}",
                "name": f"Customer {i}",
                "segment": ("smb", "mid", "ent")[i % 3],
                "owner": f"owner{i % 200}",
                "team": f"team{i % 12}",
                "value_per_year": 100.0 + i % 5000,
                "currency": "USD",
                "start_date": today - timedelta(days=rng.randint(0, 3 * 365)),
                "has_contract": False,
                "status": (status := statuses[i % 10]),
                "status_changed_on": (
                    today - timedelta(days=rng.randint(0, 365)) if status != "active" else None
                ),
                "attributes": {},
                "created_at": now,
                "updated_at": now,
            }
            for i in range(customers)
        ),
    )
    _bulk(
        engine,
        Flag.__table__,
        (
            {
                "customer_id": 1 + (i * 7) % customers,
                "scan_id": f"s{i % 52}",
                "kind": "at_risk",
                "scanned_at": now - timedelta(days=i % 365),
                "probability": 0.6,
                "value_at_risk": 500.0,
                "reasons": ["usage down"],
                "detector": "bench",
                "status": "started",
                "workflow_id": f"rescue-{i}",
            }
            for i in range(rescues)
        ),
    )
    outcomes = ["open", "rescued", "lost", "no_contact", "lost", "rescued"]
    _bulk(
        engine,
        RescueCase.__table__,
        (
            {
                "workflow_id": f"rescue-{i}",
                "customer_id": 1 + (i * 7) % customers,
                "episode": 1,
                "scenario": "at_risk",
                "playbook_version": "b",
                "flag_id": i + 1,
                "assignee": f"owner{i % 200}",
                "team": f"team{i % 12}",
                "current_step": "probe",
                "status": (st := outcomes[i % 6]),
                "value_at_risk": 500.0,
                "value_saved": 500.0 if st == "rescued" else 0.0,
                "escalated": i % 17 == 0,
                "lost_category_id": CATEGORIES[i % 32] if st == "lost" else None,
                "outcome_reason": "price" if st == "lost" else None,
                "opened_at": (opened := now - timedelta(hours=(i * 13) % (365 * 24))),
                "first_contact_at": opened + timedelta(hours=5),
                "closed_at": opened + timedelta(days=3) if st != "open" else None,
            }
            for i in range(rescues)
        ),
    )
    steps = ("claim", "initiate", "probe", "offer")
    _bulk(
        engine,
        RescueEvent.__table__,
        (
            {
                "case_id": 1 + i // 4,
                "event_key": f"e{i}",
                "kind": "claimed" if i % 4 == 0 else "step_logged",
                "step": steps[i % 4],
                "actor": "owner",
                "at": now,
                "data": {},
            }
            for i in range(rescues * 4)
            if (i % 4) <= (i // 4) % 4
        ),
    )
    _bulk(
        engine,
        TaskMessage.__table__,
        (
            {
                "message_key": f"rescue-{i}:task",
                "case_id": i + 1,
                "transport": "outbox",
                "recipient": f"owner{i % 200}",
                "kind": "task",
                "step": "probe",
                "text": "Call",
                "blocks": [],
                "open": True,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(0, rescues, 6)
        ),
    )
    _bulk(
        engine,
        FeedbackItem.__table__,
        (
            {
                "external_id": f"F{i}",
                "source": "complaint",
                "text": f"complaint {i} [PHONE]",
                "occurred_at": now - timedelta(minutes=(i * 37) % (365 * 24 * 60)),
                "customer_id": 1 + (i * 11) % customers,
                "category_id": CATEGORIES[i % 32],
                "stage_id": CATEGORIES[i % 32].split("_")[0],
                "confidence": 0.2 + (i % 8) / 10,
                "needs_review": i % 50 == 0,
                "created_at": now,
            }
            for i in range(rescues * 2)
        ),
    )
    _bulk(
        engine,
        CategoryDaily.__table__,
        (
            {
                "day": today - timedelta(days=d),
                "category_id": c,
                "stage_id": c.split("_")[0],
                "count": rng.randint(0, 200),
            }
            for d in range(730)
            for c in CATEGORIES
        ),
    )
    _bulk(
        engine,
        SpikeAlert.__table__,
        (
            {
                "category_id": CATEGORIES[i],
                "window_end": today - timedelta(days=i),
                "observed": 90,
                "expected": 30.0,
                "score": 5.0,
                "created_at": now,
            }
            for i in range(10)
        ),
    )
    card = {
        "evaluation": {
            "accuracy": 0.9,
            "labels": CATEGORIES,
            "per_category": {
                c: {"precision": 0.9, "recall": 0.8, "f1": 0.85, "support": 100} for c in CATEGORIES
            },
            "confusion": [[50 if r == c else 1 for c in range(32)] for r in range(32)],
        }
    }
    _bulk(
        engine,
        ModelVersion.__table__,
        (
            {
                "kind": "category",
                "version": f"v{i}",
                "path": "x",
                "card": card,
                "status": "live" if i == 3 else "retired",
                "created_at": now,
            }
            for i in range(1, 4)
        ),
    )


def timings_ms(
    client: TestClient, path: str, repeat: int, clear: Callable[[], None] | None = None
) -> tuple[list[float], list[float]]:
    """Wall and CPU time of `repeat` requests; `clear` runs before each one (uncached). The
    app runs in this process, so CPU time is the server's work, whatever else loads the box."""
    walls, cpus = [], []
    for _ in range(repeat):
        if clear:
            clear()
        start, cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        walls.append((time.perf_counter() - start) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}: {response.text[:300]}")
    return walls, cpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--rescues", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", type=Path, help="reuse (or fill once) this SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "bench.db"
        url = f"sqlite:///{db}"
        engine = make_engine(url)
        if not db.exists() or db.stat().st_size == 0:
            upgrade(engine)
            started = time.perf_counter()
            fill(engine, args.customers, args.rescues, datetime.now(UTC).date())
            with engine.begin() as connection:
                connection.exec_driver_sql("ANALYZE")
            print(
                f"filled {args.customers:,} customers / {args.rescues:,} rescues in "
                f"{time.perf_counter() - started:.0f} s"
            )
        settings = Settings.model_validate({"data_dir": Path(tmp), "database_url": url})
        app = create_app(Runtime(settings, engine, make_sessionmaker(engine)))

        def clear() -> None:
            app.state.pipeline_cache = ReportCache()

        with TestClient(app) as client:
            for page in PAGES:  # compile each page's template once: a process start-up cost
                timings_ms(client, page, 1, clear)
            baseline = statistics.median(timings_ms(client, "/healthz", args.repeat * 4)[0])
            print(
                f"{'page':42} {'uncached':>9} {'max':>7} {'cpu':>6} {'warm':>7} {'x SELECT 1':>10}"
            )
            print(
                f"{'/healthz (SELECT 1)':42} {baseline:9.1f} {'':>7} {'':>6} {baseline:7.1f} "
                f"{1.0:10.1f}"
            )
            worst_cold = worst_cpu = worst = 0.0
            for page in PAGES:
                cold, cpu = timings_ms(client, page, args.repeat, clear)
                warm = statistics.median(timings_ms(client, page, args.repeat)[0])
                cold_median, cpu_median = statistics.median(cold), statistics.median(cpu)
                worst, worst_cold = max(worst, warm), max(worst_cold, cold_median)
                worst_cpu = max(worst_cpu, cpu_median)
                print(
                    f"{page:42} {cold_median:9.1f} {max(cold):7.1f} {cpu_median:6.1f} "
                    f"{warm:7.1f} {cold_median / baseline:10.1f}"
                )
        print(
            f"slowest page: {worst_cold:.0f} ms uncached median ({worst_cpu:.0f} ms CPU), "
            f"{worst:.0f} ms warm median (goal < 300 ms)"
        )
        engine.dispose()


if __name__ == "__main__":
    main()
