"""The production services, as compose runs them: `winback worker` and `winback web` alone,
on PostgreSQL and a Temporal server they do not start themselves."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from pathlib import Path

import httpx
from sqlalchemy import inspect
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.testing import WorkflowEnvironment

from store.db import make_engine
from tests.support.postgres import create_database
from winback.commands.stack import run_web_only, run_worker_only
from winback.settings import Settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _pollers(env: WorkflowEnvironment, queue: str) -> int:
    response = await env.client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=env.client.namespace,
            task_queue=TaskQueue(name=queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    return len(response.pollers)


async def test_worker_and_web_serve_on_postgres_and_stop(
    postgres_server: str, temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        database_url=create_database(postgres_server),
        temporal_address=temporal_env.client.service_client.config.target_host,
        task_queue=f"services-{uuid.uuid4()}",
        web_port=_free_port(),
    )
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker_only(settings, stop))
    web = asyncio.create_task(run_web_only(settings, stop))
    healthy = polled = False
    async with httpx.AsyncClient() as http:
        for _ in range(150):
            for task in (worker, web):
                assert not task.done(), task.exception()
            with contextlib.suppress(httpx.HTTPError):
                response = await http.get(f"http://127.0.0.1:{settings.web_port}/healthz")
                healthy = response.json() == {"status": "ok"}
            polled = await _pollers(temporal_env, settings.task_queue) > 0
            if healthy and polled:
                break
            await asyncio.sleep(0.2)
    assert healthy, "winback web never answered /healthz"
    assert polled, "winback worker never polled its task queue"
    engine = make_engine(settings.database_url)
    try:
        assert "customers" in inspect(engine).get_table_names()  # migrated on start
    finally:
        engine.dispose()
    stop.set()
    await asyncio.wait_for(asyncio.gather(worker, web), 30)
