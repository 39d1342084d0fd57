"""Money reads the same on the dashboard and in Slack, with the sign before the symbol."""

from __future__ import annotations

from winback.money import money


def test_money_puts_the_sign_before_the_dollar_and_rounds_to_whole_dollars() -> None:
    assert money(1234.4) == "$1,234"
    assert money(-531246.2) == "-$531,246"
    assert money(-0.4) == "$0"  # rounds to zero: no "-$0"
    assert money(0) == "$0"
    assert money(None) == "-"
