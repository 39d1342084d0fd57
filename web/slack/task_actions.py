"""Buttons on a rescue task message: Claim, Log step, Outcome, Reschedule, Escalate.

Each listener acks at once (Slack wants an answer within 3 s), then works: Claim sends the
Update; the others open a modal (Log step only for the step the rescue is really at). A
person who is not a winback team member, or whom the rescue refuses, gets an ephemeral
message and nothing is sent to the workflow.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from activities.slack_blocks import (
    ACTION_CLAIM,
    ACTION_ESCALATE,
    ACTION_LOG_STEP,
    ACTION_OPEN_DASHBOARD,
    ACTION_OUTCOME,
    ACTION_RESCHEDULE,
)
from activities.slack_step_form import StepFormError, decode_step_form
from web.slack.context import deps_of
from web.slack.modals import (
    ModalMeta,
    escalate_modal,
    log_step_modal,
    outcome_modal,
    reschedule_modal,
)
from web.slack.rescue_calls import UpdateRefused, rescue_status, send_update
from workflows.rescue_messages import UPDATE_CLAIM, ClaimRequest

log = logging.getLogger(__name__)
NOT_A_MEMBER = (
    "You are not set up as a winback team member, so you cannot act on rescues. "
    "Ask an admin to add your Slack id to the team."
)
Body = dict[str, Any]


async def tell(client: AsyncWebClient, body: Body, text: str) -> None:
    """An ephemeral reply to the person who clicked, where they clicked."""
    channel = (body.get("channel") or {}).get("id") or body.get("container", {}).get("channel_id")
    if not channel:
        log.warning("cannot answer Slack user %s outside a channel: %s", body["user"]["id"], text)
        return
    try:
        await client.chat_postEphemeral(channel=channel, user=body["user"]["id"], text=text)
    except SlackApiError as exc:
        log.warning("ephemeral reply failed: %s", exc.response.get("error"))


def meta_of(body: Body, workflow_id: str, step: str = "") -> ModalMeta:
    return ModalMeta(
        workflow_id=workflow_id,
        step=step,
        channel=(body.get("channel") or {}).get("id", ""),
        message_ts=body.get("container", {}).get("message_ts", ""),
    )


async def claim(
    ack: AsyncAck, body: Body, context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    await ack()
    deps = deps_of(context)
    actor = await deps.actor(body["user"]["id"])
    if actor is None:
        await tell(client, body, NOT_A_MEMBER)
        return
    workflow_id = body["actions"][0]["value"]
    try:
        await send_update(await deps.temporal(), workflow_id, UPDATE_CLAIM, ClaimRequest(actor))
    except UpdateRefused as exc:
        await tell(client, body, f"Could not claim: {exc}")


async def open_log_step(
    ack: AsyncAck, body: Body, context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    await ack()
    deps = deps_of(context)
    if await deps.actor(body["user"]["id"]) is None:
        await tell(client, body, NOT_A_MEMBER)
        return
    try:
        form = decode_step_form(body["actions"][0]["value"])
        status = await rescue_status(await deps.temporal(), form.workflow_id)
    except (StepFormError, UpdateRefused) as exc:
        await tell(client, body, f"Cannot log this step: {exc}")
        return
    if status.current_step != form.step:
        await tell(
            client,
            body,
            f"This rescue is at '{status.current_step}' now, not '{form.step}': "
            "use its latest task message.",
        )
        return
    view = log_step_modal(form, meta_of(body, form.workflow_id, form.step))
    await client.views_open(trigger_id=body["trigger_id"], view=view)


def opens(build: Any) -> Any:
    """A listener that opens the modal `build(meta)` for a team member."""

    async def listener(
        ack: AsyncAck, body: Body, context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        await ack()
        if await deps_of(context).actor(body["user"]["id"]) is None:
            await tell(client, body, NOT_A_MEMBER)
            return
        view = build(meta_of(body, body["actions"][0]["value"]))
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    return listener


async def acknowledge(ack: AsyncAck) -> None:
    """Link buttons still send an action; Slack wants it acknowledged."""
    await ack()


def register(app: AsyncApp) -> None:
    app.action(ACTION_CLAIM)(claim)
    app.action(ACTION_LOG_STEP)(open_log_step)
    app.action(ACTION_OUTCOME)(opens(outcome_modal))
    app.action(ACTION_RESCHEDULE)(opens(reschedule_modal))
    app.action(ACTION_ESCALATE)(opens(escalate_modal))
    app.action(ACTION_OPEN_DASHBOARD)(acknowledge)
