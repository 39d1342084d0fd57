"""Put the demo's team, customers, events and feedback into the store through ingestion.

The rows go through `store.ingest.ingest_records`, the same validation and natural-key
upsert as `winback ingest` and the API (feedback is redacted there), so a second
`winback demo` inserts nothing. The demo's "today" is fixed by the first load and read
back from the store afterwards, so synthetic dates do not move on later runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from store.ingest import IngestReport, ingest_records
from store.models import Customer
from winback.demo.customers import (
    CDNOW_END,
    DAYS_BEFORE_TODAY,
    CustomerBatch,
    cdnow_customers,
    team_rows,
    telco_customers,
)
from winback.demo.feedback import demo_feedback
from winback.demo.sources import Row, noon

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DemoSize:
    """How much of the shipped data the demo loads (None: all of it)."""

    cdnow_customers: int | None = None
    telco_customers: int | None = None
    feedback_scale: int = 1


@dataclass(frozen=True)
class LoadCounts:
    """Rows newly inserted by one load: all zero when the demo data was already there."""

    team_members: int
    customers: int
    events: int
    feedback: int
    updated: int = 0  # rows of any kind whose stored values changed


def demo_today(sessions: sessionmaker[Session], fallback: date) -> date:
    """The day the demo was first loaded for, or `fallback` on an empty store."""
    with sessions() as session:
        attributes = session.scalar(
            # A CDNOW buyer's stored date shift tells later runs the demo's day.
            select(Customer.attributes).where(Customer.external_id.like("cdnow-%")).limit(1)
        )
    shift = (attributes or {}).get("date_shift_days")
    if not isinstance(shift, int | float):
        return fallback
    return CDNOW_END + timedelta(days=int(shift) + DAYS_BEFORE_TODAY)


def _plain(value: object) -> object:
    """Dates as ISO text, as they arrive in a CSV or JSON body."""
    return value.isoformat() if isinstance(value, date | datetime) else value


def _customer_record(row: Row) -> dict[str, object]:
    attributes = row.get("attributes") or {}
    assert isinstance(attributes, dict)
    record = {k: _plain(v) for k, v in row.items() if k != "attributes" and v is not None}
    record.update({k: v for k, v in attributes.items() if v is not None})  # extras -> attributes
    return record


def _event_record(external_id: str, event: Row) -> dict[str, object]:
    record = {k: _plain(v) for k, v in event.items() if k != "event_key"}
    return {**record, "customer_external_id": external_id, "event_id": event["event_key"]}


class _Loader:
    def __init__(self, sessions: sessionmaker[Session], today: date, progress: Progress) -> None:
        self.sessions = sessions
        self.now = noon(today)  # ingestion refuses rows dated after its "now"
        self.progress = progress

    def ingest(self, kind: str, source: str, records: list[dict[str, object]]) -> IngestReport:
        if not records:
            return IngestReport(kind, source, 0, 0, 0, 0, 0.0)
        report = ingest_records(self.sessions, records, kind, source, now=self.now)
        self.progress(
            f"{source}: {report.rows} rows, {report.inserted} new, {report.updated} updated "
            f"({report.seconds:.1f}s)"
        )
        return report

    def customers(self, name: str, batch: CustomerBatch) -> tuple[IngestReport, IngestReport]:
        added = self.ingest("customers", name, [_customer_record(c) for c in batch.customers])
        events = [_event_record(external_id, event) for external_id, event in batch.events]
        return added, self.ingest("events", f"{name} events", events)


def load_demo_data(
    sessions: sessionmaker[Session],
    today: date,
    size: DemoSize = DemoSize(),
    progress: Progress = lambda _: None,
) -> LoadCounts:
    """Everything the demo needs in the store; dates are relative to the demo's first day."""
    today = demo_today(sessions, today)
    loader = _Loader(sessions, today, progress)
    team = loader.ingest("team", "account team (synthetic)", [dict(r) for r in team_rows()])
    cdnow = loader.customers("CDNOW buyers", cdnow_customers(today, size.cdnow_customers))
    telco = loader.customers("Telco subscribers", telco_customers(today, size.telco_customers))
    feedback = [
        {k: _plain(v) for k, v in item.items()}
        for item in demo_feedback(today, size.feedback_scale)
    ]
    added_feedback = loader.ingest("feedback", "feedback (CFPB, BANKING77, Bitext)", feedback)
    reports = [team, *cdnow, *telco, added_feedback]
    return LoadCounts(
        team_members=team.inserted,
        customers=cdnow[0].inserted + telco[0].inserted,
        events=cdnow[1].inserted + telco[1].inserted,
        feedback=added_feedback.inserted,
        updated=sum(report.updated for report in reports),
    )
