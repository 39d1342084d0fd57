"""A Slack task is posted once even when storing its ts fails after the post.

The real deliver_rescue_task activity runs in a real Temporal worker against the Slack stub and
the migrated store; a session factory fails the commit that would store the ts, Temporal
retries the activity, and the retry finds the posted message by its metadata and adopts it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any, cast

import pytest
from pydantic import SecretStr
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker
from temporalio import workflow
from temporalio.client import Client, WorkflowFailureError
from temporalio.common import RetryPolicy
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.rescue_tasks import DeliveryReceipt, TaskDelivery
from activities.slack_lookup import TASK_EVENT_TYPE
from activities.task_notice import TaskNotice
from store.db import transaction
from store.models import Flag, RescueCase, TaskMessage
from tests.support.rescue_world import seed, unique_id
from tests.support.slack_notices import sample_notice
from tests.support.slack_stub import BOT_TOKEN, SlackStub
from winback.settings import Settings


@pytest.fixture(scope="module")
def stub() -> Iterator[SlackStub]:
    with SlackStub.running(users=("U0DANA",)) as server:
        yield server


class CommitFailsOnce:
    """A session factory whose `fail_at`-th session cannot commit, as if the database went away
    (or the worker died) between the Slack post and storing its ts; with `times`, that many
    sessions from the `fail_at`-th on fail."""

    def __init__(self, sessions: sessionmaker[Session], fail_at: int, times: int = 1) -> None:
        self._sessions, self._fail_at, self._times, self.opened = sessions, fail_at, times, 0

    def __call__(self) -> Session:
        self.opened += 1
        session = self._sessions()
        if self._fail_at <= self.opened < self._fail_at + self._times:
            event.listen(session, "before_commit", _database_gone)
        return session


def _database_gone(_session: Session) -> None:
    raise ConnectionError("database went away before the Slack ts was stored")


@workflow.defn
class DeliverOnce:
    """Runs deliver_rescue_task with quick retries (the rescue workflow's activity, alone)."""

    @workflow.run
    async def run(self, notice: TaskNotice) -> DeliveryReceipt:
        return await workflow.execute_activity(
            "deliver_rescue_task",
            notice,
            result_type=DeliveryReceipt,
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(milliseconds=50), maximum_attempts=5
            ),
        )


def new_case(sessions: sessionmaker[Session]) -> int:
    flag_id = seed(sessions, unique_id())
    with transaction(sessions) as session:
        flag = session.get(Flag, flag_id)
        assert flag is not None
        case = RescueCase(
            workflow_id=f"rescue-{uuid.uuid4()}",
            customer_id=flag.customer_id,
            scenario="at_risk",
            playbook_version="test",
        )
        session.add(case)
        session.flush()
        return case.id


def task_for(case_id: int, **changes: object) -> TaskNotice:
    key = f"rescue-{uuid.uuid4().hex[:8]}:task"
    return sample_notice(
        **{"message_key": key, "case_id": case_id, "recipient_slack_id": "U0DANA", **changes}
    )


async def deliver(
    client: Client, stub: SlackStub, sessions: Any, notice: TaskNotice
) -> DeliveryReceipt:
    """The notice delivered by a real worker whose store is `sessions`."""
    settings = Settings(slack_bot_token=SecretStr(BOT_TOKEN), slack_base_url=stub.base_url)
    delivery = TaskDelivery(settings, cast(sessionmaker[Session], sessions))
    queue = f"deliver-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=queue,
        workflows=[DeliverOnce],
        activities=[delivery.deliver_rescue_task],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        return await client.execute_workflow(
            DeliverOnce.run, notice, id=f"deliver-{uuid.uuid4()}", task_queue=queue
        )


def stored(sessions: sessionmaker[Session], key: str) -> TaskMessage:
    with sessions() as session:
        row = session.scalar(select(TaskMessage).where(TaskMessage.message_key == key))
        assert row is not None
        return row


def carrying(stub: SlackStub, channel: str, key: str) -> list[str]:
    """The ts of every message in `channel` whose metadata names `key`."""
    return [
        m.ts
        for m in stub.posts(channel)
        if m.metadata == {"event_type": TASK_EVENT_TYPE, "event_payload": {"message_key": key}}
    ]


def calls_for(stub: SlackStub, method: str, channel: str) -> list[int]:
    return [c.status for c in stub.calls_to(method, ok_only=False) if c.args["channel"] == channel]


