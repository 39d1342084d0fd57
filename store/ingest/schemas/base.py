"""What every record kind declares: its table, natural key, columns and row validator."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, Table, select
from sqlalchemy.orm import Session

from store.ingest.errors import FieldError
from store.models import Customer

Record = dict[str, object]
Parser = Callable[..., Any]


class RowInvalid(Exception):
    """Every field problem found in one row."""

    def __init__(self, problems: list[FieldError]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.reason}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class CrossRowProblem:
    """A problem only visible once the whole input is read (a reference to a later row)."""

    row: int
    line: int | None
    field: str
    reason: str


@dataclass(frozen=True)
class IngestOptions:
    """What a validator needs besides the store: the clock and the text policy."""

    now: datetime
    keep_original_text: bool = False
    redact: Callable[[str], str] | None = None


class RowValidator(Protocol):
    def validate(self, values: Mapping[str, object], row: int, line: int | None) -> Record: ...

    def finish(self) -> list[CrossRowProblem]: ...


@dataclass(frozen=True)
class KindSchema:
    """One importable kind. `defaults` fill what an input leaves out, on insert only."""

    kind: str
    table: Table
    key: str
    key_field: str  # the input column the key comes from (a digest stands in when blank)
    required: tuple[str, ...]
    optional: tuple[str, ...]
    defaults: Mapping[str, object]
    make_validator: Callable[[Session, IngestOptions], RowValidator]
    extra_columns_to: str | None = None  # where unknown columns go (customers: attributes)
    merge_json: tuple[str, ...] = field(default=())  # JSON fields merged into, not replaced
    # When a field changes, these columns are set too (feedback text: classify again).
    resets: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    # Run in the same transaction after the rows are written, with the records inserted or
    # changed and the old values of changed rows (events: refresh those customers' rollup).
    after_write: Callable[[Connection, list[Record], list[Record]], None] | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


class FieldReader:
    """Reads one row's fields, keeping every problem instead of stopping at the first."""

    __slots__ = ("values", "problems")

    def __init__(self, values: Mapping[str, object]) -> None:
        self.values = values
        self.problems: list[FieldError] = []

    def get(
        self, name: str, parse: Parser, *args: object, required: bool = False, default: Any = None
    ) -> Any:
        value = self.values.get(name)
        if value is None or (value.__class__ is str and not value.strip()):  # type: ignore[attr-defined]
            if required:
                self.problems.append(FieldError(name, "is required but missing or empty"))
            return default
        try:
            return parse(name, value, *args)
        except FieldError as problem:
            self.problems.append(problem)
            return default

    def fail(self, name: str, reason: str) -> None:
        self.problems.append(FieldError(name, reason))

    def done(self) -> None:
        if self.problems:
            raise RowInvalid(self.problems)


class NoCrossRowChecks:
    def finish(self) -> list[CrossRowProblem]:
        return []


def customer_ids(session: Session) -> dict[str, int]:
    """Every customer's external id -> id, in one query: rows resolve by dict lookup."""
    return dict(session.execute(select(Customer.external_id, Customer.id)).tuples().all())


def known_customer(
    reader: FieldReader, name: str, ids: Mapping[str, int], required: bool = False
) -> int | None:
    """The store id of the customer a row names, or a problem if the store has no such one."""
    external_id = reader.get(name, _plain_text, required=required)
    if external_id is None:
        return None
    found = ids.get(external_id)
    if found is None:
        reader.fail(
            name, f"unknown customer '{external_id}': not in the store (import customers first)"
        )
    return found


def _plain_text(name: str, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise FieldError(name, f"expected an id, got {value!r}")
    return str(value).strip()
