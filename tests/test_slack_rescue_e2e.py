"""A rescue run from Slack end to end: the real RescueWorkflow and its activities post the task
to the Slack stub, and a person moves it through claim, four steps and the outcome only by
clicking the buttons and submitting the modals Slack would show, over signed HTTP.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from activities.slack_blocks import ACTION_CLAIM, ACTION_LOG_STEP, ACTION_OUTCOME
from tests.support.slack_app import SlackSite, eventually
from tests.support.slack_payloads import block_action, post_signed, signed_request
from tests.support.slack_rescue import (
    ANA_DM,
    SLACK_USERS,
    Rescue,
    buttons,
    number,
    picked,
    slack_rescue,
    status,
    task_message,
    ticked,
    typed,
)
from tests.support.slack_stub import SlackStub


@pytest.fixture(scope="module")
def stub() -> Iterator[SlackStub]:
    with SlackStub.running(users=SLACK_USERS) as server:
        yield server


@pytest.fixture
async def rescue(
    stub: SlackStub,
    engine: Engine,
    sessions: sessionmaker[Session],
    temporal_client: Client,
    tmp_path: Path,
) -> AsyncIterator[tuple[SlackSite, Rescue]]:
    """A started rescue for ana whose tasks go to Slack, on SQLite and on PostgreSQL."""
    async with slack_rescue(stub, engine, sessions, temporal_client, tmp_path) as started:
        yield started


async def log_step(site: SlackSite, handle: Rescue, step: str, values: dict[str, Any]) -> None:
    message = await task_message(site.stub, handle.id, ACTION_LOG_STEP)
    await eventually(lambda: f'"step":"{step}"' in buttons(message).get(ACTION_LOG_STEP, ""))
    opened = len(site.stub.calls_to("views.open"))
    await site.click("U0ANA", ACTION_LOG_STEP, buttons(message)[ACTION_LOG_STEP], ANA_DM)
    view = await site.opened_view(opened)
    answer = await site.submit("U0ANA", view, values)
    assert answer.status_code == 200 and answer.text == "", answer.text


async def test_rescue_claimed_stepped_and_closed_from_slack(
    rescue: tuple[SlackSite, Rescue],
) -> None:
    site, handle = rescue
    task = await task_message(site.stub, handle.id, ACTION_CLAIM)
    assert (await status(handle)).current_step == "unclaimed"

    # the rescue is ana's: zed is refused and told why, nothing changes
    ephemerals = len(site.stub.calls_to("chat.postEphemeral"))
    await site.click("U0ZED", ACTION_CLAIM, buttons(task)[ACTION_CLAIM], "#team-north")
    await eventually(lambda: len(site.stub.calls_to("chat.postEphemeral")) > ephemerals)
    refusal = site.stub.calls_to("chat.postEphemeral")[-1].args
    assert refusal["user"] == "U0ZED" and "zed may not act on this rescue" in refusal["text"]

    claim = signed_request(block_action("U0ANA", ACTION_CLAIM, handle.id, ANA_DM, task.ts))
    assert (await post_signed(site.events_url, *claim)).status_code == 200
    await eventually(lambda: _claimed_by(handle, "ana"))
    history = (await status(handle)).history
    assert (await post_signed(site.events_url, *claim)).status_code == 401  # replay
    assert (await status(handle)).history == history

    # a required field left empty: the modal stays open with the rescue's reason on that field
    message = await task_message(site.stub, handle.id, ACTION_LOG_STEP)
    opened = len(site.stub.calls_to("views.open"))
    await site.click("U0ANA", ACTION_LOG_STEP, buttons(message)[ACTION_LOG_STEP], ANA_DM)
    view = await site.opened_view(opened)
    assert [b["block_id"] for b in view["blocks"] if b["type"] == "input"] == [
        "field:reached_via",
        "field:first_words",
    ]
    refused = await site.submit("U0ANA", view, {"field:reached_via": picked("call")})
    assert refused.json()["response_action"] == "errors"
    assert "first_words" in refused.json()["errors"]["field:first_words"]
    assert (await status(handle)).current_step == "initiate"

    await log_step(
        site,
        handle,
        "initiate",
        {"field:reached_via": picked("call"), "field:first_words": typed("We left.")},
    )
    await log_step(
        site,
        handle,
        "probe",
        {
            "field:verbatim": typed("Invoices were wrong three times"),
            "field:repeat_back": typed("Billing kept failing you"),
            "field:confirmed": picked("yes"),
        },
    )
    await log_step(
        site,
        handle,
        "offer",
        {
            "field:accepts_help": picked("yes"),
            "offers_made": ticked("billing_credit"),
            "offers_accepted": ticked("billing_credit"),
        },
    )
    await log_step(site, handle, "close", {"field:next_steps": typed("Credit by Friday")})
    assert (await status(handle)).current_step == "outcome"

    opened = len(site.stub.calls_to("views.open"))
    message = await task_message(site.stub, handle.id, ACTION_OUTCOME)
    await site.click("U0ANA", ACTION_OUTCOME, buttons(message)[ACTION_OUTCOME], ANA_DM)
    outcome_view = await site.opened_view(opened)
    values = {
        "outcome": picked("rescued"),
        "value_saved": number("900"),
        "follow_up": typed("Send the credit note"),
        "follow_up_due_days": number("3"),
    }
    assert (await site.submit("U0ANA", outcome_view, values)).text == ""
    assert (await status(handle)).current_step == "follow_up"

    # the promised follow-through is one more task, marked done from Slack
    await log_step(site, handle, "follow_up", {"field:notes": typed("Credit note sent")})
    result = await handle.result()
    assert (result.outcome, result.value_saved) == ("rescued", 900.0)

    # the main task message was updated in place until it shows the closed variant
    def main_task_closed() -> bool:
        mine = [m for m in site.stub.posts(ANA_DM) if handle.id in str(m.blocks)]
        return bool(mine) and buttons(mine[0]) == {} and mine[0].updates >= 6

    await eventually(main_task_closed)
    top_level = [m for m in site.stub.posts(ANA_DM) if handle.id in str(m.blocks)]
    replies = [m.text for m in site.stub.posts(ANA_DM) if m.thread_ts == top_level[0].ts]
    assert len(top_level) == 1 and len(replies) == 1
    assert replies[0].startswith(":pushpin: Follow-up for <@U0ANA>")
    assert "Send the credit note" in replies[0]


async def _claimed_by(handle: Rescue, who: str) -> bool:
    now = await status(handle)
    return now.assignee == who and now.current_step != "unclaimed"