async def test_storing_the_ts_fails_once_and_the_retry_adopts_the_posted_message(
    stub: SlackStub, temporal_client: Client, sessions: sessionmaker[Session]
) -> None:
    notice = task_for(new_case(sessions))
    history_before = len(stub.calls_to("conversations.history"))
    flaky = CommitFailsOnce(sessions, fail_at=2)  # 1: the row and attempt, 2: the ts

    receipt = await deliver(temporal_client, stub, flaky, notice)

    assert flaky.opened == 4  # the retry wrote the row again and then stored the ts
    assert carrying(stub, "DU0DANA", notice.message_key) == [receipt.ts]
    assert len(stub.calls_to("conversations.history")) == history_before + 1
    row = stored(sessions, notice.message_key)
    assert (row.transport, row.channel, row.ts) == ("slack", "DU0DANA", receipt.ts)
    assert row.slack_post_started_at is not None


async def test_the_normal_path_posts_once_without_looking(
    stub: SlackStub, temporal_client: Client, sqlite_sessions: sessionmaker[Session]
) -> None:
    notice = task_for(new_case(sqlite_sessions))
    history_before = len(stub.calls_to("conversations.history"))

    receipt = await deliver(temporal_client, stub, sqlite_sessions, notice)

    assert carrying(stub, "DU0DANA", notice.message_key) == [receipt.ts]
    assert len(stub.calls_to("conversations.history")) == history_before
    assert stored(sqlite_sessions, notice.message_key).ts == receipt.ts


async def test_a_lookup_that_finds_nothing_posts(
    stub: SlackStub, temporal_client: Client, sqlite_sessions: sessionmaker[Session]
) -> None:
    # The first attempt is recorded, then Slack refuses the post (429): nothing was posted.
    channel = stub.add_channel(f"#idem-{uuid.uuid4().hex[:6]}")
    notice = task_for(new_case(sqlite_sessions), recipient_slack_id=None, team_channel=channel)
    stub.rate_limit(times=1, retry_after=0, method="chat.postMessage")

    receipt = await deliver(temporal_client, stub, sqlite_sessions, notice)

    assert calls_for(stub, "chat.postMessage", channel) == [429, 200]
    assert calls_for(stub, "conversations.history", channel) == [200]
    assert carrying(stub, channel, notice.message_key) == [receipt.ts]


async def test_a_team_channel_named_not_by_id_is_found_by_name(
    stub: SlackStub, temporal_client: Client, sqlite_sessions: sessionmaker[Session]
) -> None:
    name = f"#idem-{uuid.uuid4().hex[:6]}"
    channel = stub.add_channel(name)
    notice = task_for(new_case(sqlite_sessions), recipient_slack_id=None, team_channel=name)
    flaky = CommitFailsOnce(sqlite_sessions, fail_at=2)

    receipt = await deliver(temporal_client, stub, flaky, notice)

    assert carrying(stub, channel, notice.message_key) == [receipt.ts]
    assert calls_for(stub, "conversations.history", channel) == [200]
    assert stored(sqlite_sessions, notice.message_key).ts == receipt.ts


async def test_a_thread_reply_is_posted_once_when_storing_its_ts_fails(
    stub: SlackStub, temporal_client: Client, sqlite_sessions: sessionmaker[Session]
) -> None:
    task = task_for(new_case(sqlite_sessions))
    parent = await deliver(temporal_client, stub, sqlite_sessions, task)
    reminder = task_for(task.case_id, kind="reminder", parent_key=task.message_key)
    flaky = CommitFailsOnce(sqlite_sessions, fail_at=2)

    reply = await deliver(temporal_client, stub, flaky, reminder)

    assert carrying(stub, "DU0DANA", reminder.message_key) == [reply.ts]
    assert [m.thread_ts for m in stub.posts("DU0DANA") if m.ts == reply.ts] == [parent.ts]
    assert calls_for(stub, "conversations.replies", "DU0DANA")[-1:] == [200]
    row = stored(sqlite_sessions, reminder.message_key)
    assert (row.ts, row.thread_ts) == (reply.ts, parent.ts)


