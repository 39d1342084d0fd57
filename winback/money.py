"""Money as leaders read it, the same on the dashboard and in Slack: "$1,234", "-$531,246"."""

from __future__ import annotations


def money(amount: float | None) -> str:
    """Whole dollars with thousands separators, the sign before the symbol; "-" for no value."""
    if amount is None:
        return "-"
    whole = round(amount)
    return f"-${-whole:,}" if whole < 0 else f"${whole:,}"
