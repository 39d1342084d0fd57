"""SlackTransport through the real slack-sdk against the local Slack stub (and real Temporal)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from pydantic import SecretStr
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.slack_transport import SlackRef, SlackTransport
from activities.task_notice import TaskNotice
from tests.support.slack_notices import sample_notice
from tests.support.slack_stub import BOT_TOKEN, SlackStub
from winback.settings import Settings


@pytest.fixture(scope="module")
def stub() -> Iterator[SlackStub]:
    with SlackStub.running(users=("U0DANA",)) as server:
        yield server


def settings_for(stub: SlackStub, token: str = BOT_TOKEN) -> Settings:
    return Settings(slack_bot_token=SecretStr(token), slack_base_url=stub.base_url)


def task(**changes: object) -> TaskNotice:
    initiate = {
        "step": "initiate",
        "customer_name": "Acme",
        "recipient_slack_id": "U0DANA",
        "headline": "Call Acme: no orders for 90 days",
    }
    return sample_notice(**{**initiate, **changes})


async def test_deliver_posts_a_dm_then_updates_it_in_place(stub: SlackStub) -> None:
    transport = SlackTransport(settings_for(stub))
    ref = await transport.deliver(task(), None)
    assert ref.channel == "DU0DANA"
    posted = stub.posts("DU0DANA")[-1]
    assert posted.ts == ref.ts and posted.text == "Call Acme: no orders for 90 days"
    before = len(stub.posts("DU0DANA"))

    closed = task(kind="closed", step="closed", headline="Rescued")
    again = await transport.deliver(closed, ref)
    assert again == ref and len(stub.posts("DU0DANA")) == before
    assert posted.updates == 1 and posted.text == "Rescued"


async def test_deliver_without_slack_id_posts_to_the_team_channel(stub: SlackStub) -> None:
    transport = SlackTransport(settings_for(stub))
    ref = await transport.deliver(task(recipient_slack_id=None, team_channel="#team-north"), None)
    assert [m.ts for m in stub.posts("#team-north")][-1] == ref.ts


async def test_deleted_message_is_posted_again(stub: SlackStub) -> None:
    transport = SlackTransport(settings_for(stub))
    ref = await transport.deliver(task(), SlackRef("DU0DANA", "999.000001"))
    assert ref.ts != "999.000001" and stub.posts("DU0DANA")[-1].ts == ref.ts


async def test_thread_replies_and_channel_posts(stub: SlackStub) -> None:
    transport = SlackTransport(settings_for(stub))
    parent = await transport.deliver(task(), None)
    reply = await transport.post_thread(task(kind="reminder"), parent)
    message = stub.posts("DU0DANA")[-1]
    assert message.ts == reply.ts and message.thread_ts == parent.ts
    assert message.text.startswith(":alarm_clock: Reminder for <@U0DANA>")
    alert = await transport.post_channel("#team-north", "Spike: delivery complaints x3")
    assert stub.posts("#team-north")[-1].ts == alert.ts


async def test_permanent_refusals_are_non_retryable_and_never_show_the_token(
    stub: SlackStub,
) -> None:
    wrong = "xoxb-wrong-secret-token"
    with pytest.raises(ApplicationError) as bad_token:
        await SlackTransport(settings_for(stub, wrong)).deliver(task(), None)
    assert bad_token.value.non_retryable and "invalid_auth" in bad_token.value.message
    assert wrong not in str(bad_token.value) and BOT_TOKEN not in str(bad_token.value)

    transport = SlackTransport(settings_for(stub))
    with pytest.raises(ApplicationError) as no_channel:
        await transport.deliver(task(recipient_slack_id=None, team_channel="#nowhere"), None)
    assert no_channel.value.non_retryable and "channel_not_found" in no_channel.value.message
    with pytest.raises(ApplicationError, match="neither a recipient"):
        await transport.deliver(task(recipient_slack_id=None), None)


class PostActivities:
    def __init__(self, transport: SlackTransport) -> None:
        self._transport = transport

    @activity.defn
    async def post_task(self, notice: TaskNotice) -> SlackRef:
        return await self._transport.deliver(notice, None)


@workflow.defn
class PostTaskOnce:
    @workflow.run
    async def run(self, notice: TaskNotice) -> SlackRef:
        return await workflow.execute_activity_method(
            PostActivities.post_task,
            notice,
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=50)),
        )


async def test_rate_limit_retries_in_temporal_after_retry_after_and_posts_once(
    stub: SlackStub, temporal_client: Client
) -> None:
    channel = stub.add_channel(f"#rl-{uuid.uuid4().hex[:6]}")
    notice = task(recipient_slack_id=None, team_channel=channel)
    stub.rate_limit(times=1, retry_after=2, method="chat.postMessage")
    queue = f"slack-{uuid.uuid4()}"
    activities = PostActivities(SlackTransport(settings_for(stub)))
    async with Worker(
        temporal_client,
        task_queue=queue,
        workflows=[PostTaskOnce],
        activities=[activities.post_task],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        started = time.monotonic()
        ref = await temporal_client.execute_workflow(
            PostTaskOnce.run, notice, id=f"post-{uuid.uuid4()}", task_queue=queue
        )
        elapsed = time.monotonic() - started
    assert elapsed >= 2.0
    assert [m.ts for m in stub.posts(channel)] == [ref.ts]
    tries = [
        c for c in stub.calls if c.method == "chat.postMessage" and c.args["channel"] == channel
    ]
    assert [c.status for c in tries] == [429, 200]
