"""The tasks outbox: open TaskMessage rows with their case, and the form each step asks for.

The outbox row keeps the TaskNotice itself (`blocks == [asdict(notice)]`, written by the rescue
delivery activity), so the page shows what the Slack message shows and asks for the step's
fields and offers from the playbook.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from activities.task_notice import FieldSpec
from store.models import Customer, RescueCase, TaskMessage
from workflows.rescue_messages import STEPS

TASKS_SHOWN = 200
_BOLD = re.compile(r"\*([^*\n]+)\*")


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


def read_notice(
    data: dict[str, object],
) -> tuple[list[str], list[FieldSpec], list[tuple[str, str]]]:
    """Lines, fields and offers of a stored TaskNotice (its asdict form)."""
    lines = [str(data.get("headline") or "")]
    for title, key in (("Why flagged", "reasons"), ("Recent complaints", "recent_complaints")):
        items = [str(i) for i in data.get(key) or []]  # type: ignore[attr-defined]
        if items:
            lines.append(f"{title}: " + "; ".join(items))
    if data.get("script"):
        lines.append(str(data["script"]))
    fields = [
        FieldSpec(**f)
        for f in data.get("fields") or []  # type: ignore[attr-defined]
        if isinstance(f, dict)
    ]
    offers = [
        (str(o.get("id")), str(o.get("label")))
        for o in data.get("offers") or []  # type: ignore[attr-defined]
        if isinstance(o, dict)
    ]
    return [line for line in lines if line], fields, offers


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
        blocks = message.blocks or []
        notice = blocks[0] if blocks and isinstance(blocks[0], dict) else {}
        lines, fields, offers = read_notice(notice)
        if not lines and message.text:
            lines = [message.text]
        tasks.append(OpenTask(message, case, customer, lines, fields, offers))
    return tasks


def mrkdwn_html(line: str) -> Markup:
    """A digest line as Slack shows it: escaped, with Slack's *bold* as <strong>."""
    return Markup(_BOLD.sub(r"<strong>\1</strong>", str(escape(line))))
