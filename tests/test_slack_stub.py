"""The Slack stub refuses what Slack refuses, so tests that pass against it mean something."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.support.slack_stub import BOT_TOKEN, SlackStub


@pytest.fixture(scope="module")
def stub() -> Iterator[SlackStub]:
    with SlackStub.running(users=("U0DANA",)) as server:
        yield server


def client(stub: SlackStub, token: str | None = BOT_TOKEN) -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=stub.base_url, retry_handlers=[])


async def slack_error(call: object) -> str:
    with pytest.raises(SlackApiError) as refused:
        await call  # type: ignore[misc]
    return str(refused.value.response["error"])


async def test_auth_is_checked(stub: SlackStub) -> None:
    assert (await client(stub).auth_test())["user_id"] == "U0BOT"
    assert await slack_error(client(stub, None).auth_test()) == "not_authed"
    assert await slack_error(client(stub, "xoxb-nope").auth_test()) == "invalid_auth"


async def test_message_shapes_are_checked(stub: SlackStub) -> None:
    web = client(stub)
    assert await slack_error(web.chat_postMessage(channel="#nowhere", text="x")) == (
        "channel_not_found"
    )
    with pytest.warns(UserWarning, match="`text` argument is missing"):
        assert await slack_error(web.chat_postMessage(channel="#team-north", text="")) == "no_text"
    too_long = [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]
    with pytest.raises(SlackApiError) as bad:
        await web.chat_postMessage(channel="#team-north", text="x", blocks=too_long)
    assert bad.value.response["error"] == "invalid_blocks"
    assert bad.value.response["errors"] == ["blocks[0].text.text: must be less than 151 chars"]
    assert (
        await slack_error(web.chat_update(channel="#team-north", ts="1.000001", text="x"))
        == "message_not_found"
    )
    assert (
        await slack_error(
            web.chat_postMessage(channel="#team-north", text="x", thread_ts="2.000002")
        )
        == "thread_not_found"
    )


async def test_form_bodies_and_posts_per_channel(stub: SlackStub) -> None:
    web = client(stub)
    before = len(stub.posts("#team-north"))
    blocks = '[{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]'
    sent = await web.api_call(
        "chat.postMessage", data={"channel": "#team-north", "text": "hi", "blocks": blocks}
    )
    assert sent["ok"] and len(stub.posts("#team-north")) == before + 1
    assert stub.posts("#team-north")[-1].blocks[0]["type"] == "section"
    dm = await web.conversations_open(users="U0DANA")
    assert dm["channel"]["id"] == "DU0DANA"
    assert await slack_error(web.conversations_open(users="U0NOBODY")) == "user_not_found"
    assert (await web.users_info(user="U0DANA"))["user"]["name"] == "u0dana"


async def test_views_are_checked(stub: SlackStub) -> None:
    web = client(stub)
    view = {"type": "modal", "title": {"type": "plain_text", "text": "A title too long for Slack"}}
    assert await slack_error(web.views_open(trigger_id="1.2", view={**view, "blocks": []})) == (
        "invalid_arguments"
    )
    ok = {**view, "title": {"type": "plain_text", "text": "Fine"}, "blocks": []}
    assert (await web.views_open(trigger_id="1.2", view=ok))["view"]["id"].startswith("V")
    assert await slack_error(web.views_open(trigger_id="", view=ok)) == "invalid_trigger_id"


async def test_rate_limits_answer_429_with_retry_after(stub: SlackStub) -> None:
    stub.rate_limit(times=1, retry_after=7, method="auth.test")
    with pytest.raises(SlackApiError) as limited:
        await client(stub).auth_test()
    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "7"
    assert (await client(stub).auth_test())["ok"]