async def test_a_reminder_first_posted_before_its_task_had_a_ts_is_not_posted_again(
    stub: SlackStub, temporal_client: Client, sqlite_sessions: sessionmaker[Session]
) -> None:
    task = task_for(new_case(sqlite_sessions))
    reminder = task_for(task.case_id, kind="reminder", parent_key=task.message_key)
    # The task's own message has no ts yet, so the reminder goes out at the top level; then
    # the store is gone for every later attempt, and the activity gives up.
    down = CommitFailsOnce(sqlite_sessions, fail_at=2, times=99)
    with pytest.raises(WorkflowFailureError):
        await deliver(temporal_client, stub, down, reminder)
    [first] = carrying(stub, "DU0DANA", reminder.message_key)
    parent = await deliver(temporal_client, stub, sqlite_sessions, task)  # the task gets its ts

    again = await deliver(temporal_client, stub, sqlite_sessions, reminder)

    # The retry looks in the task's thread, finds nothing, and adopts the top-level post.
    assert again.ts == first
    assert carrying(stub, "DU0DANA", reminder.message_key) == [first]
    assert [m.thread_ts for m in stub.posts("DU0DANA") if m.ts == first] == [None]
    assert calls_for(stub, "conversations.replies", "DU0DANA")[-1:] == [200]
    row = stored(sqlite_sessions, reminder.message_key)
    assert (row.ts, row.thread_ts) == (first, None)
    assert parent.ts != first


async def test_a_deleted_task_is_posted_again_once_when_storing_its_ts_fails(
    stub: SlackStub, temporal_client: Client, sqlite_sessions: sessionmaker[Session]
) -> None:
    task = task_for(new_case(sqlite_sessions))
    first = await deliver(temporal_client, stub, sqlite_sessions, task)
    await slack(stub).chat_delete(channel=first.channel, ts=first.ts)  # someone deleted it
    probe = replace(task, step="initiate", headline="Call Acme: step 2")
    flaky = CommitFailsOnce(sqlite_sessions, fail_at=2)

    again = await deliver(temporal_client, stub, flaky, probe)

    # The retry's chat.update fails again (deleted), and it finds the repost instead of
    # posting a third time.
    assert again.ts != first.ts
    assert carrying(stub, "DU0DANA", task.message_key) == [again.ts]
    assert [m.text for m in stub.posts("DU0DANA") if m.ts == again.ts] == ["Call Acme: step 2"]
    assert stored(sqlite_sessions, task.message_key).ts == again.ts


def slack(stub: SlackStub) -> AsyncWebClient:
    return AsyncWebClient(token=BOT_TOKEN, base_url=stub.base_url, retry_handlers=[])


async def test_stub_history_pages_newest_first_with_metadata_on_request(
    stub: SlackStub,
) -> None:
    web = slack(stub)
    channel = stub.add_channel(f"#hist-{uuid.uuid4().hex[:6]}")
    posted = []
    for n in range(3):
        meta = {"event_type": "winback_task", "event_payload": {"message_key": f"k{n}"}}
        posted.append(
            (await web.chat_postMessage(channel=channel, text=f"m{n}", metadata=meta))["ts"]
        )
    first = await web.conversations_history(channel=channel, limit=2, include_all_metadata=True)
    assert [m["ts"] for m in first["messages"]] == [posted[2], posted[1]]
    assert first["messages"][0]["metadata"]["event_payload"] == {"message_key": "k2"}
    assert first["has_more"] is True
    rest = await web.conversations_history(
        channel=channel, limit=2, cursor=first["response_metadata"]["next_cursor"]
    )
    assert [m["ts"] for m in rest["messages"]] == [posted[0]] and rest["has_more"] is False
    assert "metadata" not in rest["messages"][0]  # only with include_all_metadata
    newer = await web.conversations_history(channel=channel, oldest=posted[0])
    assert [m["ts"] for m in newer["messages"]] == [posted[2], posted[1]]


async def refusal(call: Any) -> str:
    with pytest.raises(SlackApiError) as refused:
        await call
    return str(refused.value.response["error"])


async def test_stub_history_refuses_names_and_bad_metadata(stub: SlackStub) -> None:
    web = slack(stub)
    assert await refusal(web.conversations_history(channel="#team-north")) == "channel_not_found"
    bad = {"event_type": "winback_task"}  # no event_payload
    assert await refusal(web.chat_postMessage(channel="#team-north", text="x", metadata=bad)) == (
        "invalid_metadata_format"
    )
