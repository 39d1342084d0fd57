"""The tasks outbox: open TaskMessage rows with their case, and the form each step asks for.

The form is read back from the message's Block Kit (input blocks name the step's fields,
checkbox groups the offers), so the page asks exactly what the Slack message asks.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from activities.task_notice import FieldSpec
from store.models import Customer, RescueCase, TaskMessage
from workflows.rescue_messages import STEPS

TASKS_SHOWN = 200


@dataclass(frozen=True)
class OpenTask:
    message: TaskMessage
    case: RescueCase
    customer: Customer
    lines: list[str]  # the message's text, block by block
    fields: list[FieldSpec]
    offers: list[tuple[str, str]]  # (offer id, label)

    @property
    def is_step(self) -> bool:
        return (self.message.step or "") in STEPS


def _text(value: object) -> str:
    if isinstance(value, dict):
        return str(value.get("text", ""))
    return str(value or "")


def read_blocks(blocks: list[object]) -> tuple[list[str], list[FieldSpec], list[tuple[str, str]]]:
    lines: list[str] = []
    fields: list[FieldSpec] = []
    offers: list[tuple[str, str]] = []
    for block in blocks:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind in ("header", "section", "context"):
            text = _text(block.get("text"))
            text += " ".join(_text(e) for e in block.get("elements", []) if isinstance(e, dict))
            text += " ".join(_text(f) for f in block.get("fields", []) if isinstance(f, dict))
            if text.strip():
                lines.append(text.strip())
        elif kind == "input":
            element = block.get("element") or {}
            name = str(element.get("action_id") or block.get("block_id") or "")
            options = [(str(o.get("value")), _text(o.get("text")))
                       for o in element.get("options", []) if isinstance(o, dict)]
            if element.get("type") == "checkboxes" and name.startswith("offer"):
                offers.extend(options)
            elif name:
                fields.append(FieldSpec(name, _text(block.get("label")) or name,
                                        required=not block.get("optional", False),
                                        multiline=bool(element.get("multiline")),
                                        choices=[v for v, _ in options]))
    return lines, fields, offers


def open_tasks(session: Session, recipient: str | None = None) -> list[OpenTask]:
    """Open outbox tasks, newest first; only `recipient`'s when given (an account member)."""
    query = (
        select(TaskMessage, RescueCase, Customer)
        .join(RescueCase, RescueCase.id == TaskMessage.case_id)
        .join(Customer, Customer.id == RescueCase.customer_id)
        .where(TaskMessage.open.is_(True))
        .order_by(TaskMessage.created_at.desc(), TaskMessage.id.desc())
        .limit(TASKS_SHOWN)
    )
    if recipient is not None:
        query = query.where(TaskMessage.recipient == recipient)
    tasks = []
    for message, case, customer in session.execute(query).tuples():
        lines, fields, offers = read_blocks(message.blocks or [])
        if not lines and message.text:
            lines = [message.text]
        tasks.append(OpenTask(message, case, customer, lines, fields, offers))
    return tasks
