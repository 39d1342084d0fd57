"""The spike detector on synthetic daily counts: known spikes found, flat noise quiet."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from classifiers.spikes import Spike, SpikeConfig, baseline_daily_rate, detect_spikes, ewma

AS_OF = date(2026, 11, 20)


def series(counts: list[int], end: date = AS_OF) -> dict[date, int]:
    """Daily counts ending at `end` (last value is the `end` day); zero days left out."""
    start = end - timedelta(days=len(counts) - 1)
    return {start + timedelta(days=i): c for i, c in enumerate(counts) if c}


def poisson_series(rng: np.random.Generator, rate: float, days: int) -> list[int]:
    return [int(v) for v in rng.poisson(rate, size=days)]


def test_ewma_weights_recent_values_most() -> None:
    assert ewma([0, 0, 0, 10], halflife=1.0) > ewma([10, 0, 0, 0], halflife=1.0)
    assert ewma([4, 4, 4], halflife=3.0) == pytest.approx(4.0)


def test_known_one_day_spike_is_found_with_its_numbers() -> None:
    rng = np.random.default_rng(7)
    history = poisson_series(rng, 10.0, 28)
    counts = {"billing": series(history + [40])}
    spikes = detect_spikes(counts, AS_OF)
    assert len(spikes) == 1
    spike = spikes[0]
    assert isinstance(spike, Spike)
    assert (spike.category_id, spike.window_end, spike.observed) == ("billing", AS_OF, 40)
    assert 7.0 < spike.expected < 14.0
    assert spike.score > 6


def test_spike_in_one_category_leaves_the_others_alone() -> None:
    rng = np.random.default_rng(11)
    counts = {
        "delivery": series(poisson_series(rng, 20.0, 28) + [75]),
        "refund": series(poisson_series(rng, 20.0, 29)),
        "account": series(poisson_series(rng, 3.0, 29)),
    }
    assert [s.category_id for s in detect_spikes(counts, AS_OF)] == ["delivery"]


def test_seven_day_window_finds_a_sustained_rise_a_one_day_window_misses() -> None:
    history = [8, 12, 10, 9, 11, 10, 10] * 4
    raised = [17, 18, 16, 19, 17, 18, 17]  # +75% for a week, no single day extreme
    counts = {"shipping": series(history + raised)}
    weekly = SpikeConfig(window_days=7)
    assert [s.observed for s in detect_spikes(counts, AS_OF, weekly)] == [sum(raised)]
    assert detect_spikes(counts, AS_OF, SpikeConfig(window_days=1)) == []


def test_flat_poisson_noise_rarely_alerts() -> None:
    """False-alarm rate per category-window stays below 0.5% over 400 noisy series."""
    alerts = 0
    trials = 0
    for seed in range(100):
        rng = np.random.default_rng(seed)
        for rate in (0.5, 3.0, 10.0, 50.0):
            counts = {"c": series(poisson_series(rng, rate, 29))}
            alerts += len(detect_spikes(counts, AS_OF))
            trials += 1
    assert trials == 400
    assert alerts / trials < 0.005


def test_sparse_category_needs_the_minimum_count() -> None:
    quiet = [1] + [0] * 26 + [1, 0]
    assert detect_spikes({"newsletter": series(quiet + [4])}, AS_OF) == []
    found = detect_spikes({"newsletter": series(quiet + [6])}, AS_OF)
    assert [s.observed for s in found] == [6]
    strict = SpikeConfig(min_count=8)
    assert detect_spikes({"newsletter": series(quiet + [6])}, AS_OF, strict) == []


def test_new_category_is_judged_against_the_data_history_not_its_own() -> None:
    rng = np.random.default_rng(5)
    counts = {
        "old": series(poisson_series(rng, 10.0, 29)),
        "brand_new": {AS_OF: 12},  # never seen before today, while data goes back 28 days
    }
    assert [s.category_id for s in detect_spikes(counts, AS_OF)] == ["brand_new"]


def test_too_little_history_is_not_judged() -> None:
    assert detect_spikes({"c": series([2, 3, 2, 40])}, AS_OF) == []


def test_baseline_resists_one_quiet_week() -> None:
    history = [10] * 21 + [2] * 7
    assert baseline_daily_rate(history, SpikeConfig()) >= 10


def test_bad_config_is_refused() -> None:
    with pytest.raises(ValueError, match="window_days"):
        SpikeConfig(window_days=0)
    with pytest.raises(ValueError, match="alpha"):
        SpikeConfig(alpha=2.0)
