"""Activity events: the purchases, logins and cancellations risk is read from.

An event's natural key is the source's event id when there is one, else a digest of what
it says, so loading the same export twice adds nothing.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from store.activity_refresh import catch_up
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
    """Validates events; a fast path takes canonical CSV rows, the careful one all the rest.

    Event files run to millions of rows, so the common row (exact ids, ISO times, plain
    numbers) is checked in one go; anything unusual, including every invalid row, goes
    through `checked`, which applies the same rules field by field and reports each problem.
    """

    def __init__(self, session: Session, options: IngestOptions) -> None:
        self.customer_ids = customer_ids(session)
        self.latest, _ = f.latest_allowed(options.now)

    def validate(self, values: Mapping[str, object], row: int, line: int | None) -> Record:
        try:
            return self.fast(values)
        except (KeyError, ValueError, TypeError, AttributeError):
            return self.checked(values)

    def fast(self, values: Mapping[str, object]) -> Record:
        """Canonical rows only: raises (anything) on whatever it does not take as it is."""
        external_id = values["customer_external_id"]
        customer_id = self.customer_ids[external_id]  # type: ignore[index]
        occurred_at = datetime.fromisoformat(values["occurred_at"])  # type: ignore[arg-type]
        if occurred_at.tzinfo is None:
            occurred_at = occurred_at.replace(tzinfo=UTC)
        elif occurred_at.utcoffset():
            occurred_at = occurred_at.astimezone(UTC)
        kind = values["kind"]
        if occurred_at > self.latest or kind not in _KINDS:
            raise ValueError
        quantity = _plain_amount(values.get("quantity"))
        amount = _plain_amount(values.get("amount"))
        event_id = values.get("event_id")
        if event_id is None or event_id == "":
            event_id = None
        elif (
            event_id.__class__ is not str
            or len(event_id) > KEY_LENGTH  # type: ignore[arg-type]
            or event_id != event_id.strip()  # type: ignore[attr-defined]
        ):
            raise ValueError
        key = event_id or event_digest(external_id, occurred_at, kind, quantity, amount)  # type: ignore[arg-type]
        return _record(key, customer_id, occurred_at, kind, quantity, amount)  # type: ignore[arg-type]

    def checked(self, values: Mapping[str, object]) -> Record:
        """Every field parsed on its own; raises RowInvalid listing each problem."""
        r = FieldReader(values)
        customer_id = known_customer(r, "customer_external_id", self.customer_ids, required=True)
        occurred_at = r.get("occurred_at", f.moment, self.latest, required=True)
        kind = r.get("kind", f.choice, EVENT_KINDS, required=True)
        quantity = r.get("quantity", f.number, default=0.0)
        amount = r.get("amount", f.number, default=0.0)
        event_id = r.get("event_id", f.text, KEY_LENGTH)
        r.done()
        assert customer_id is not None  # a missing or unknown customer is a problem above
        key = event_id or event_digest(
            str(values["customer_external_id"]).strip(), occurred_at, kind, quantity, amount
        )
        return _record(key, customer_id, occurred_at, kind, quantity, amount)


_KINDS = frozenset(EVENT_KINDS)


def _plain_amount(value: object) -> float:
    """A non-negative finite number from a plain string or JSON number; raises otherwise."""
    if value is None or value == "":
        return 0.0
    if value.__class__ not in (str, int, float):
        raise TypeError
    number = float(value)  # type: ignore[arg-type]
    if not 0.0 <= number < math.inf:  # NaN fails too
        raise ValueError
    return number


def _record(
    key: str, customer_id: int, occurred_at: datetime, kind: str, quantity: float, amount: float
) -> Record:
    return {
        "event_key": key,
        "customer_id": customer_id,
        "occurred_at": occurred_at,
        "kind": kind,
        "quantity": quantity,
        "amount": amount,
    }


def refresh_activity_rollup(
    connection: Connection, records: list[Record], replaced: list[Record]
) -> None:
    """The customers whose events were written (or moved away from) get their rollup row
    recomputed, with anything written around ingestion since the last refresh."""
    touched = {int(r["customer_id"]) for r in records}  # type: ignore[call-overload]
    touched |= {int(r["customer_id"]) for r in replaced if "customer_id" in r}  # type: ignore[call-overload]
    catch_up(connection, also=touched)


EVENTS = KindSchema(
    kind="events",
    table=ActivityEvent.__table__,  # type: ignore[arg-type]
    key="event_key",
    key_field="event_id",
    required=("customer_external_id", "occurred_at", "kind"),
    optional=("quantity", "amount", "event_id"),
    defaults={},
    make_validator=EventRows,
    after_write=refresh_activity_rollup,
)
