"""Parse one input value into a typed field, or raise FieldError saying what is wrong.

Values come as CSV strings or JSON scalars; blank strings count as missing. Every message
names the offending value so a person can find and fix it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String

from store.ingest.errors import FieldError

FUTURE_TOLERANCE = timedelta(days=1)  # clock skew between a source system and us
MAX_TEXT_BYTES = 100 * 1024


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def column_length(column: ColumnElement[Any]) -> int:
    """The VARCHAR length a model declares, so limits live in one place: the model."""
    assert isinstance(column.type, String) and column.type.length, column
    return int(column.type.length)


def _show(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "...'"


def required(field: str, value: object) -> object:
    if is_blank(value):
        raise FieldError(field, "is required but missing or empty")
    return value


def text(field: str, value: object, max_chars: int) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FieldError(field, f"expected text, got {_show(value)}")
    result = str(value).strip()
    if len(result) > max_chars:
        raise FieldError(field, f"is {len(result)} characters long; at most {max_chars} allowed")
    return result


def long_text(field: str, value: object, max_bytes: int = MAX_TEXT_BYTES) -> str:
    if not isinstance(value, str):
        raise FieldError(field, f"expected text, got {_show(value)}")
    size = len(value.encode("utf-8"))
    if size > max_bytes:
        raise FieldError(
            field, f"is {size} bytes; at most {max_bytes} ({max_bytes // 1024} kB) allowed"
        )
    return value.strip()


def choice(field: str, value: object, allowed: Sequence[str]) -> str:
    result = str(value).strip().lower() if isinstance(value, str) else value
    if result not in allowed:
        raise FieldError(field, f"{_show(value)} is not one of: {', '.join(allowed)}")
    return str(result)


def number(field: str, value: object, minimum: float | None = 0.0) -> float:
    """A finite number (at least `minimum`); CSV text or a JSON number."""
    if isinstance(value, bool):
        raise FieldError(field, f"{_show(value)} is not a number")
    if isinstance(value, int | float):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value)
        except ValueError:
            raise FieldError(field, f"{_show(value)} is not a number") from None
    else:
        raise FieldError(field, f"{_show(value)} is not a number")
    if not math.isfinite(result):
        raise FieldError(field, f"{_show(value)} is not a finite number")
    if minimum is not None and result < minimum:
        raise FieldError(field, f"must be {minimum:g} or more, got {result:g}")
    return result


def whole_number(field: str, value: object, minimum: int = 0) -> int:
    result = number(field, value, minimum)
    if not result.is_integer():
        raise FieldError(field, f"{_show(value)} is not a whole number")
    return int(result)


_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}


def flag(field: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise FieldError(field, f"{_show(value)} is not a yes/no value (true/false, yes/no, 1/0)")


def day(field: str, value: object, latest: date | None = None) -> date:
    """An ISO date (YYYY-MM-DD), no later than `latest` when given."""
    if not isinstance(value, str):
        raise FieldError(field, f"{_show(value)} is not a date; use YYYY-MM-DD")
    try:
        result = date.fromisoformat(value.strip())
    except ValueError:
        raise FieldError(field, f"{_show(value)} is not a date; use YYYY-MM-DD") from None
    if latest is not None and result > latest:
        raise FieldError(
            field, f"{result.isoformat()} is in the future (after {latest.isoformat()})"
        )
    return result


def moment(field: str, value: object, latest: datetime) -> datetime:
    """An ISO 8601 time (a bare date means midnight; no offset means UTC), not after `latest`."""
    if not isinstance(value, str):
        raise FieldError(field, f"{_show(value)} is not a date-time; use ISO 8601")
    try:
        result = datetime.fromisoformat(value.strip())
    except ValueError:
        raise FieldError(
            field, f"{_show(value)} is not a date-time; use ISO 8601 like 2024-05-01T13:45:00Z"
        ) from None
    if result.tzinfo is None:
        result = result.replace(tzinfo=UTC)
    elif result.utcoffset() != timedelta(0):
        result = result.astimezone(UTC)
    if result > latest:
        raise FieldError(
            field, f"{value.strip()} is in the future (beyond {latest.isoformat()} allowed)"
        )
    return result


def latest_allowed(now: datetime) -> tuple[datetime, date]:
    """The latest time and date an input may carry, given the tolerance for clock skew."""
    limit = now + FUTURE_TOLERANCE
    return limit, limit.date()
