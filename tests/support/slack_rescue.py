"""A real RescueWorkflow whose tasks go to the Slack stub, plus the web app to act on it.

The rescue is for a fresh customer owned by ana (Slack U0ANA, DM "DU0ANA"); zed (U0ZED) is on
another team. Helpers read the task message the workflow posted and fill modal values the way
Slack reports them in `view.state.values`.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, update
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from activities.rescue_registry import rescue_activities
from activities.rescue_start import RescueStarter
from store.db import transaction
from store.models import TeamMember
from tests.support.rescue_world import fast_playbook, seed, unique_id
from tests.support.slack_app import SlackSite, eventually, slack_settings, slack_site
from tests.support.slack_stub import Message, SlackStub
from workflows.rescue import RescueWorkflow
from workflows.rescue_messages import QUERY_STATUS, RescueResult, RescueStatus

ANA_DM = "DU0ANA"
SLACK_USERS = ("U0ANA", "U0ZED", "U0STRANGER")  # U0STRANGER is no team member
Rescue = WorkflowHandle[Any, RescueResult]


@asynccontextmanager
async def slack_rescue(
    stub: SlackStub,
    engine: Engine,
    sessions: sessionmaker[Session],
    client: Client,
    tmp_path: Path,
) -> AsyncIterator[tuple[SlackSite, Rescue]]:
    customer = unique_id()
    seed(sessions, customer)
    with transaction(sessions) as session:
        for handle, slack_id in (("ana", "U0ANA"), ("zed", "U0ZED")):
            session.execute(
                update(TeamMember).where(TeamMember.handle == handle).values(slack_user_id=slack_id)
            )
    settings = slack_settings(stub, engine, data_dir=tmp_path)
    queue = f"rescue-slack-{uuid.uuid4()}"
    starter = RescueStarter(client, sessions, settings, fast_playbook(), queue)
    worker = Worker(
        client,
        task_queue=queue,
        workflows=[RescueWorkflow],
        activities=rescue_activities(settings, sessions, client),
        activity_executor=ThreadPoolExecutor(max_workers=4),
    )
    async with worker, slack_site(stub, engine, sessions, client) as site:
        started = await starter.start_for_customer(customer)
        yield site, client.get_workflow_handle(started.workflow_id, result_type=RescueResult)


def buttons(message: Message) -> dict[str, str]:
    """action_id -> value of the message's buttons."""
    return {
        element["action_id"]: element["value"]
        for block in message.blocks
        if block["type"] == "actions"
        for element in block["elements"]
    }


async def task_message(stub: SlackStub, workflow_id: str, action_id: str) -> Message:
    """The rescue's task message in ana's DM once it offers `action_id`."""

    def find() -> Message | None:
        for message in stub.posts(ANA_DM):
            if workflow_id in str(message.blocks) and action_id in buttons(message):
                return message
        return None

    await eventually(find)
    found = find()
    assert found is not None
    return found


async def status(handle: Rescue) -> RescueStatus:
    return await handle.query(QUERY_STATUS, result_type=RescueStatus)


def typed(value: str) -> dict[str, Any]:
    return {"value": {"type": "plain_text_input", "value": value}}


def picked(value: str) -> dict[str, Any]:
    return {"value": {"type": "static_select", "selected_option": {"value": value}}}


def ticked(*values: str) -> dict[str, Any]:
    options = [{"value": v} for v in values]
    return {"value": {"type": "checkboxes", "selected_options": options}}


def number(value: str) -> dict[str, Any]:
    return {"value": {"type": "number_input", "value": value}}
