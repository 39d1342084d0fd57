"""The local outbox: rescue tasks as stored, for `winback tasks` and the dashboard.

Every delivered task has a TaskMessage row (Slack or not); this reads the open ones back with
the notice they carry, so people without Slack see exactly what Slack would have shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Customer, RescueCase, TaskMessage


@dataclass(frozen=True)
class OutboxTask:
    message_key: str
    workflow_id: str
    kind: str
    step: str | None
    recipient: str | None
    headline: str
    customer_external_id: str
    customer_name: str
    value_at_risk: float
    transport: str
    updated_at: datetime
    script: str = ""
    field_names: tuple[str, ...] = ()
    offer_ids: tuple[str, ...] = ()


def _notice_part(row: TaskMessage, key: str) -> Any:
    notice = row.blocks[0] if row.blocks and isinstance(row.blocks[0], dict) else {}
    return notice.get(key)


def open_tasks(session: Session, recipient: str | None = None) -> list[OutboxTask]:
    """Open tasks, most recently changed first; only `recipient`'s when given."""
    query = (
        select(TaskMessage, RescueCase, Customer)
        .join(RescueCase, RescueCase.id == TaskMessage.case_id)
        .join(Customer, Customer.id == RescueCase.customer_id)
        .where(TaskMessage.open.is_(True))
        .order_by(TaskMessage.updated_at.desc(), TaskMessage.id.desc())
    )
    if recipient:
        query = query.where(TaskMessage.recipient == recipient)
    tasks = []
    for row, case, customer in session.execute(query).tuples():
        fields = _notice_part(row, "fields") or []
        offers = _notice_part(row, "offers") or []
        tasks.append(
            OutboxTask(
                message_key=row.message_key,
                workflow_id=case.workflow_id,
                kind=row.kind,
                step=row.step,
                recipient=row.recipient,
                headline=row.text,
                customer_external_id=customer.external_id,
                customer_name=customer.name,
                value_at_risk=case.value_at_risk,
                transport=row.transport,
                updated_at=row.updated_at,
                script=str(_notice_part(row, "script") or ""),
                field_names=tuple(str(f["name"]) for f in fields if isinstance(f, dict)),
                offer_ids=tuple(str(o["id"]) for o in offers if isinstance(o, dict)),
            )
        )
    return tasks
