"""Spike alerts: find spikes in the daily rollups, store each once, tell leaders once.

A SpikeAlert row is unique per (category, window_end), so every run may detect the same spike
and still store it once; `alerted_at` is set only after Slack accepted the post, so a spike is
announced once and a failed post is tried again next run. With Slack off the rows stay for the
dashboard to show.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from classifiers.redaction import redact_text
from classifiers.spikes import Spike, SpikeConfig, detect_spikes
from store.db import conflict_insert
from store.models import Category, CategoryDaily, FeedbackItem, SpikeAlert
from winback.settings import Settings

PostChannel = Callable[[str, str, list[dict[str, Any]]], Awaitable[object]]
EXAMPLES_SHOWN = 3
EXAMPLE_CHARS = 280


@dataclass(frozen=True)
class SpikeCheckInput:
    as_of: str  # ISO day whose window is judged (the window ends on it, inclusive)
    window_days: int = 1
    history_days: int = 28
    min_count: int = 5
    alpha: float = 1e-3
    resend_days: int = 2  # unsent alerts this recent are tried again (a post that failed)


@dataclass(frozen=True)
class SpikeAlertRef:
    alert_id: int
    category_id: str
    window_end: str
    observed: int
    expected: float


@dataclass(frozen=True)
class SendAlertInput:
    alert_id: int
    window_days: int = 1  # examples are taken from this many days up to the window's end


@dataclass(frozen=True)
class AlertDelivery:
    alert_id: int
    status: str  # "sent" | "already_sent" | "stored" (Slack off: shown on the dashboard)


@dataclass(frozen=True)
class SpikeMessage:
    text: str
    blocks: list[dict[str, Any]]


def spike_message(
    spike: SpikeAlert, category_name: str, examples: list[str], dashboard_url: str
) -> SpikeMessage:
    """The leaders' Slack message for one spike: numbers, redacted examples, a link."""
    ratio = spike.observed / spike.expected if spike.expected else float("inf")
    text = (
        f"Spike in {category_name}: {spike.observed} items in the window ending "
        f"{spike.window_end.isoformat()} (expected {spike.expected:.1f}, {ratio:.1f}x)"
    )
    quoted = "\n".join(f"> {example}" for example in examples) or "_no examples stored_"
    link = f"<{dashboard_url}|Open the listening dashboard>"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Spike: {category_name}"[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {"type": "section", "text": {"type": "mrkdwn", "text": quoted[:3000]}},
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": link}],
        },
    ]
    return SpikeMessage(text=f"{text}. {dashboard_url}", blocks=blocks)


def _example(text: str) -> str:
    # Stored text is redacted at ingestion; redact again so a leak upstream stops here.
    clean = " ".join(redact_text(text).split())
    clean = clean.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return clean if len(clean) <= EXAMPLE_CHARS else clean[: EXAMPLE_CHARS - 1] + "…"


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


def store_spike(session: Session, spike: Spike) -> None:
    """Insert the spike's alert row, or refresh the numbers of the one already there."""
    values = {
        "category_id": spike.category_id,
        "window_end": spike.window_end,
        "observed": spike.observed,
        "expected": spike.expected,
        "score": spike.score,
        "created_at": datetime.now(UTC),
    }
    statement = conflict_insert(session.get_bind().dialect.name)(SpikeAlert).values(**values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["category_id", "window_end"],
            set_={
                "observed": statement.excluded.observed,
                "expected": statement.excluded.expected,
                "score": statement.excluded.score,
            },
        )
    )


class SpikeAlertActivities:
    """Built once per worker with the store, the settings and (when Slack is on) a poster."""

    def __init__(
        self, sessions: sessionmaker[Session], settings: Settings, post_channel: PostChannel | None
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._post_channel = post_channel

    @activity.defn(name="listen_record_spikes")
    def record_spikes(self, check: SpikeCheckInput) -> list[SpikeAlertRef]:
        """Detect spikes for the window ending at as_of, store them, return the unsent ones."""
        as_of = date.fromisoformat(check.as_of)
        config = SpikeConfig(
            window_days=check.window_days,
            history_days=check.history_days,
            min_count=check.min_count,
            alpha=check.alpha,
        )
        since = as_of - timedelta(days=check.window_days + check.history_days)
        with self._sessions() as session, session.begin():
            data_since = session.scalar(select(func.min(CategoryDaily.day)))
            counts: dict[str, dict[date, int]] = defaultdict(dict)
            rows = session.execute(
                select(CategoryDaily.category_id, CategoryDaily.day, CategoryDaily.count).where(
                    CategoryDaily.day >= since, CategoryDaily.day <= as_of
                )
            )
            for category_id, day, count in rows:
                counts[category_id][day] = count
            for spike in detect_spikes(counts, as_of, config, data_since):
                store_spike(session, spike)
            unsent = session.scalars(
                select(SpikeAlert)
                .where(
                    SpikeAlert.alerted_at.is_(None),
                    SpikeAlert.window_end <= as_of,
                    SpikeAlert.window_end >= as_of - timedelta(days=check.resend_days),
                )
                .order_by(SpikeAlert.score.desc(), SpikeAlert.id)
            ).all()
            return [
                SpikeAlertRef(a.id, a.category_id, a.window_end.isoformat(), a.observed, a.expected)
                for a in unsent
            ]

    def _message(self, alert_id: int, window_days: int) -> tuple[bool, SpikeMessage]:
        with self._sessions() as session:
            alert = session.get(SpikeAlert, alert_id)
            if alert is None:
                raise LookupError(f"spike alert {alert_id} does not exist")
            category = session.get(Category, alert.category_id)
            start = _midnight(alert.window_end - timedelta(days=window_days - 1))
            end = _midnight(alert.window_end + timedelta(days=1))
            texts = session.scalars(
                select(FeedbackItem.text)
                .where(
                    FeedbackItem.category_id == alert.category_id,
                    FeedbackItem.occurred_at >= start,
                    FeedbackItem.occurred_at < end,
                )
                .order_by(FeedbackItem.occurred_at.desc(), FeedbackItem.id.desc())
                .limit(EXAMPLES_SHOWN)
            ).all()
            dashboard = self._settings.public_url.rstrip("/") + "/listening"
            name = category.name if category else alert.category_id
            message = spike_message(alert, name, [_example(t) for t in texts], dashboard)
            return alert.alerted_at is not None, message

    def _mark_sent(self, alert_id: int) -> None:
        with self._sessions() as session, session.begin():
            session.execute(
                update(SpikeAlert)
                .where(SpikeAlert.id == alert_id, SpikeAlert.alerted_at.is_(None))
                .values(alerted_at=datetime.now(UTC))
            )

    @activity.defn(name="listen_send_spike_alert")
    async def send_spike_alert(self, request: SendAlertInput) -> AlertDelivery:
        """Post one spike to the leaders' channel unless it was already announced."""
        alert_id = request.alert_id
        already_sent, message = await asyncio.to_thread(
            self._message, alert_id, request.window_days
        )
        if already_sent:
            return AlertDelivery(alert_id, "already_sent")
        if self._post_channel is None:
            return AlertDelivery(alert_id, "stored")
        await self._post_channel(self._settings.slack_leaders_channel, message.text, message.blocks)
        await asyncio.to_thread(self._mark_sent, alert_id)
        return AlertDelivery(alert_id, "sent")
