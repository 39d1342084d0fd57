"""Write the demo's customers, events, team and feedback into the store, once.

Rows whose natural key (external_id, event_key, handle) is already stored are skipped, so a
second `winback demo` writes nothing. The session is the caller's; nothing here commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from classifiers.redaction import redact_text
from store.models import ActivityEvent, Customer, FeedbackItem, TeamMember
from winback.demo.customers import CustomerBatch, cdnow_customers, team_rows, telco_customers
from winback.demo.feedback import demo_feedback
from winback.demo.sources import Row

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DemoSize:
    """How much of the shipped data the demo loads (None: all of it)."""

    cdnow_customers: int | None = None
    telco_customers: int | None = None
    feedback_scale: int = 1


@dataclass(frozen=True)
class LoadCounts:
    """Rows newly written by one load: all zero when the demo data was already there."""

    team_members: int
    customers: int
    events: int
    feedback: int


def _stored(session: Session, key: InstrumentedAttribute[str], wanted: Iterable[str]) -> set[str]:
    wanted = list(wanted)
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found.update(session.scalars(select(key).where(key.in_(chunk))))
    return found


def _insert_new(session: Session, model: type, key: str, rows: list[Row]) -> int:
    stored = _stored(session, getattr(model, key), (str(row[key]) for row in rows))
    new = [row for row in rows if row[key] not in stored]
    if new:
        session.execute(insert(model), new)
    return len(new)


def load_customers(session: Session, batch: CustomerBatch) -> tuple[int, int]:
    """Insert new customers, then new events linked to their customer's row id."""
    added = _insert_new(session, Customer, "external_id", batch.customers)
    external_ids = {external_id for external_id, _ in batch.events}
    ids: dict[str, int] = {}
    for start in range(0, len(external_ids), 500):
        chunk = sorted(external_ids)[start : start + 500]
        query = select(Customer.external_id, Customer.id).where(Customer.external_id.in_(chunk))
        ids.update((external_id, id_) for external_id, id_ in session.execute(query))
    events = [{**event, "customer_id": ids[external_id]} for external_id, event in batch.events]
    return added, _insert_new(session, ActivityEvent, "event_key", events)


def load_feedback(session: Session, items: list[Row], keep_original_text: bool) -> int:
    """Insert new feedback items, redacted as every stored text is."""
    stored = _stored(session, FeedbackItem.external_id, (str(i["external_id"]) for i in items))
    new = []
    for item in items:
        if item["external_id"] in stored:
            continue
        original = str(item["text"])
        new.append({**item, "text": redact_text(original),
                    "original_text": original if keep_original_text else None})  # fmt: skip
    if new:
        session.execute(insert(FeedbackItem), new)
    return len(new)


def load_demo_data(
    session: Session,
    today: date,
    size: DemoSize = DemoSize(),
    keep_original_text: bool = False,
    progress: Progress = lambda _: None,
) -> LoadCounts:
    """Everything the demo needs in the store; dates are relative to `today`."""
    team = _insert_new(session, TeamMember, "handle", team_rows())
    progress(f"account team: {team} new (synthetic people)")
    customers = events = 0
    for name, batch in (
        ("CDNOW buyers", cdnow_customers(today, size.cdnow_customers)),
        ("Telco subscribers", telco_customers(today, size.telco_customers)),
    ):
        added, added_events = load_customers(session, batch)
        customers, events = customers + added, events + added_events
        progress(f"{name}: {added} new customers, {added_events} new events")
    feedback = load_feedback(session, demo_feedback(today, size.feedback_scale), keep_original_text)
    progress(f"feedback (CFPB, BANKING77, Bitext; spike injected): {feedback} new items")
    return LoadCounts(team, customers, events, feedback)
