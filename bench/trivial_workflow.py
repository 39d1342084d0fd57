"""The baseline of bench/rescue.py: a workflow that runs one no-op activity.

In a module of its own (not the bench script's __main__) so it runs in the same workflow
sandbox as RescueWorkflow: a fair baseline, with the sandbox's cost counted on both sides.
"""

from __future__ import annotations

import threading
from datetime import timedelta

from temporalio import activity, workflow

_lock = threading.Lock()
_runs = 0


@activity.defn(name="bench_noop")
def bench_noop(n: int) -> int:
    """Count the run: the baseline's side effect, as the rescue's is its first task row."""
    global _runs
    with _lock:
        _runs += 1
    return n


def noop_runs() -> int:
    with _lock:
        return _runs


@workflow.defn(name="BenchTrivial")
class BenchTrivial:
    @workflow.run
    async def run(self, n: int) -> int:
        return await workflow.execute_activity(
            "bench_noop", n, start_to_close_timeout=timedelta(seconds=30)
        )
