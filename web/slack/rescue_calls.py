"""Talking to a RescueWorkflow from Slack: its status, and Updates with readable refusals.

Temporal's errors become one UpdateRefused whose message is fit to show a person in a modal
or an ephemeral message (the workflow's own ApplicationError message when it has one).
"""

from __future__ import annotations

import asyncio
import logging

from temporalio.client import (
    Client,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from workflows.rescue_messages import QUERY_STATUS, RescueStatus

log = logging.getLogger(__name__)

# Slack waits 3 s for a modal's answer; leave room for the HTTP round trips.
UPDATE_ANSWER_SECONDS = 2.5


class UpdateRefused(Exception):
    """The rescue did not accept what the person asked; the message says why."""


def _readable(exc: BaseException) -> str:
    if isinstance(exc, WorkflowUpdateFailedError):
        cause: BaseException | None = exc.cause
        while cause is not None and not isinstance(cause, ApplicationError):
            cause = cause.__cause__  # the workflow's own refusal sits under wrappers
        return cause.message if cause is not None else "The rescue refused this action."
    if isinstance(exc, RPCError):
        if exc.status == RPCStatusCode.NOT_FOUND:
            return "This rescue no longer exists or has already closed."
        return f"Winback could not reach the rescue ({exc.message})."
    if isinstance(exc, WorkflowQueryFailedError):
        return exc.message
    if isinstance(exc, WorkflowQueryRejectedError):
        return "This rescue has already closed."
    if isinstance(exc, WorkflowUpdateRPCTimeoutOrCancelledError | TimeoutError):
        return "Winback is slow to answer; check the task message before trying again."
    return str(exc)


_REFUSALS = (
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    RPCError,
    TimeoutError,
)


def _log_late_failure(call: asyncio.Future[RescueStatus]) -> None:
    """An Update that outlived Slack's wait still ends somewhere: in the log."""
    if not call.cancelled() and call.exception() is not None:
        log.info("rescue update ended with: %s", _readable(call.exception()))  # type: ignore[arg-type]


async def rescue_status(client: Client, workflow_id: str) -> RescueStatus:
    try:
        return await client.get_workflow_handle(workflow_id).query(
            QUERY_STATUS, result_type=RescueStatus
        )
    except _REFUSALS as exc:
        raise UpdateRefused(_readable(exc)) from exc


async def send_update(
    client: Client, workflow_id: str, update: str, request: object
) -> RescueStatus:
    """Run `update` on the rescue and return its status; UpdateRefused with the reason.

    The Update keeps running on the server if it takes longer than Slack lets us wait: the
    person is told to check the task message rather than try again blindly.
    """
    handle = client.get_workflow_handle(workflow_id)
    call = asyncio.ensure_future(handle.execute_update(update, request, result_type=RescueStatus))
    call.add_done_callback(_log_late_failure)
    try:
        return await asyncio.wait_for(asyncio.shield(call), UPDATE_ANSWER_SECONDS)
    except _REFUSALS as exc:
        raise UpdateRefused(_readable(exc)) from exc
