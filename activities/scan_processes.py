"""Scan partitions scored in worker processes, so one worker uses every core.

Features and scoring are CPU-bound Python and pandas: threads share one GIL, so partitions
scored in threads use about one core however many the machine has. A pool of spawned
processes, each with its own engine and the same rules, scores them in parallel and returns
the same PartitionResult. The processes start on first use, live as long as the worker and
die with it (even when it is killed).
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
import weakref
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url
from temporalio.exceptions import ApplicationError
from threadpoolctl import threadpool_limits

from winback.child_process import die_with_parent

if TYPE_CHECKING:
    from activities.scan import ScanActivities
    from activities.scan_messages import PartitionRequest, PartitionResult

_scans: ScanActivities | None = None  # this pool process's own, built by _start


def default_processes() -> int:
    """One per core this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def shares_across_processes(database_url: str) -> bool:
    """An in-memory SQLite store exists only inside the worker's own process."""
    url = make_url(database_url)
    return url.get_backend_name() != "sqlite" or url.database not in (None, "", ":memory:")


def scan_process_pool(
    database_url: str, rules_path: Path | None, processes: int
) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        processes,
        mp_context=multiprocessing.get_context("spawn"),  # never fork a running worker
        initializer=_start,
        initargs=(database_url, str(rules_path) if rules_path else None),
    )


class LazyProcessPool:
    """The pool, started on first call: a worker that never scans starts no process (not
    even multiprocessing's resource tracker, which any pool's queues need)."""

    def __init__(self, database_url: str, rules_path: Path | None, processes: int) -> None:
        self._args = (database_url, rules_path, processes)
        self._pool: ProcessPoolExecutor | None = None
        _LIVE.add(self)

    def __call__(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = scan_process_pool(*self._args)
            weakref.finalize(self, self._pool.shutdown, wait=False, cancel_futures=True)
        return self._pool

    def close(self) -> None:
        """Stop the pool's processes and wait for them; the next call starts a new pool."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    async def run(self, req: PartitionRequest) -> PartitionResult:
        """Score `req` in the pool. A pool whose process died (killed, out of memory) is
        broken for good: drop it, so the activity's retry starts a fresh one."""
        pool = self()
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, score_in_process, req)
        except BrokenProcessPool as exc:
            if self._pool is pool:
                self._pool = None
                pool.shutdown(wait=False, cancel_futures=True)
            # Retryable, and without the pool's cause chain (Temporal cannot encode it).
            raise ApplicationError(
                f"a scan process died ({exc}); the retry starts a fresh pool",
                type="ScanProcessDied",
            ) from None


_LIVE: weakref.WeakSet[LazyProcessPool] = weakref.WeakSet()


def close_scan_pools() -> None:
    """Close every scan pool of this process. The CLI leaves with os._exit, which skips the
    pools' finalizers: without this, stopping `winback up` left their processes to die alone
    and multiprocessing's resource tracker warned of leaked semaphores."""
    for lazy in list(_LIVE):
        lazy.close()


def score_in_process(req: PartitionRequest) -> PartitionResult:
    """Runs in a pool process: the same scoring the worker's threads do. The cycle collector
    waits until the partition is done: a partition allocates millions of short-lived row
    tuples and dicts, freed by reference counting, that the collector would otherwise walk
    again and again (about a seventh of the partition's CPU). This process runs nothing else."""
    if _scans is None:
        raise RuntimeError("score_in_process runs only in a scan pool process")
    gc.disable()
    try:
        return _scans.score_sync(req)
    finally:
        gc.enable()


def _start(database_url: str, rules_path: str | None) -> None:
    die_with_parent()
    threadpool_limits(1)  # the pool already runs one process per core: no math threads on top
    from activities.scan import ScanActivities
    from classifiers.risk.rules import load_rules
    from store.db import make_engine, make_sessionmaker

    global _scans
    sessions = make_sessionmaker(make_engine(database_url))
    _scans = ScanActivities(sessions, load_rules(Path(rules_path) if rules_path else None))
