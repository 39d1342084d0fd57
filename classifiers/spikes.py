"""Spike detection on daily category counts: is the latest window unusually busy?

Pure functions, no I/O. Each category is compared with its own history: the expected count
for the window is the larger of an EWMA and the median of its past daily counts (the larger
of the two so one quiet week does not make an ordinary day look like a spike), floored so a
category that is usually silent still needs several items before it can alert. A one-sided
Poisson test gives the score; a minimum count keeps sparse categories quiet.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from scipy.stats import poisson


@dataclass(frozen=True)
class SpikeConfig:
    window_days: int = 1  # the latest window: the last 1 (or 7) days up to and including as_of
    history_days: int = 28  # days before the window that form the baseline
    min_history_days: int = 7  # categories younger than this are not judged yet
    min_count: int = 5  # fewer items in the window never alert
    alpha: float = 1e-3  # one-sided Poisson p-value needed to alert
    min_ratio: float = 1.5  # observed must also be this many times the expected count
    ewma_halflife_days: float = 7.0
    min_daily_rate: float = 0.2  # baseline floor, items per day

    def __post_init__(self) -> None:
        if self.window_days < 1 or self.history_days < 1:
            raise ValueError("window_days and history_days must be at least 1")
        if not 0 < self.alpha < 1:
            raise ValueError("alpha must be between 0 and 1")


@dataclass(frozen=True)
class Spike:
    category_id: str
    window_end: date
    observed: int
    expected: float
    score: float  # -log10 of the Poisson p-value: 3 means p = 0.001


def ewma(values: list[float], halflife: float) -> float:
    """Exponentially weighted mean, the last value weighted most."""
    if not values:
        return 0.0
    decay = 0.5 ** (1.0 / halflife)
    weight_sum = total = 0.0
    weight = 1.0
    for value in reversed(values):
        total += weight * value
        weight_sum += weight
        weight *= decay
    return total / weight_sum


def baseline_daily_rate(history: list[int], config: SpikeConfig) -> float:
    """Expected items per day from a category's past daily counts (oldest first)."""
    if not history:
        return config.min_daily_rate
    floats = [float(v) for v in history]
    return max(
        ewma(floats, config.ewma_halflife_days),
        float(statistics.median(floats)),
        config.min_daily_rate,
    )


def poisson_score(observed: int, expected: float) -> float:
    """-log10 P(X >= observed) for X ~ Poisson(expected); large means surprising."""
    if observed <= 0:
        return 0.0
    p_value = float(poisson.sf(observed - 1, expected))
    if p_value <= 0.0:
        return 300.0
    return -math.log10(p_value)


def check_category(
    category_id: str,
    by_day: Mapping[date, int],
    as_of: date,
    config: SpikeConfig,
    data_since: date | None = None,
) -> Spike | None:
    """A Spike when the window ending at as_of is unusually busy for this category.

    data_since is the first day anything was counted (any category); days before it are
    unknown rather than zero. A category silent since then has a near-zero baseline.
    """
    window_start = as_of - timedelta(days=config.window_days - 1)
    history_start = window_start - timedelta(days=config.history_days)
    known_since = data_since or min(by_day, default=window_start)
    if known_since > window_start - timedelta(days=config.min_history_days):
        return None
    start = max(history_start, known_since)
    days = (window_start - start).days
    history = [by_day.get(start + timedelta(days=i), 0) for i in range(days)]
    window = range(config.window_days)
    observed = sum(by_day.get(window_start + timedelta(days=i), 0) for i in window)
    expected = baseline_daily_rate(history, config) * config.window_days
    if observed < config.min_count or observed < config.min_ratio * expected:
        return None
    score = poisson_score(observed, expected)
    if score < -math.log10(config.alpha):
        return None
    return Spike(category_id, as_of, observed, round(expected, 3), round(score, 3))


def detect_spikes(
    counts: Mapping[str, Mapping[date, int]],
    as_of: date,
    config: SpikeConfig | None = None,
    data_since: date | None = None,
) -> list[Spike]:
    """Spikes over every category's daily counts, strongest first.

    data_since defaults to the earliest day in `counts`.
    """
    config = config or SpikeConfig()
    if data_since is None:
        data_since = min((day for by_day in counts.values() for day in by_day), default=None)
    spikes = [
        spike
        for category_id, by_day in counts.items()
        if (spike := check_category(category_id, by_day, as_of, config, data_since)) is not None
    ]
    return sorted(spikes, key=lambda s: (-s.score, s.category_id))
