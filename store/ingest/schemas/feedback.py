"""Feedback rows: complaints, posts, survey answers and tickets, redacted before storage."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping

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
from store.models import FEEDBACK_SOURCES, FeedbackItem

_C = FeedbackItem.__table__.c


def default_redactor() -> Callable[[str], str]:
    from classifiers.redaction import redact_text  # loads spaCy lazily: only for feedback

    return redact_text


class FeedbackRows(NoCrossRowChecks):
    def __init__(self, session: Session, options: IngestOptions) -> None:
        self.customer_ids = customer_ids(session)
        self.latest, _ = f.latest_allowed(options.now)
        self.keep_original = options.keep_original_text
        self.redact = options.redact or default_redactor()

    def validate(self, values: Mapping[str, object], row: int, line: int | None) -> Record:
        r = FieldReader(values)
        external_id = r.get("external_id", f.text, f.column_length(_C.external_id))
        source = r.get("source", f.choice, FEEDBACK_SOURCES, required=True)
        channel = r.get("channel", f.text, f.column_length(_C.channel))
        text = r.get("text", f.long_text, required=True)
        occurred_at = r.get("occurred_at", f.moment, self.latest, required=True)
        customer_id = known_customer(r, "customer_external_id", self.customer_ids)
        r.done()
        if not external_id:
            facts = f"{source}|{occurred_at.isoformat()}|{text}"
            external_id = "fb-" + hashlib.sha256(facts.encode("utf-8")).hexdigest()
        return {
            "external_id": external_id,
            "source": source,
            "channel": channel,
            "text": self.redact(text),
            "original_text": text if self.keep_original else None,
            "occurred_at": occurred_at,
            "customer_id": customer_id,
        }


FEEDBACK = KindSchema(
    kind="feedback",
    table=FeedbackItem.__table__,  # type: ignore[arg-type]
    key="external_id",
    key_field="external_id",
    required=("source", "text", "occurred_at"),
    optional=("external_id", "channel", "customer_external_id"),
    defaults={},
    make_validator=FeedbackRows,
    resets={"text": {"classified_at": None}},  # new words: the listening loop classifies again
)
