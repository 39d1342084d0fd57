"""Temperature chosen by target entropy: it reaches the target, and it undoes a sharper teacher."""

from __future__ import annotations

import numpy as np
import pytest

from classifiers.text.temperature import mean_entropy, temperature_for_entropy


def teacher_logits(rows: int = 400, classes: int = 12, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, 1.0, (rows, classes))
    logits[np.arange(rows), rng.integers(0, classes, rows)] += 6.0  # a confident top class
    return logits


def test_mean_entropy_of_uniform_and_one_hot_rows() -> None:
    assert mean_entropy(np.zeros((3, 8))) == pytest.approx(np.log(8))
    assert mean_entropy(np.array([[50.0, 0.0, 0.0]])) == pytest.approx(0.0, abs=1e-12)


def test_the_found_temperature_gives_the_target_entropy() -> None:
    logits = teacher_logits()
    for target in (0.3, 1.0, 2.0):
        found = temperature_for_entropy(logits, target)
        assert mean_entropy(logits, found) == pytest.approx(target, abs=1e-6)
    assert temperature_for_entropy(logits, 0.5) < temperature_for_entropy(logits, 1.5)


def test_a_teacher_three_times_as_sharp_needs_three_times_the_temperature() -> None:
    soft = teacher_logits()
    target = mean_entropy(soft, 2.0)
    assert temperature_for_entropy(3.0 * soft, target) == pytest.approx(6.0, rel=1e-4)


def test_unreachable_targets_are_refused() -> None:
    logits = teacher_logits(classes=12)
    with pytest.raises(ValueError, match="between 0 and log"):
        temperature_for_entropy(logits, np.log(12) + 0.1)
    with pytest.raises(ValueError, match="between 0 and log"):
        temperature_for_entropy(logits, 0.0)
    with pytest.raises(ValueError, match="out of reach"):
        temperature_for_entropy(np.zeros((5, 12)) + np.eye(12)[:5] * 1e-3, 0.5)
