"""Replications turned into estimates: a control-variate mean and a 90% range.

The mean of each ticket's simulated call times is corrected by its controls (see
:func:`control_adjusted`); the range comes from the order statistics of the plain
replications, or, with fewer than :data:`SMOOTH_BELOW` of them, from a Gamma fit whose
variance is pooled over tickets with similar expected waits.
"""

from __future__ import annotations

import math

import numpy as np

from queue_server.eta.closed_form import gamma_interval
from queue_server.eta.model import Estimate

SMOOTH_BELOW = 40
"""With fewer replications the spread is pooled over tickets of similar expected wait."""
CONTROL_FROM = 12
"""From this many replications on, the mean is corrected by the work control variate
(with fewer, the estimated slopes are too noisy to gain)."""


def _quantile_levels(k: int) -> tuple[float, float]:
    """Sample-quantile levels whose order statistics cover 90% of a new draw."""
    lo = (0.05 * (k + 1) - 1.0) / max(1, k - 1)
    hi = (0.95 * (k + 1) - 1.0) / max(1, k - 1)
    return min(max(lo, 0.0), 1.0), min(max(hi, 0.0), 1.0)


def control_adjusted(waits: np.ndarray, controls: np.ndarray) -> np.ndarray:
    """Each column's mean wait in minutes, with the noise its controls explain removed.

    ``waits`` (runs x tickets) and ``controls`` (runs x tickets x 2) are in seconds. A
    ticket called in every run gets the control-variate mean ``mean(wait) - beta .
    mean(controls)``, with ``beta`` the least-squares slopes of its wait on its two
    controls across the runs (their true expectation is zero; antithetic twins are
    averaged first, since only the pairs are independent); it is never below zero. A
    ticket some run did not call, or fewer than :data:`CONTROL_FROM` runs, keep the
    plain mean.
    """
    valid = ~np.isnan(waits)
    counts = valid.sum(axis=0)
    totals = np.where(valid, waits, 0.0).sum(axis=0)
    plain = np.divide(totals, counts, out=np.full(waits.shape[1], np.nan), where=counts > 0)
    if waits.shape[0] < CONTROL_FROM:
        result: np.ndarray = plain / 60.0
        return result
    full = valid.all(axis=0)
    w = np.where(full, waits, 0.0)
    x = np.where(full[None, :, None], controls, 0.0)
    if w.shape[0] % 2 == 0:
        w = (w[0::2] + w[1::2]) / 2.0
        x = (x[0::2] + x[1::2]) / 2.0
    w_mean, x_mean = w.mean(axis=0), x.mean(axis=0)
    dw, dx = w - w_mean, x - x_mean
    a = (dx[..., 0] ** 2).sum(axis=0)
    b = (dx[..., 0] * dx[..., 1]).sum(axis=0)
    d = (dx[..., 1] ** 2).sum(axis=0)
    e = (dx[..., 0] * dw).sum(axis=0)
    f = (dx[..., 1] * dw).sum(axis=0)
    det = a * d - b * b
    both = det > 1e-9 * a * d
    safe = np.where(both, det, 1.0)
    one = np.divide(e, a, out=np.zeros_like(a), where=a > 0)
    beta0 = np.where(both, (d * e - b * f) / safe, one)
    beta1 = np.where(both, (a * f - b * e) / safe, 0.0)
    adjusted = np.maximum(w_mean - beta0 * x_mean[:, 0] - beta1 * x_mean[:, 1], 0.0)
    means: np.ndarray = np.where(full, adjusted, plain) / 60.0
    return means


def summarise(samples: np.ndarray, mean: float) -> Estimate:
    values = samples[~np.isnan(samples)] / 60.0
    if values.size == 0:
        return Estimate(math.nan, math.nan, math.nan)
    if values.size >= SMOOTH_BELOW:
        lo_level, hi_level = _quantile_levels(int(values.size))
        low, high = np.quantile(values, [lo_level, hi_level])
        return Estimate(mean, min(float(low), mean), max(float(high), mean))
    low_g, high_g = gamma_interval(mean, float(values.std(ddof=1)) if values.size > 1 else 0.0)
    return Estimate(mean, min(low_g, mean), max(high_g, mean))


def pooled(matrix: np.ndarray, means: np.ndarray) -> list[Estimate]:
    """Estimates with the variance pooled over neighbours in expected wait.

    ``matrix`` holds the tracked columns (seconds), ``means`` their means (minutes).
    """
    sub = matrix / 60.0
    valid = ~np.isnan(sub)
    counts = valid.sum(axis=0)
    filled = np.where(valid, sub, 0.0)
    plain = np.divide(
        filled.sum(axis=0), counts, out=np.full(sub.shape[1], np.nan), where=counts > 0
    )
    dev = np.where(valid, sub - plain, 0.0)
    var = np.divide((dev**2).sum(axis=0), counts - 1, out=np.zeros(sub.shape[1]), where=counts > 1)
    order = np.argsort(np.nan_to_num(means, nan=np.inf), kind="stable")
    half = 7
    smooth = np.empty_like(var)
    ranked = var[order]
    cumulative = np.concatenate(([0.0], np.cumsum(ranked)))
    n = ranked.size
    for pos in range(n):
        lo, hi = max(0, pos - half), min(n, pos + half + 1)
        smooth[order[pos]] = (cumulative[hi] - cumulative[lo]) / (hi - lo)
    out = []
    for j in range(sub.shape[1]):
        mean = float(means[j])
        if not math.isfinite(mean):
            out.append(Estimate(math.nan, math.nan, math.nan))
            continue
        low, high = gamma_interval(mean, math.sqrt(float(smooth[j])))
        out.append(Estimate(mean, min(low, mean), max(high, mean)))
    return out
