"""Benchmark: rescues started and first task delivered per second, against a trivial baseline.

Both run in the same process on the same embedded dev server and worker settings:
  baseline - a workflow that runs one no-op activity (start -> activity done);
  rescue   - RescueStarter.start_for_customer -> RescueWorkflow -> first task in the outbox.
Prints both rates and their ratio (goal: rescue >= 0.8x baseline).
Usage: .venv/bin/python bench/rescue.py [N]
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

with workflow.unsafe.imports_passed_through():
    from activities.rescue_registry import rescue_activities
    from activities.rescue_start import RescueStarter
    from playbooks.loader import load_playbook
    from store.db import make_engine, make_sessionmaker, transaction
    from store.migrate import upgrade
    from store.models import Customer, TaskMessage, TeamMember
    from winback.binaries import temporal_cli
    from winback.settings import Settings
    from workflows.rescue import RescueWorkflow

CONCURRENCY = 20
WARM_UP = 10  # untimed runs first: sandbox and connection warm-up


@activity.defn(name="bench_noop")
def bench_noop(n: int) -> int:
    return n


# Unsandboxed: a workflow defined in __main__ would re-run this script in the sandbox on
# every run. Skipping the sandbox makes the baseline faster, so the ratio errs against rescue.
@workflow.defn(name="BenchTrivial", sandboxed=False)
class BenchTrivial:
    @workflow.run
    async def run(self, n: int) -> int:
        return await workflow.execute_activity(
            "bench_noop", n, start_to_close_timeout=timedelta(seconds=30)
        )


async def _gather_limited(jobs: list) -> None:  # type: ignore[type-arg]
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(job) -> None:  # type: ignore[no-untyped-def]
        async with gate:
            await job()

    await asyncio.gather(*(one(j) for j in jobs))


async def baseline(client: Client, n: int) -> float:
    queue = f"bench-{uuid.uuid4()}"
    async with Worker(client, task_queue=queue, workflows=[BenchTrivial],
                      activities=[bench_noop], activity_executor=ThreadPoolExecutor(8)):

        async def job(i: int = 0):  # type: ignore[no-untyped-def]
            await client.execute_workflow(BenchTrivial.run, i, id=f"bench-{uuid.uuid4()}",
                                          task_queue=queue)

        await _gather_limited([lambda i=i: job(i) for i in range(WARM_UP)])
        began = time.perf_counter()
        await _gather_limited([lambda i=i: job(i) for i in range(n)])
        return n / (time.perf_counter() - began)


async def rescues(client: Client, n: int, tmp: Path) -> float:
    engine = make_engine(f"sqlite:///{tmp / 'bench.db'}")
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    ids = [f"B-{uuid.uuid4().hex[:8]}" for _ in range(n + WARM_UP)]
    with transaction(sessions) as session:
        session.add(TeamMember(handle="ana", name="Ana", team="accounts"))
        session.add_all(Customer(external_id=e, name=e, owner="ana", team="accounts",
                                 value_per_year=1000.0) for e in ids)
    settings = Settings(data_dir=tmp, database_url=str(engine.url))
    queue = f"bench-{uuid.uuid4()}"
    starter = RescueStarter(client, sessions, settings, load_playbook(), queue)
    async with Worker(client, task_queue=queue, workflows=[RescueWorkflow],
                      activities=rescue_activities(settings, sessions, client),
                      activity_executor=ThreadPoolExecutor(8)):

        async def delivered(count: int) -> None:
            while True:
                with sessions() as session:
                    done = session.scalar(select(func.count()).select_from(TaskMessage)) or 0
                if done >= count:
                    return
                await asyncio.sleep(0.02)

        await _gather_limited([lambda e=e: starter.start_for_customer(e) for e in ids[:WARM_UP]])
        await delivered(WARM_UP)
        began = time.perf_counter()
        await _gather_limited([lambda e=e: starter.start_for_customer(e) for e in ids[WARM_UP:]])
        await delivered(WARM_UP + n)
        rate = n / (time.perf_counter() - began)
        for e in ids:
            await client.get_workflow_handle(f"rescue-{e}-1").terminate("bench done")
    return rate


async def main(n: int) -> None:
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=str(temporal_cli()),
                                                dev_server_log_level="error")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            base = await baseline(env.client, n)
            rescue = await rescues(env.client, n, Path(tmp))
    finally:
        await env.shutdown()
    print(f"baseline (trivial workflow + activity): {base:7.1f} /s")
    print(f"rescue (start + first task delivered):  {rescue:7.1f} /s")
    print(f"ratio rescue/baseline: {rescue / base:.2f}x (goal >= 0.8x), n={n}")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100))
    sys.stdout.flush()
    os._exit(0)  # temporalio sdk-python#300
