"""Lapse detection for non-contract customers: silence measured against their own rhythm.

A customer's usual gap between active days is shrunk toward the segment norm when they have
few active days (an empirical-Bayes style average weighted by `prior_strength`), then the
silence so far is compared with it. BG/NBD (fitted on the activity log) adds P(alive) and the
expected purchases over the next `forecast_days`; since BG/NBD says P(alive)=1 for one-time
buyers, those are flagged on silence alone (`one_time_silent_days`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from classifiers.risk.bgnbd import BGNBDParams, expected_purchases, probability_alive
from classifiers.risk.rules import DetectionRules
from classifiers.risk.segments import segment_rule, spread

DAYS_PER_UNIT = 7.0  # BG/NBD is fitted in weeks, as in the paper


@dataclass(frozen=True)
class LapseContext:
    """What the whole scan shares: segment norms (days between active days) and BG/NBD."""

    segment_gap_days: dict[str, float]
    overall_gap_days: float | None
    bgnbd: BGNBDParams | None


def _per_segment(frame: pd.DataFrame, rules: DetectionRules, field: str) -> pd.Series:
    return segment_rule(frame, rules, lambda r: getattr(r.lapse, field))


def bgnbd_inputs(frame: pd.DataFrame, today: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, t_x, T in weeks for customers with at least one active day."""
    x = (frame["n_days"] - 1).clip(lower=0).to_numpy(float)
    t_x = ((frame["last_day"] - frame["first_day"]) / DAYS_PER_UNIT).to_numpy(float)
    T = ((today - frame["first_day"]) / DAYS_PER_UNIT).to_numpy(float)
    return x, t_x, np.maximum(T, t_x)


def detect_lapse(
    frame: pd.DataFrame, today: float, rules: DetectionRules, context: LapseContext
) -> pd.DataFrame:
    """Lapse columns for every row: usual gap, silence ratio, P(alive), expected, flag, p."""
    out = pd.DataFrame(index=frame.index)
    active = frame["n_days"] > 0
    fallback = context.overall_gap_days or np.nan
    norm = spread(frame["segment"], context.segment_gap_days).fillna(fallback)
    gaps = (frame["n_days"] - 1).clip(lower=0)
    own = frame["own_gap_days"].fillna(0.0)
    strength = _per_segment(frame, rules, "prior_strength")
    shrunk = (strength * norm + gaps * own) / (strength + gaps)
    trusted = frame["n_days"] >= _per_segment(frame, rules, "min_history_events")
    usual = np.where(trusted, frame["own_gap_days"], shrunk)
    out["usual_gap_days"] = np.maximum(usual, 1.0)
    out["silent_days"] = frame["silent_days"]
    out["silence_ratio"] = out["silent_days"] / out["usual_gap_days"]

    prior = _per_segment(frame, rules, "prior_alive")
    still = prior * np.exp(-out["silence_ratio"].fillna(0.0))
    p_alive_rhythm = still / (still + (1 - prior))
    out["p_alive"] = p_alive_rhythm.where(active, np.nan)
    out["expected_purchases"] = np.nan
    out["forecast_days"] = _per_segment(frame, rules, "forecast_days")
    if context.bgnbd is not None and active.any():
        rows = frame[active]
        x, t_x, T = bgnbd_inputs(rows, today)
        horizon = out.loc[active, "forecast_days"].to_numpy(float) / DAYS_PER_UNIT
        out.loc[active, "expected_purchases"] = expected_purchases(
            context.bgnbd, horizon, x, t_x, T
        )
        p_bg = probability_alive(context.bgnbd, x, t_x, T)
        # One-time buyers keep the rhythm estimate: BG/NBD calls them alive for ever.
        combined = np.where(
            x > 0, np.minimum(p_bg, out.loc[active, "p_alive"]), out.loc[active, "p_alive"]
        )
        out.loc[active, "p_alive"] = combined
    out["lapse_probability"] = (1.0 - out["p_alive"]).fillna(0.0)

    one_time = frame["n_days"] == 1
    long_silent = out["silent_days"] >= _per_segment(frame, rules, "min_silent_days")
    ratio_hit = out["silence_ratio"] >= _per_segment(frame, rules, "silence_ratio")
    one_time_hit = out["silent_days"] >= _per_segment(frame, rules, "one_time_silent_days")
    eligible = active & ~frame["has_contract"].astype(bool)
    out["lapsed"] = eligible & long_silent & np.where(one_time, one_time_hit, ratio_hit)
    out["one_time"] = one_time
    return out
