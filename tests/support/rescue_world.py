"""A small world for rescue tests: a customer, an account team, a fast playbook, a worker.

Everything is real: the migrated store, the Temporal server and a Worker on a fresh task queue.
`started_rescue` is the common preamble: seed a customer, start its rescue, maybe claim it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from activities.rescue_registry import rescue_activities
from activities.rescue_start import RescueStarter, StartRescueResult
from playbooks.loader import load_playbook, playbook_digest
from playbooks.schema import Playbook
from store.db import transaction
from store.models import Customer, Flag, TeamMember
from winback.settings import Settings, get_settings
from workflows.rescue import RescueWorkflow
from workflows.rescue_messages import UPDATE_CLAIM, ClaimRequest, RescueResult, RescueStatus

Rescue = WorkflowHandle[Any, RescueResult]


def fast_playbook(**timings: float) -> Playbook:
    """The shipped playbook with timings in seconds (defaults long enough never to fire)."""
    data = load_playbook().model_dump()
    for scenario in data["scenarios"].values():
        scenario["timings"].update(
            {
                "reminder_after": 3600,
                "escalate_after": 7200,
                "give_up_after": 10800,
                "follow_up_due": 3600,
            }
            | timings
        )
        for override in scenario["segments"].values():
            override["timings"] = {}
    return Playbook.model_validate(data)


def playbook_file(playbook: Playbook, folder: Path) -> Path:
    """The playbook as YAML in `folder`, named by its digest (one file per content)."""
    path = folder / f"playbook-{playbook_digest(playbook)}.yaml"
    path.write_text(yaml.safe_dump(playbook.model_dump(mode="json")), encoding="utf-8")
    return path


def unique_id(prefix: str = "C") -> str:
    """A customer external id no other test (or earlier run on this server) has used."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def seed(sessions: sessionmaker[Session], external_id: str = "C-100", **customer: Any) -> int:
    """One customer owned by 'ana' on team 'accounts' (lead 'lee'), flagged at risk."""
    with transaction(sessions) as session:
        if session.scalar(select(TeamMember).where(TeamMember.handle == "ana")) is None:
            session.add_all(
                [
                    TeamMember(handle="ana", name="Ana", team="accounts", lead_handle="lee"),
                    TeamMember(handle="bo", name="Bo", team="accounts", lead_handle="lee"),
                    TeamMember(handle="lee", name="Lee", team="accounts", role="lead"),
                    TeamMember(handle="zed", name="Zed", team="other"),
                ]
            )
        row = Customer(
            external_id=external_id,
            name=f"Customer {external_id}",
            segment="smb",
            owner="ana",
            team="accounts",
            value_per_year=1200.0,
        )
        for key, value in customer.items():
            setattr(row, key, value)
        session.add(row)
        session.flush()
        flag = Flag(
            customer_id=row.id,
            scan_id="scan-1",
            kind="at_risk",
            probability=0.8,
            value_at_risk=960.0,
            reasons=["usage dropped 60%", "billing complaint"],
            detector="test",
        )
        session.add(flag)
        session.flush()
        return flag.id


def give_slack_ids(sessions: sessionmaker[Session], slack_ids: dict[str, str]) -> None:
    """Team members' Slack user ids (handle -> id), so their tasks go to Slack DMs."""
    with transaction(sessions) as session:
        for handle, slack_id in slack_ids.items():
            session.execute(
                update(TeamMember).where(TeamMember.handle == handle).values(slack_user_id=slack_id)
            )


@dataclass
class RescueWorld:
    client: Client
    sessions: sessionmaker[Session]
    settings: Settings
    task_queue: str
    starter: RescueStarter


@asynccontextmanager
async def rescue_world(
    client: Client,
    sessions: sessionmaker[Session],
    tmp_path: Path,
    playbook: Playbook | None = None,
    run_worker: bool = True,
    **settings_overrides: Any,
) -> AsyncIterator[RescueWorld]:
    # The store comes from `sessions`; database_url is never opened here. Starter and worker
    # read the playbook from the configured file, as deployed ones do (the worker resolves
    # each rescue's plan from it).
    path = playbook_file(playbook or fast_playbook(), tmp_path)
    settings = Settings(
        data_dir=tmp_path, database_url="sqlite://", playbook_path=path, **settings_overrides
    )
    queue = f"rescue-{uuid.uuid4()}"
    starter = RescueStarter(client, sessions, settings, task_queue=queue)
    world = RescueWorld(client, sessions, settings, queue, starter)
    if not run_worker:
        yield world
        return
    async with make_worker(world):
        yield world


@dataclass
class StartedRescue:
    world: RescueWorld
    customer: str  # external id
    flag_id: int
    start: StartRescueResult
    handle: Rescue

    @property
    def workflow_id(self) -> str:
        return self.handle.id


@asynccontextmanager
async def started_rescue(
    client: Client,
    sessions: sessionmaker[Session],
    tmp_path: Path,
    playbook: Playbook | None = None,
    *,
    claimed_by: str | None = None,
    slack_ids: dict[str, str] | None = None,
    run_worker: bool = True,
    **settings_overrides: Any,
) -> AsyncIterator[StartedRescue]:
    """A fresh customer (see `seed`, members given `slack_ids`) whose rescue is started in a
    rescue world, and claimed by `claimed_by` when given (that needs the worker running)."""
    customer = unique_id()
    flag_id = seed(sessions, customer)
    give_slack_ids(sessions, slack_ids or {})
    async with rescue_world(
        client, sessions, tmp_path, playbook, run_worker, **settings_overrides
    ) as world:
        started = await world.starter.start_for_customer(customer)
        handle = client.get_workflow_handle(started.workflow_id, result_type=RescueResult)
        if claimed_by is not None:
            await handle.execute_update(
                UPDATE_CLAIM, ClaimRequest(claimed_by), result_type=RescueStatus
            )
        yield StartedRescue(world, customer, flag_id, started, handle)


def make_worker(world: RescueWorld, activities: list[Callable[..., Any]] | None = None) -> Worker:
    """A worker for the world's queue (with other activities: a worker configured otherwise)."""
    from concurrent.futures import ThreadPoolExecutor

    return Worker(
        world.client,
        task_queue=world.task_queue,
        workflows=[RescueWorkflow],
        activities=activities or rescue_activities(world.settings, world.sessions, world.client),
        activity_executor=ThreadPoolExecutor(max_workers=4),
    )


async def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll `check` until it returns something truthy (store writes trail the Update)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {check}")
        await asyncio.sleep(0.1)


@contextmanager
def cli_settings(
    monkeypatch: pytest.MonkeyPatch,
    engine: Engine,
    client: Client,
    tmp_path: Path,
    **more: str,
) -> Iterator[None]:
    """WINBACK_* variables pointing the `winback` CLI at this store and Temporal server
    (more: e.g. TASK_QUEUE, PLAYBOOK_PATH), with the settings cache cleared around it."""
    env = {
        "DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "TEMPORAL_ADDRESS": client.service_client.config.target_host,
        "DATA_DIR": str(tmp_path),
    } | more
    for name, value in env.items():
        monkeypatch.setenv(f"WINBACK_{name}", value)
    get_settings.cache_clear()
    try:
        yield
    finally:
        get_settings.cache_clear()
