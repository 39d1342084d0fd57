"""Plain-words reasons for a flag, built from the same numbers that scored it.

Features that move together (recency, frequency, rhythm; usage volume and trend) belong to
one reason group, so a flag says each thing once and never "silent 40 days" next to
"active last week". Each group has one describer; a describer returns None when the numbers
do not point toward risk, so a reason never contradicts the score.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Engineered feature -> reason group; attribute columns are their own group.
FEATURE_GROUPS = {
    "silent_days": "activity",
    "n_days": "activity",
    "usual_gap_days": "activity",
    "own_gap_days": "activity",
    "events_recent": "activity",
    "events_prior": "activity",
    "usage_change_pct": "usage",
    "usage_recent": "usage",
    "usage_prior": "usage",
    "complaint_n": "complaints",
    "payment_failed_n": "payments",
    "tenure_days": "tenure",
    "downgrade_n": "contract",
    "cancellation_n": "contract",
    "non_renewal_n": "contract",
}


@dataclass(frozen=True)
class Reason:
    group: str
    text: str
    weight: float  # how much this group moved the score; reasons are sorted by it


def times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def plural(n: float, word: str) -> str:
    n = int(round(n))
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def describe_activity(usual_gap: float, silent: float, one_time: bool) -> str | None:
    if math.isnan(silent) or math.isnan(usual_gap):
        return None  # no activity on record: nothing to say about silence
    if one_time:
        return f"bought once; silent {plural(silent, 'day')}"
    if silent <= usual_gap:
        return None
    return f"usually active every {plural(usual_gap, 'day')}; silent {plural(silent, 'day')}"


def describe_forecast(expected: float, days: float) -> str:
    return f"expected purchases in the next {plural(days, 'day')}: {expected:.2f}"


def describe_usage(change_pct: float, window_days: int) -> str | None:
    if not change_pct < 0:  # also rejects NaN (no earlier usage to compare with)
        return None
    weeks = window_days / 7
    span = plural(weeks, "week") if weeks.is_integer() else plural(window_days, "day")
    return f"usage down {abs(change_pct):.0f}% over {span}"


def describe_complaints(count: int, categories: dict[str, int], window_days: int) -> str | None:
    if count <= 0:
        return None
    period = "this month" if 28 <= window_days <= 31 else f"in {plural(window_days, 'day')}"
    if len(categories) == 1:
        (name,) = categories
        return f"{plural(count, f'{name} complaint')} {period}"
    detail = ", ".join(f"{n} {c}" for c, n in sorted(categories.items(), key=lambda i: -i[1]))
    return f"{plural(count, 'complaint')} {period}" + (f" ({detail})" if detail else "")


def describe_payments(failures: int, window_days: int) -> str | None:
    if failures <= 0:
        return None
    return f"payment failed {times(failures)} in {plural(window_days, 'day')}"


def describe_contract(
    status: str, cancellations: int, non_renewals: int, downgrades: int
) -> str | None:
    if status == "cancelled" or cancellations:
        return "cancelled the contract"
    if status == "non_renewed" or non_renewals:
        return "did not renew the contract"
    if status == "lost":
        return "marked lost"
    if status == "downgraded" or downgrades:
        return "downgraded the plan"
    return None


def describe_tenure(tenure_days: float) -> str | None:
    if math.isnan(tenure_days):
        return None
    return f"customer for {plural(tenure_days, 'day')}"


def describe_attribute(name: str, value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # "tenure: 12", not "tenure: 12.0"
    return f"{name}: {value}"


def top_reasons(reasons: list[Reason], limit: int = 4) -> list[str]:
    """One text per group (the weightiest), strongest first."""
    best: dict[str, Reason] = {}
    for reason in reasons:
        if reason.group not in best or reason.weight > best[reason.group].weight:
            best[reason.group] = reason
    ranked = sorted(best.values(), key=lambda r: -r.weight)
    return [r.text for r in ranked[:limit]]
