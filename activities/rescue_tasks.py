"""Delivering rescue tasks: always the TaskMessage row (the outbox), plus Slack when it is on.

The row is keyed by the notice's message_key, so a retried delivery finds it: with a Slack ts
the retry updates that message instead of posting a second one. Without a ts, the row records
when a Slack post was first attempted (committed before the post), so a retry whose earlier
attempt posted but never stored the ts looks that message up and adopts it.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from activities.task_notice import TaskNotice
from store.base import utcnow
from store.db import transaction
from store.models import TaskMessage
from winback.settings import Settings

if TYPE_CHECKING:
    from activities.slack_transport import SlackRef

_Ref = tuple[str | None, str]  # (channel, ts) of a stored Slack message


@dataclass(frozen=True)
class _SlackPlace:
    """Where a notice stands in Slack before this delivery: its message, its thread parent,
    and when an earlier post whose ts is unknown was attempted (Unix seconds)."""

    existing: _Ref | None
    parent: _Ref | None
    attempted_at: float | None


_NEW_ROW = insert(cast(Table, TaskMessage.__table__))  # built once, run per first task
# Kinds whose rows stay open until the case closes: someone has work to do.
OPEN_KINDS = ("task", "escalation", "follow_up")


@dataclass(frozen=True)
class DeliveryReceipt:
    message_key: str
    transport: str  # "slack" | "outbox"
    channel: str | None = None
    ts: str | None = None


def _row(session: Session, key: str) -> TaskMessage | None:
    return session.scalar(select(TaskMessage).where(TaskMessage.message_key == key))


def upsert_task_row(session: Session, notice: TaskNotice, transport: str) -> TaskMessage:
    """The notice's outbox row, created or brought up to date (keyed by message_key)."""
    row = _row(session, notice.message_key)
    if row is None:
        row = TaskMessage(message_key=notice.message_key, case_id=notice.case_id)
        session.add(row)
    for name, value in _row_values(notice, transport).items():
        setattr(row, name, value)
    if notice.kind == "closed":
        session.execute(
            update(TaskMessage).where(TaskMessage.case_id == notice.case_id).values(open=False)
        )
    session.flush()
    return row


def add_first_task_row(session: Session, notice: TaskNotice) -> None:
    """The outbox row of a case opened in this transaction: no row can exist yet, so a
    plain insert, without a lookup first."""
    session.execute(
        _NEW_ROW,
        {
            "message_key": notice.message_key,
            "case_id": notice.case_id,
            **_row_values(notice, "outbox"),
        },
    )


def _row_values(notice: TaskNotice, transport: str) -> dict[str, object]:
    return {
        "transport": transport,
        "recipient": notice.recipient_handle,
        "kind": notice.kind if notice.kind != "closed" else "task",
        "step": notice.step,
        "text": notice.headline,
        "blocks": [asdict(notice)],  # the outbox renders from the notice itself
        "open": notice.kind in OPEN_KINDS,
    }


class TaskDelivery:
    """Upserts the outbox row for a notice and mirrors it to Slack when configured."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self._settings = settings
        self._sessions = sessions

    @activity.defn(name="deliver_rescue_task")
    async def deliver_rescue_task(self, notice: TaskNotice) -> DeliveryReceipt:
        # Store work runs in a thread: a blocking session would stall the worker's event loop.
        transport = "slack" if self._settings.slack_enabled() else "outbox"
        place = await asyncio.to_thread(self._write_row, notice, transport)
        if transport == "outbox":
            return DeliveryReceipt(notice.message_key, transport)
        ref = await self._to_slack(notice, place)
        await asyncio.to_thread(self._remember_slack, notice, ref, place.existing)
        return DeliveryReceipt(notice.message_key, transport, ref.channel, ref.ts)

    def _write_row(self, notice: TaskNotice, transport: str) -> _SlackPlace:
        """Upsert the row (recording a first Slack attempt); return where it stands in Slack."""
        with transaction(self._sessions) as session:
            row = upsert_task_row(session, notice, transport)
            existing = (row.channel, row.ts) if row.ts else None
            attempted_at = None
            if transport == "slack" and existing is None:
                if row.slack_post_started_at is None:
                    row.slack_post_started_at = utcnow()  # committed before the post
                else:
                    attempted_at = row.slack_post_started_at.timestamp()
            parent = _row(session, notice.parent_key) if notice.parent_key else None
            parent_ref = (parent.channel, parent.ts) if parent and parent.ts else None
            if parent is not None and parent.recipient != notice.recipient_handle:
                parent_ref = None  # an escalation to the lead: their own DM, not a thread
        return _SlackPlace(existing, parent_ref, attempted_at)

    def _remember_slack(self, notice: TaskNotice, ref: SlackRef, existing: _Ref | None) -> None:
        with transaction(self._sessions) as session:
            row = _row(session, notice.message_key)
            if row is not None:
                row.channel, row.ts = ref.channel, ref.ts
                if existing is None:
                    row.thread_ts = ref.thread_ts

    async def _to_slack(self, notice: TaskNotice, place: _SlackPlace) -> SlackRef:
        from activities.slack_transport import SlackRef, SlackTransport

        slack = SlackTransport(self._settings)
        existing, parent = place.existing, place.parent
        if existing is None and parent is not None:
            thread = SlackRef(str(parent[0]), parent[1])
            ref = await slack.post_thread(notice, thread, place.attempted_at)
        else:
            current = SlackRef(str(existing[0]), existing[1]) if existing else None
            ref = await slack.deliver(notice, current, place.attempted_at)
        return ref
