"""Customer rows: who they are, what they are worth, their contract and status.

Columns beyond the known ones are kept in `attributes` as numbers or text, so a CRM export
can be loaded as it is and its extra fields used as model features later.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from store.ingest import fields as f
from store.ingest.errors import FieldError
from store.ingest.schemas.base import (
    FieldReader,
    IngestOptions,
    KindSchema,
    NoCrossRowChecks,
    Record,
)
from store.models import CUSTOMER_STATUSES, Customer

_C = Customer.__table__.c
MAX_ATTRIBUTE_NAME = 64
MAX_ATTRIBUTE_TEXT = 1000
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_INT = re.compile(r"^[+-]?\d{1,18}$")

DEFAULTS: Mapping[str, object] = {
    "segment": "default",
    "owner": None,
    "team": None,
    "value_per_year": 0.0,
    "currency": "USD",
    "start_date": None,
    "renewal_date": None,
    "has_contract": False,
    "status": "active",
    "status_changed_on": None,
    "attributes": {},
}


def currency(name: str, value: object) -> str:
    code = str(value).strip().upper()
    if not _CURRENCY.match(code):
        raise FieldError(name, f"{value!r} is not a 3-letter ISO currency code like USD")
    return code


def attribute_value(name: str, value: object) -> object:
    """A number or text, typed: CSV '12' becomes 12 and '3.5' becomes 3.5."""
    if isinstance(value, bool | int | float):
        return value
    if not isinstance(value, str):
        raise FieldError(name, f"extra columns hold numbers or text, got {value!r}")
    cleaned = value.strip()
    if len(cleaned) > MAX_ATTRIBUTE_TEXT:
        raise FieldError(name, f"is {len(cleaned)} characters long; at most {MAX_ATTRIBUTE_TEXT}")
    if _INT.match(cleaned):
        return int(cleaned)
    try:
        number = float(cleaned)
    except ValueError:
        return cleaned
    return number if number == number and abs(number) != float("inf") else cleaned


class CustomerRows(NoCrossRowChecks):
    def __init__(self, session: Session, options: IngestOptions) -> None:
        _, self.latest_day = f.latest_allowed(options.now)

    def validate(self, values: Mapping[str, object], row: int, line: int | None) -> Record:
        r = FieldReader(values)
        record: Record = {
            "external_id": r.get(
                "external_id", f.text, f.column_length(_C.external_id), required=True
            ),
            "name": r.get("name", f.text, f.column_length(_C.name), required=True),
        }
        for name in ("segment", "owner", "team"):
            if name in values:
                record[name] = r.get(
                    name, f.text, f.column_length(_C[name]), default=DEFAULTS[name]
                )
        readers: dict[str, tuple[Any, ...]] = {
            "value_per_year": (f.number,),
            "currency": (currency,),
            "start_date": (f.day, self.latest_day),
            "renewal_date": (f.day,),
            "has_contract": (f.flag,),
            "status": (f.choice, CUSTOMER_STATUSES),
            "status_changed_on": (f.day, self.latest_day),
        }
        for name, (parse, *args) in readers.items():
            if name in values:
                record[name] = r.get(name, parse, *args, default=DEFAULTS[name])
        extras = {k: v for k, v in values.items() if k not in record and k not in readers}
        if extras:
            record["attributes"] = self._attributes(r, extras)
        r.done()
        return record

    @staticmethod
    def _attributes(r: FieldReader, extras: Mapping[str, object]) -> dict[str, object]:
        attributes: dict[str, object] = {}
        for name in extras:
            if len(name) > MAX_ATTRIBUTE_NAME:
                r.fail(name[:40], f"extra column name longer than {MAX_ATTRIBUTE_NAME} characters")
                continue
            value = r.get(name, attribute_value)
            if value is not None:
                attributes[name] = value
        return attributes


CUSTOMERS = KindSchema(
    kind="customers",
    table=Customer.__table__,  # type: ignore[arg-type]
    key="external_id",
    key_field="external_id",
    required=("external_id", "name"),
    optional=tuple(name for name in DEFAULTS if name != "attributes"),
    defaults=DEFAULTS,
    make_validator=CustomerRows,
    extra_columns_to="attributes",
    merge_json=("attributes",),
)
