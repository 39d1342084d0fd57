"""Delivering rescue tasks: always the TaskMessage row (the outbox), plus Slack when it is on.

The row is keyed by the notice's message_key, so a retried delivery finds it: with a Slack ts
the retry updates that message instead of posting a second one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from activities.task_notice import TaskNotice
from store.db import transaction
from store.models import TaskMessage
from winback.settings import Settings

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


class TaskDelivery:
    """Upserts the outbox row for a notice and mirrors it to Slack when configured."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self._settings = settings
        self._sessions = sessions

    @activity.defn(name="deliver_rescue_task")
    async def deliver_rescue_task(self, notice: TaskNotice) -> DeliveryReceipt:
        transport = "slack" if self._settings.slack_enabled() else "outbox"
        with transaction(self._sessions) as session:
            row = self._upsert(session, notice, transport)
            existing = (row.channel, row.ts) if row.ts else None
            parent = _row(session, notice.parent_key) if notice.parent_key else None
            parent_ref = (parent.channel, parent.ts) if parent and parent.ts else None
        if transport == "outbox":
            return DeliveryReceipt(notice.message_key, transport)
        channel, ts = await self._to_slack(notice, existing, parent_ref)
        with transaction(self._sessions) as session:
            row = _row(session, notice.message_key)
            if row is not None:
                row.channel, row.ts = channel, ts
                row.thread_ts = parent_ref[1] if parent_ref and not existing else row.thread_ts
        return DeliveryReceipt(notice.message_key, transport, channel, ts)

    def _upsert(self, session: Session, notice: TaskNotice, transport: str) -> TaskMessage:
        row = _row(session, notice.message_key)
        if row is None:
            row = TaskMessage(message_key=notice.message_key, case_id=notice.case_id)
            session.add(row)
        row.transport = transport
        row.recipient = notice.recipient_handle
        row.kind = notice.kind if notice.kind != "closed" else "task"
        row.step = notice.step
        row.text = notice.headline
        row.blocks = [asdict(notice)]  # the outbox renders from the notice itself
        row.open = notice.kind in OPEN_KINDS
        if notice.kind == "closed":
            session.execute(
                update(TaskMessage).where(TaskMessage.case_id == notice.case_id).values(open=False)
            )
        session.flush()
        return row

    async def _to_slack(
        self,
        notice: TaskNotice,
        existing: tuple[str | None, str] | None,
        parent: tuple[str | None, str] | None,
    ) -> tuple[str, str]:
        from activities.slack_transport import SlackRef, SlackTransport

        slack = SlackTransport(self._settings)
        if existing is None and parent is not None:
            ref = await slack.post_thread(notice, SlackRef(str(parent[0]), parent[1]))
        else:
            current = SlackRef(str(existing[0]), existing[1]) if existing else None
            ref = await slack.deliver(notice, current)
        return ref.channel, ref.ts
