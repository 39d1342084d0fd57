"""A scan whose partitions are scored in a pool of processes stores the same flags as one
scored in the worker's threads, on SQLite and PostgreSQL, on the real dev server."""

from __future__ import annotations

import os
import signal
import tempfile
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from temporalio.worker import Worker

from activities.rescue_start import RescueStarter
from activities.scan import ScanActivities, scan_activities
from activities.scan_processes import (
    LazyProcessPool,
    close_scan_pools,
    shares_across_processes,
)
from tests.support.detect_data import scan_store
from tests.test_scan_workflow import flags_by_customer, run_scan
from winback.settings import Settings
from workflows.scan import ScanWorkflow


async def _scan(
    client: Client, sessions: sessionmaker[Session], activities: list[Callable[..., Any]]
) -> str:
    """One scan; its rescues are started on a queue no worker polls."""
    queue = f"scan-{uuid.uuid4()}"
    settings = Settings(data_dir=Path(tempfile.mkdtemp()))
    starter = RescueStarter(client, sessions, settings, task_queue=f"rescue-{uuid.uuid4()}")
    async with Worker(
        client,
        task_queue=queue,
        workflows=[ScanWorkflow],
        activities=[*activities, starter.start_rescue_for_flag],
        activity_executor=ThreadPoolExecutor(4),
    ):
        result = await run_scan(client, queue, partition_size=5)
    return result.scan_id


async def test_partitions_scored_in_processes_store_the_same_flags(
    temporal_client: Client, engine: Engine, sessions: sessionmaker[Session]
) -> None:
    tag = f"{uuid.uuid4().hex[:6]}-"  # rescue workflow ids differ from other tests'
    scan_store(sessions, tag)
    url = engine.url.render_as_string(hide_password=False)
    in_processes = scan_activities(sessions, processes=2, database_url=url)
    pool_owner: ScanActivities = in_processes[1].__self__  # type: ignore[attr-defined]
    in_threads = scan_activities(sessions, processes=1, database_url=url)

    by_processes = flags_by_customer(sessions, await _scan(temporal_client, sessions, in_processes))
    by_threads = flags_by_customer(sessions, await _scan(temporal_client, sessions, in_threads))

    def summary(flags: dict[str, Any]) -> dict[str, tuple[str, float, list[str]]]:
        return {name: (f.kind, f.value_at_risk, f.reasons) for name, f in flags.items()}

    assert summary(by_processes) == summary(by_threads)
    assert sorted(by_processes) == [
        f"{tag}{n}" for n in ("cancelled-1", "failing-payer", "lapsed-1")
    ]
    workers = pool_owner._pool()._processes  # type: ignore[misc, union-attr]
    assert workers and all(pid != os.getpid() for pid in workers)  # really other processes

    # A scan process killed (out of memory, say) breaks the pool: the next partition's
    # activity fails once, its retry starts a fresh pool, and the scan stores the same flags.
    os.kill(next(iter(workers)), signal.SIGKILL)
    after_kill = flags_by_customer(sessions, await _scan(temporal_client, sessions, in_processes))
    assert summary(after_kill) == summary(by_threads)
    fresh = pool_owner._pool()._processes  # type: ignore[misc, union-attr]
    assert set(fresh).isdisjoint(workers)

    # Stopping the worker closes the pool: its processes end before the CLI's os._exit.
    processes = list(fresh.values())
    close_scan_pools()
    assert pool_owner._pool._pool is None  # type: ignore[union-attr]
    assert all(not process.is_alive() for process in processes)


def test_an_in_memory_store_stays_in_the_workers_threads() -> None:
    assert not shares_across_processes("sqlite://")
    assert not shares_across_processes("sqlite:///:memory:")
    assert shares_across_processes("sqlite:////var/lib/winback/winback.db")
    assert shares_across_processes("postgresql://winback@db/winback")


def test_a_worker_that_never_scans_starts_no_pool(
    sqlite_engine: Engine, sqlite_sessions: sessionmaker[Session]
) -> None:
    """`winback up` and every worker build the scan activities; only scoring starts the pool
    (a pool's queues alone start multiprocessing's resource tracker, a process that would
    outlive `winback up` by a moment)."""
    url = sqlite_engine.url.render_as_string(hide_password=False)
    activities = scan_activities(sqlite_sessions, processes=2, database_url=url)
    lazy = activities[1].__self__._pool  # type: ignore[attr-defined]
    assert isinstance(lazy, LazyProcessPool) and lazy._pool is None
