"""Reporting periods (week, month, quarter) and the filters every dashboard query shares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

PERIOD_KINDS = ("week", "month", "quarter")
PERIODS_SHOWN = {"week": 8, "month": 6, "quarter": 4}


@dataclass(frozen=True)
class Period:
    label: str
    start: date
    end: date  # exclusive


@dataclass(frozen=True)
class Filters:
    """Segment and team filters from the query string; empty means all."""

    segment: str | None = None
    team: str | None = None


def period_start(kind: str, day: date) -> date:
    if kind == "week":
        return day - timedelta(days=day.weekday())
    if kind == "month":
        return day.replace(day=1)
    if kind == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    raise ValueError(f"period must be one of {', '.join(PERIOD_KINDS)}, not {kind!r}")


def _next_start(kind: str, start: date) -> date:
    if kind == "week":
        return start + timedelta(days=7)
    months = 1 if kind == "month" else 3
    month = start.month - 1 + months
    return date(start.year + month // 12, month % 12 + 1, 1)


def _label(kind: str, start: date) -> str:
    if kind == "week":
        return f"wk {start.isoformat()}"
    if kind == "month":
        return start.strftime("%Y-%m")
    return f"{start.year} Q{(start.month - 1) // 3 + 1}"


def recent_periods(kind: str, today: date, count: int | None = None) -> list[Period]:
    """The last `count` periods of `kind`, oldest first, the current (partial) one last."""
    count = count or PERIODS_SHOWN[kind]
    starts = [period_start(kind, today)]
    for _ in range(count - 1):
        previous = period_start(kind, starts[-1] - timedelta(days=1))
        starts.append(previous)
    starts.reverse()
    return [Period(_label(kind, s), s, _next_start(kind, s)) for s in starts]


def as_date(value: object) -> date:
    """A GROUP BY day value as a date: SQLite returns text, PostgreSQL a date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)
