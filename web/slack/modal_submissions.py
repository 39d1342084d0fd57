"""Submitted rescue modals become Updates; refusals show inside the modal.

Here the ack waits for the Update (bounded by rescue_calls.UPDATE_ANSWER_SECONDS) because
only the ack can keep the modal open with `response_action: errors` when the rescue says no.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from web.slack.context import deps_of
from web.slack.forms import (
    FormError,
    escalate_request,
    outcome_request,
    reschedule_request,
    step_request,
)
from web.slack.modals import (
    VIEW_ESCALATE,
    VIEW_LOG_STEP,
    VIEW_OUTCOME,
    VIEW_RESCHEDULE,
    ModalMeta,
    error_block_id,
)
from web.slack.rescue_calls import UpdateRefused, send_update
from web.slack.task_actions import NOT_A_MEMBER
from workflows.rescue_messages import (
    UPDATE_ESCALATE,
    UPDATE_LOG_STEP,
    UPDATE_OUTCOME,
    UPDATE_RESCHEDULE,
)

View = dict[str, Any]
RequestReader = Callable[[View, str, ModalMeta], object]


def submits(update: str, read: RequestReader) -> Any:
    """A view_submission listener sending `update` with the request `read` from the view."""

    async def listener(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        view: View = body["view"]
        deps = deps_of(context)
        actor = await deps.actor(body["user"]["id"])
        if actor is None:
            await ack(response_action="errors", errors={error_block_id(view): NOT_A_MEMBER})
            return
        meta = ModalMeta.decode(view.get("private_metadata", ""))
        try:
            request = read(view, actor, meta)
            await send_update(await deps.temporal(), meta.workflow_id, update, request)
        except FormError as exc:
            await ack(response_action="errors", errors={exc.block_id: exc.message})
            return
        except UpdateRefused as exc:
            await ack(response_action="errors", errors={error_block_id(view, str(exc)): str(exc)})
            return
        await ack()

    return listener


def register(app: AsyncApp) -> None:
    app.view(VIEW_LOG_STEP)(submits(UPDATE_LOG_STEP, lambda v, a, m: step_request(v, a, m.step)))
    app.view(VIEW_OUTCOME)(submits(UPDATE_OUTCOME, lambda v, a, m: outcome_request(v, a)))
    app.view(VIEW_RESCHEDULE)(submits(UPDATE_RESCHEDULE, lambda v, a, m: reschedule_request(v, a)))
    app.view(VIEW_ESCALATE)(submits(UPDATE_ESCALATE, lambda v, a, m: escalate_request(v, a)))
