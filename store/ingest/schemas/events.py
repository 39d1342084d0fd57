"""Activity events: the purchases, logins and cancellations risk is read from.

An event's natural key is the source's event id when there is one, else a digest of what
it says, so loading the same export twice adds nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from store.ingest import fields as f
from store.ingest.schemas.base import (
    FieldReader,
    IngestOptions,
    KindSchema,
    NoCrossRowChecks,
    Record,
    customer_ids,
    known_customer,
)
from store.models import EVENT_KINDS, ActivityEvent

_C = ActivityEvent.__table__.c
KEY_LENGTH = f.column_length(_C.event_key)


def event_digest(
    customer_external_id: str, occurred_at: datetime, kind: str, quantity: float, amount: float
) -> str:
    """The key of an event without a source id: same facts, same key, on any database."""
    facts = f"{customer_external_id}|{occurred_at.isoformat()}|{kind}|{quantity!r}|{amount!r}"
    return hashlib.sha256(facts.encode("utf-8")).hexdigest()


class EventRows(NoCrossRowChecks):
    def __init__(self, session: Session, options: IngestOptions) -> None:
        self.customer_ids = customer_ids(session)
        self.latest, _ = f.latest_allowed(options.now)

    def validate(self, values: Mapping[str, object], row: int, line: int | None) -> Record:
        r = FieldReader(values)
        customer_id = known_customer(r, "customer_external_id", self.customer_ids, required=True)
        occurred_at = r.get("occurred_at", f.moment, self.latest, required=True)
        kind = r.get("kind", f.choice, EVENT_KINDS, required=True)
        quantity = r.get("quantity", f.number, default=0.0)
        amount = r.get("amount", f.number, default=0.0)
        event_id = r.get("event_id", f.text, KEY_LENGTH)
        r.done()
        key = event_id or event_digest(
            str(values["customer_external_id"]).strip(), occurred_at, kind, quantity, amount
        )
        return {
            "event_key": key,
            "customer_id": customer_id,
            "occurred_at": occurred_at,
            "kind": kind,
            "quantity": quantity,
            "amount": amount,
        }


EVENTS = KindSchema(
    kind="events",
    table=ActivityEvent.__table__,  # type: ignore[arg-type]
    key="event_key",
    key_field="event_id",
    required=("customer_external_id", "occurred_at", "kind"),
    optional=("quantity", "amount", "event_id"),
    defaults={},
    make_validator=EventRows,
)
