"""The weekly digest's activities: the week's figures from the store, and the one message.

Figures reuse the dashboard's SQL aggregates, so Slack and the Customer Room agree. With Slack
configured the message goes to settings.slack_leaders_channel through the Slack transport;
without it the message is stored in the outbox as data_dir/outbox/digest-<end day>.json.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from store.models import Category, RescueCase, SpikeAlert
from web.queries.assets import assets_report
from web.queries.periods import Filters, Period, day_start
from winback.money import money
from winback.settings import Settings
from workflows.digest import (
    ACTIVITY_FIGURES,
    ACTIVITY_POST,
    DigestDelivery,
    DigestFigures,
    DigestRequest,
)

PostChannel = Callable[[str, str, list[dict[str, Any]]], Awaitable[object]]
TOP_REASONS = 3
TOP_SPIKES = 3


def week_figures(session: Session, end: date, days: int) -> DigestFigures:
    start = end - timedelta(days=days - 1)
    week = Period(f"{start}..{end}", start, end + timedelta(days=1))
    report = assets_report(session, [week], Filters())
    flow = report.flows[0]
    lo, hi = day_start(week.start), day_start(week.end)
    outcomes: dict[str, int] = dict(
        session.execute(  # type: ignore[arg-type]
            select(RescueCase.status, func.count())
            .where(RescueCase.closed_at >= lo, RescueCase.closed_at < hi)
            .group_by(RescueCase.status)
        ).all()
    )
    saved = session.scalar(
        select(func.coalesce(func.sum(RescueCase.value_saved), 0.0)).where(
            RescueCase.closed_at >= lo, RescueCase.closed_at < hi, RescueCase.status == "rescued"
        )
    )
    open_cases = session.scalar(select(func.count()).where(RescueCase.status == "open"))
    names = {str(i): str(n) for i, n in session.execute(select(Category.id, Category.name))}
    spikes = session.scalars(
        select(SpikeAlert)
        .where(SpikeAlert.window_end >= start, SpikeAlert.window_end <= end)
        .order_by(SpikeAlert.score.desc(), SpikeAlert.id)
        .limit(TOP_SPIKES)
    )
    return DigestFigures(
        start=start.isoformat(),
        end=end.isoformat(),
        new_count=flow.new_count,
        new_value=flow.new_value,
        lost_count=flow.lost_count,
        lost_value=flow.lost_value,
        top_reasons=[f"{r.label} ({r.count})" for r in report.reasons[:TOP_REASONS]],
        outcomes={str(k): int(v) for k, v in outcomes.items()},
        value_saved=float(saved or 0),
        open_cases=int(open_cases or 0),
        spikes=[
            f"{names.get(s.category_id, s.category_id)}: {s.observed} vs {s.expected:.1f} expected"
            for s in spikes
        ],
    )


def digest_message(f: DigestFigures, dashboard_url: str) -> tuple[str, list[dict[str, Any]]]:
    """One Slack message: new vs lost, why, rescue outcomes, spikes, and the dashboard link."""
    net = f.new_count - f.lost_count
    growth = (
        f"*New* {f.new_count} ({money(f.new_value)}) · *Lost* {f.lost_count} "
        f"({money(f.lost_value)}) · *Net* {net:+d} ({money(f.new_value - f.lost_value)})"
    )
    why = "*Top why:* " + ("; ".join(f.top_reasons) or "no coded reasons this week")
    rescues = (
        f"*Rescues closed:* {f.outcomes.get('rescued', 0)} rescued, "
        f"{f.outcomes.get('lost', 0)} lost, {f.outcomes.get('no_contact', 0)} no contact"
        f" · {money(f.value_saved)} saved · {f.open_cases} still open"
    )
    spikes = "*Spikes:* " + ("; ".join(f.spikes) or "none")
    text = f"Customer Room week {f.start} to {f.end}: new {f.new_count}, lost {f.lost_count}."
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": f"Customer Room: week to {f.end}"},
        },
        *(
            {"type": "section", "text": {"type": "mrkdwn", "text": line}}
            for line in (growth, why, rescues, spikes)
        ),
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f"<{dashboard_url}|Open the dashboard>"}],
        },
    ]
    return f"{text} {dashboard_url}", blocks


class DigestActivities:
    """Built once per worker with the store, settings and (when Slack is on) a channel poster."""

    def __init__(
        self, sessions: sessionmaker[Session], settings: Settings, post_channel: PostChannel | None
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._post_channel = post_channel

    @activity.defn(name=ACTIVITY_FIGURES)
    def figures(self, request: DigestRequest) -> DigestFigures:
        with self._sessions() as session:
            return week_figures(session, date.fromisoformat(request.as_of), request.days)

    @activity.defn(name=ACTIVITY_POST)
    async def post(self, figures: DigestFigures) -> DigestDelivery:
        text, blocks = digest_message(figures, self._settings.public_url.rstrip("/") + "/")
        channel = self._settings.slack_leaders_channel
        if self._post_channel is not None:
            await self._post_channel(channel, text, blocks)
            return DigestDelivery("sent", channel)
        path = self._settings.data_dir / "outbox" / f"digest-{figures.end}.json"
        await asyncio.to_thread(
            _write_json, path, {"channel": channel, "text": text, "blocks": blocks}
        )
        return DigestDelivery("stored", str(path))


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2), encoding="utf-8")


@dataclass(frozen=True)
class StoredDigest:
    """A digest read back from the outbox: the header and section lines of the Slack message
    (Slack mrkdwn), or, for a file that cannot be shown, why."""

    file: str
    title: str = ""
    lines: tuple[str, ...] = ()
    problem: str = ""


def stored_digests(outbox: Path, limit: int = 4) -> list[StoredDigest]:
    """The newest digest files in `outbox` (by the day in their name), newest first."""
    paths = sorted(outbox.glob("digest-*.json"), key=lambda p: p.name, reverse=True)
    return [read_stored_digest(path) for path in paths[:limit]]


def read_stored_digest(path: Path) -> StoredDigest:
    """One outbox file as `post` wrote it; a broken or partial file gets a `problem`."""
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return StoredDigest(path.name, problem=f"unreadable: {exc}")
    blocks = payload.get("blocks") if isinstance(payload, dict) else None
    if not isinstance(blocks, list):
        return StoredDigest(path.name, problem="unreadable: no list of message blocks")
    texts: dict[str, list[str]] = {"header": [], "section": []}
    for block in blocks:
        text = block.get("text") if isinstance(block, dict) else None
        words = text.get("text") if isinstance(text, dict) else None
        if isinstance(words, str) and block.get("type") in texts:
            texts[block["type"]].append(words)
    if not texts["header"] or not texts["section"]:
        return StoredDigest(path.name, problem="unreadable: the header or the figures are missing")
    return StoredDigest(path.name, texts["header"][0], tuple(texts["section"]))


def digest_activities(settings: Settings, sessions: sessionmaker[Session]) -> list[Any]:
    """The digest's activities for the worker; Slack's transport when a bot token is set."""
    poster: PostChannel | None = None
    if settings.slack_enabled():
        from activities.slack_transport import SlackTransport

        poster = SlackTransport(settings).post_channel  # type: ignore[assignment]
    digest = DigestActivities(sessions, settings, poster)
    return [digest.figures, digest.post]
