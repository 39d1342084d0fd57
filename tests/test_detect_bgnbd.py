"""BG/NBD: the paper's CDNOW parameters, its worked example, and recovery on simulated data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import approx_fprime

from classifiers.risk.bgnbd import (
    BGNBDParams,
    _negative_ll_and_gradient,
    expected_purchases,
    fit_bgnbd,
    probability_alive,
)

CDNOW = Path(__file__).resolve().parents[1] / "winback/sample_data/cdnow/CDNOW_sample.txt"
PAPER = BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426)


def cdnow_calibration() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, t_x, T in weeks over the paper's 39-week calibration period from 1997-01-01."""
    names = ["master_id", "sample_id", "date", "cds", "dollars"]
    log = pd.read_csv(CDNOW, sep=r"\s+", header=None, names=names, dtype={"date": str})
    log["date"] = pd.to_datetime(log["date"], format="%Y%m%d")
    end = pd.Timestamp("1997-09-30")
    days = log[log["date"] <= end].groupby("sample_id")["date"]
    first, last = days.min(), days.max()
    x = (days.nunique() - 1).to_numpy(float)
    return (
        x,
        ((last - first).dt.days / 7).to_numpy(float),
        ((end - first).dt.days / 7).to_numpy(float),
    )


def test_cdnow_fit_reproduces_the_paper_to_three_decimals() -> None:
    x, t_x, T = cdnow_calibration()
    assert len(x) == 2357
    fitted = fit_bgnbd(x, t_x, T)
    assert round(fitted.r, 3) == PAPER.r
    assert round(fitted.alpha, 3) == PAPER.alpha
    assert round(fitted.a, 3) == PAPER.a
    assert round(fitted.b, 3) == PAPER.b


def test_paper_worked_example_and_one_time_buyers() -> None:
    # Fader, Hardie & Lee (2005): x=2, t_x=30.43, T=38.86 expects 1.226 purchases in 39 weeks.
    expected = expected_purchases(PAPER, 39.0, [2, 0, 0], [30.43, 0, 0], [38.86, 38.86, 10.0])
    assert expected[0] == pytest.approx(1.226, abs=5e-4)
    # One-time buyers: P(alive) is 1 whatever the silence, but expected purchases fall with it.
    alive = probability_alive(PAPER, [0, 0], [0, 0], [10.0, 38.86])
    assert list(alive) == [1.0, 1.0]
    assert expected[1] < expected[2]


def test_fit_recovers_simulated_parameters() -> None:
    rng = np.random.default_rng(7)
    truth = BGNBDParams(r=0.5, alpha=5.0, a=0.8, b=2.5)
    n, horizon = 6000, 52.0
    rate = rng.gamma(truth.r, 1 / truth.alpha, n)
    p_drop = rng.beta(truth.a, truth.b, n)
    x, t_x = np.zeros(n), np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1 / rate[i])
            if t > horizon:
                break
            x[i], t_x[i] = x[i] + 1, t
            if rng.random() < p_drop[i]:
                break
    fitted = fit_bgnbd(x, t_x, np.full(n, horizon))
    assert fitted.r == pytest.approx(truth.r, rel=0.2)
    assert fitted.alpha == pytest.approx(truth.alpha, rel=0.3)
    assert fitted.a == pytest.approx(truth.a, rel=0.3)
    assert fitted.b == pytest.approx(truth.b, rel=0.4)


def test_degenerate_and_bad_input_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="t_x <= T"):
        fit_bgnbd([1] * 20, [5.0] * 20, [4.0] * 20)
    with pytest.raises(ValueError, match="degenerate"):
        fit_bgnbd([9] * 40, [81 / 7] * 40, [90 / 7] * 40)


def test_gradient_matches_finite_differences() -> None:
    x, t_x, T = cdnow_calibration()
    for point in ([0.2, 1.5, -0.2, 0.9], [-1.0, 2.0, 1.0, 3.0]):
        log_params = np.array(point)
        _, gradient = _negative_ll_and_gradient(log_params, x, t_x, T)
        numeric = approx_fprime(
            log_params, lambda p: _negative_ll_and_gradient(p, x, t_x, T)[0], 1e-6
        )
        assert gradient == pytest.approx(numeric, rel=1e-4, abs=1e-2)


def test_nobody_dropping_out_is_the_nbd_limit_not_an_error() -> None:
    # Poisson buyers with gamma rates who never drop out: b runs to its bound, the dropout
    # probability a/(a+b) to ~0, and the fit is kept (it is the NBD model).
    rng = np.random.default_rng(3)
    n, horizon = 4000, 52.0
    rate = rng.gamma(2.0, 1 / 4.0, n)
    first = rng.uniform(0, horizon / 2, n)
    x, t_x, T = np.zeros(n), np.zeros(n), horizon - first
    for i in range(n):
        times = np.cumsum(rng.exponential(1 / rate[i], 200))
        seen = times[times <= T[i]]
        x[i], t_x[i] = len(seen), (seen[-1] if len(seen) else 0.0)
    fitted = fit_bgnbd(x, t_x, T)
    assert fitted.a / (fitted.a + fitted.b) < 0.01
    assert fitted.r == pytest.approx(2.0, rel=0.2)
    assert fitted.alpha == pytest.approx(4.0, rel=0.2)
    assert probability_alive(fitted, x, t_x, T).min() > 0.5
