"""The convolution student's learning-rate schedule (pure arithmetic, no torch)."""

from __future__ import annotations

import pytest

from classifiers.text.student_cnn import learning_rate_factor


def test_decay_falls_linearly_from_one_to_zero_and_never_below() -> None:
    steps = 200
    assert learning_rate_factor(0, steps, decay=True) == 1.0
    assert learning_rate_factor(50, steps, decay=True) == pytest.approx(0.75)
    assert learning_rate_factor(100, steps, decay=True) == pytest.approx(0.5)
    assert learning_rate_factor(steps, steps, decay=True) == 0.0
    assert learning_rate_factor(steps + 5, steps, decay=True) == 0.0
    factors = [learning_rate_factor(step, steps, decay=True) for step in range(steps + 1)]
    assert all(a > b for a, b in zip(factors, factors[1:], strict=False))


def test_without_decay_the_rate_stays_constant() -> None:
    assert {learning_rate_factor(step, 10, decay=False) for step in range(15)} == {1.0}
