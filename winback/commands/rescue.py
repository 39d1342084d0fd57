"""`winback rescue start|claim|step|outcome|reschedule|escalate|status` and `winback tasks`.

The outbox way to work a rescue without Slack: the same Updates, with the same validation,
as the Slack buttons; a refused Update prints the workflow's reason and exits with status 1.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from activities.outbox import open_tasks
from activities.rescue_start import RescueStarter
from winback.runtime import Runtime, open_runtime
from winback.temporal_client import connect
from workflows.rescue_messages import (
    QUERY_STATUS,
    UPDATE_CLAIM,
    UPDATE_ESCALATE,
    UPDATE_LOG_STEP,
    UPDATE_OUTCOME,
    UPDATE_RESCHEDULE,
    ClaimRequest,
    EscalateRequest,
    OutcomeRequest,
    RescheduleRequest,
    RescueStatus,
    StepRequest,
)

rescue_app = typer.Typer(help="Start and work rescues from the terminal (the local outbox).")
T = TypeVar("T")

Actor = Annotated[str, typer.Option("--actor", help="Your team-member handle.")]
WorkflowId = Annotated[str, typer.Argument(help="Rescue workflow id, e.g. rescue-C-100-1.")]


def _run(action: Callable[[Runtime, Client], Awaitable[T]]) -> T:
    """Open the store and Temporal, run `action`, turn refusals into plain messages."""
    runtime = open_runtime()

    async def main() -> T:
        return await action(runtime, await connect(runtime.settings))

    try:
        return asyncio.run(main())
    except WorkflowUpdateFailedError as exc:
        reason = getattr(exc.cause, "message", None) or str(exc.cause or exc)
        typer.echo(f"refused: {reason}", err=True)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            typer.echo("error: no such rescue (or it has finished)", err=True)
        else:
            typer.echo(f"error: Temporal said {exc.message}", err=True)
    except ApplicationError as exc:  # the starter's refusals: unknown customer, scenario
        typer.echo(f"error: {exc.message}", err=True)
    except RuntimeError as exc:  # connect() explains an unreachable Temporal
        typer.echo(f"error: {exc}", err=True)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(1)


def _print_status(status: RescueStatus) -> None:
    typer.echo(
        f"{status.workflow_id}: step={status.current_step} assignee={status.assignee or '-'} "
        f"escalated={'yes' if status.escalated else 'no'} outcome={status.outcome or '-'}"
    )


def _update(workflow_id: str, name: str, request: object) -> None:
    async def send(_runtime: Runtime, client: Client) -> RescueStatus:
        handle = client.get_workflow_handle(workflow_id)
        return await handle.execute_update(name, request, result_type=RescueStatus)

    _print_status(_run(send))


def _fields(pairs: list[str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise typer.BadParameter(f"--field {pair!r}: use NAME=VALUE", param_hint="--field")
        fields[name.strip()] = value
    return fields


@rescue_app.command("start")
def start(
    customer: Annotated[str, typer.Argument(help="Customer external id.")],
    scenario: Annotated[str, typer.Option(help="at_risk or lapsed.")] = "at_risk",
) -> None:
    """Start a rescue for a customer (a no-op returning the open one if there is one)."""

    async def go(runtime: Runtime, client: Client) -> None:
        starter = RescueStarter(client, runtime.sessions, runtime.settings)
        result = await starter.start_for_customer(customer, scenario)
        verb = "started" if result.started else "already open"
        typer.echo(f"{verb}: {result.workflow_id}")

    _run(go)


@rescue_app.command("claim")
def claim(workflow_id: WorkflowId, actor: Actor) -> None:
    """Claim a rescue task."""
    _update(workflow_id, UPDATE_CLAIM, ClaimRequest(actor))


@rescue_app.command("step")
def step(
    workflow_id: WorkflowId,
    actor: Actor,
    step_name: Annotated[str, typer.Option("--step", help="initiate|probe|offer|close|follow_up")],
    field: Annotated[list[str], typer.Option("--field", help="NAME=VALUE, repeatable.")] = [],  # noqa: B006
    offer: Annotated[list[str], typer.Option("--offer", help="Offer id made, repeatable.")] = [],  # noqa: B006
    accepted: Annotated[list[str], typer.Option(help="Offer id accepted, repeatable.")] = [],  # noqa: B006
) -> None:
    """Log one conversation step with its fields (as the playbook asks)."""
    request = StepRequest(actor, step_name, _fields(field), list(offer), list(accepted))
    _update(workflow_id, UPDATE_LOG_STEP, request)


@rescue_app.command("outcome")
def outcome(
    workflow_id: WorkflowId,
    actor: Actor,
    result: Annotated[str, typer.Option("--outcome", help="rescued|lost|no_contact|not_needed")],
    reason: Annotated[str, typer.Option(help="Why (needed for lost).")] = "",
    value_saved: Annotated[float, typer.Option(help="Yearly value kept (rescued).")] = 0.0,
    category: Annotated[str | None, typer.Option(help="Category id of why they left.")] = None,
    follow_up: Annotated[str, typer.Option(help="Follow-through promised.")] = "",
    due_days: Annotated[float | None, typer.Option(help="Days until the follow-up is due.")] = None,
) -> None:
    """Record the rescue's outcome (and any promised follow-up)."""
    request = OutcomeRequest(actor, result, reason, value_saved, follow_up, due_days, category)
    _update(workflow_id, UPDATE_OUTCOME, request)


@rescue_app.command("reschedule")
def reschedule(
    workflow_id: WorkflowId,
    actor: Actor,
    days: Annotated[float, typer.Option(help="Snooze reminders for this many days.")],
) -> None:
    """The customer asked to talk later: hold reminders and escalation until then."""
    _update(workflow_id, UPDATE_RESCHEDULE, RescheduleRequest(actor, days))


@rescue_app.command("escalate")
def escalate(
    workflow_id: WorkflowId,
    actor: Actor,
    note: Annotated[str, typer.Option(help="What the lead should know.")] = "",
) -> None:
    """Hand the rescue up to the team lead."""
    _update(workflow_id, UPDATE_ESCALATE, EscalateRequest(actor, note))


@rescue_app.command("status")
def status(workflow_id: WorkflowId) -> None:
    """Where a rescue is, who has it, and its history."""

    async def ask(_runtime: Runtime, client: Client) -> RescueStatus:
        handle = client.get_workflow_handle(workflow_id)
        return await handle.query(QUERY_STATUS, result_type=RescueStatus)

    current = _run(ask)
    _print_status(current)
    for line in current.history:
        typer.echo(f"  {line}")


def tasks(
    recipient: Annotated[str | None, typer.Option("--for", help="Only this handle's.")] = None,
) -> None:
    """Open rescue tasks in the outbox (every task, Slack or not)."""
    runtime = open_runtime()
    with runtime.sessions() as session:
        rows = open_tasks(session, recipient)
    table = Table("workflow", "kind", "step", "for", "customer", "value at risk", "headline")
    for row in rows:
        table.add_row(
            row.workflow_id,
            row.kind,
            row.step or "",
            row.recipient or "",
            f"{row.customer_name} ({row.customer_external_id})",
            f"{row.value_at_risk:,.0f}",
            row.headline,
        )
    Console(width=200).print(table)
    typer.echo(f"{len(rows)} open task(s)")


def register(app: typer.Typer) -> None:
    app.add_typer(rescue_app, name="rescue")
    app.command("tasks")(tasks)
