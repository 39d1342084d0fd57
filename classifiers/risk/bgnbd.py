"""BG/NBD (Fader, Hardie & Lee 2005): how many purchases a customer will make, and P(alive).

Fitted by maximum likelihood with numpy/scipy on per-customer summaries (x, t_x, T):
x repeat purchases, t_x the time of the last purchase and T the time observed, both
measured from the first purchase. BG/NBD gives P(alive)=1 to every one-time buyer (x=0),
so rank lapse risk by expected purchases, not by P(alive) alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize
from scipy.special import betaln, digamma, gammaln, hyp2f1
from threadpoolctl import threadpool_limits

FloatArray = NDArray[np.float64]
LOG_BOUND = 12.0  # parameters live in [e^-12, e^12]


@dataclass(frozen=True)
class BGNBDParams:
    r: float
    alpha: float
    a: float
    b: float


def _arrays(x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> tuple[FloatArray, ...]:
    xs, txs, Ts = (np.asarray(v, dtype=np.float64) for v in (x, t_x, T))
    if np.any(xs < 0) or np.any(txs < 0) or np.any(Ts < txs):
        raise ValueError("BG/NBD needs x >= 0 and 0 <= t_x <= T for every customer")
    return xs, txs, Ts


def _terms(
    params: BGNBDParams, xs: FloatArray, txs: FloatArray, Ts: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Equation 6 in three parts: what every customer shares, "still alive at T", and
    "dropped out after the last purchase" (-inf for one-time buyers)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    common = gammaln(r + xs) - gammaln(r) + r * np.log(alpha) + betaln(a, b + xs) - betaln(a, b)
    still_alive = -(r + xs) * np.log(alpha + Ts)
    repeat = xs > 0
    dropped = np.full_like(xs, -np.inf)
    dropped[repeat] = (
        betaln(a + 1, b + xs[repeat] - 1)
        - betaln(a, b + xs[repeat])
        - (r + xs[repeat]) * np.log(alpha + txs[repeat])
    )
    return common, still_alive, dropped


def log_likelihood(params: BGNBDParams, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> FloatArray:
    """Each customer's log-likelihood (equation 6 of the paper)."""
    common, still_alive, dropped = _terms(params, *_arrays(x, t_x, T))
    return common + np.logaddexp(still_alive, dropped)


def _negative_ll_and_gradient(
    log_params: FloatArray, xs: FloatArray, txs: FloatArray, Ts: FloatArray
) -> tuple[float, FloatArray]:
    """-sum(log-likelihood) and its gradient in log-parameters, in closed form: one pass
    instead of the five a finite-difference gradient costs."""
    if np.any(np.abs(log_params) > LOG_BOUND):
        return 1e300, np.zeros(4)  # keeps Nelder-Mead inside the box L-BFGS-B uses below
    r, alpha, a, b = np.exp(log_params)
    common, still_alive, dropped = _terms(BGNBDParams(r, alpha, a, b), xs, txs, Ts)
    mix = np.logaddexp(still_alive, dropped)
    repeat = xs > 0
    w_alive, w_dropped = np.exp(still_alive - mix), np.exp(dropped - mix)
    d_r = (
        digamma(r + xs)
        - digamma(r)
        + np.log(alpha)
        - w_alive * np.log(alpha + Ts)
        - w_dropped * np.log(alpha + txs)
    )
    d_alpha = r / alpha - (r + xs) * (w_alive / (alpha + Ts) + w_dropped / (alpha + txs))
    d_a = digamma(a + b) - digamma(a + b + xs) + w_dropped / a
    d_b = digamma(b + xs) - digamma(a + b + xs) - digamma(b) + digamma(a + b)
    d_b = d_b - np.where(repeat, w_dropped / np.maximum(b + xs - 1, 1e-12), 0.0)
    gradient = np.array([d_r.sum() * r, d_alpha.sum() * alpha, d_a.sum() * a, d_b.sum() * b])
    return -float(np.sum(common + mix)), -gradient


def fit_bgnbd(x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> BGNBDParams:
    """Maximum-likelihood parameters; optimised on log scale so they stay positive.

    When nobody in the data seems to drop out, the likelihood keeps rising as b grows (the
    dropout probability a/(a+b) tends to 0): b stops at the box bound, and the model is
    then the NBD one, a valid answer. A purchase-rate part (r, alpha) at a bound means the
    customers show no heterogeneity to fit: that fit is refused as degenerate."""
    xs, txs, Ts = _arrays(x, t_x, T)
    if len(xs) < 10 or not np.any(xs > 0):
        raise ValueError("BG/NBD needs at least 10 customers and some repeat purchases")
    start = np.log([1.0, max(float(np.mean(Ts)), 1.0), 1.0, 1.0])
    bounds = [(-LOG_BOUND, LOG_BOUND)] * 4
    with threadpool_limits(1):  # four parameters: BLAS threads only add hand-offs (5x slower)
        result = minimize(
            _negative_ll_and_gradient,
            start,
            args=(xs, txs, Ts),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"ftol": 1e-12, "gtol": 1e-8, "maxiter": 2000},
        )
    if not result.success:  # rare: finish gradient-free from where L-BFGS-B stopped
        polish = minimize(
            lambda p: _negative_ll_and_gradient(p, xs, txs, Ts)[0],
            result.x,
            method="Nelder-Mead",
            options={"xatol": 1e-6, "fatol": 1e-8, "maxiter": 2000},
        )
        result = polish if polish.fun <= result.fun else result
    rate_part = result.x[:2]
    if np.any(np.abs(rate_part) > LOG_BOUND - 0.5) or not np.isfinite(result.fun):
        # No heterogeneity to fit (e.g. perfectly regular customers): the model degenerates.
        raise ValueError(f"BG/NBD fit is degenerate (log-parameters {np.round(result.x, 2)})")
    r, alpha, a, b = (float(v) for v in np.exp(result.x))
    return BGNBDParams(r=r, alpha=alpha, a=a, b=b)


def probability_alive(
    params: BGNBDParams, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """P(still active | x, t_x, T); exactly 1 for one-time buyers (x = 0)."""
    xs, txs, Ts = _arrays(x, t_x, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    log_ratio = (
        np.log(a)
        - np.log(np.maximum(b + xs - 1, 1e-12))
        + (r + xs) * (np.log(alpha + Ts) - np.log(alpha + txs))
    )
    p_alive = 1.0 / (1.0 + np.exp(np.minimum(log_ratio, 700.0)))
    return np.where(xs > 0, p_alive, 1.0)


def expected_purchases(
    params: BGNBDParams, t: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """E[purchases in the next `t` time units | x, t_x, T] (equation 10 of the paper)."""
    xs, txs, Ts = _arrays(x, t_x, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    z = t / (alpha + Ts + t)
    head = (a + b + xs - 1) / (a - 1)
    body = 1.0 - ((alpha + Ts) / (alpha + Ts + t)) ** (r + xs) * hyp2f1(
        r + xs, b + xs, a + b + xs - 1, z
    )
    tail = 1.0 + np.where(
        xs > 0, (a / (b + xs - 1)) * ((alpha + Ts) / (alpha + txs)) ** (r + xs), 0.0
    )
    return head * body / tail
