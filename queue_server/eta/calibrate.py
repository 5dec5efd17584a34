"""Ranges that keep their promise: recalibrated on the hall's own recent outcomes.

The model's 90% range can be too narrow when the hall does things the model does not
know (breaks, clerks who pause between tickets). Each recent outcome gives a scaled
error ``z = (actual - estimate) / half-width``; the 5% and 95% points of ``z`` over the
recent outcomes replace the model's own (split conformal prediction). Estimates of
zero with an empty range (a window is free) are left alone and not used.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from queue_server.eta.model import Estimate

MIN_OUTCOMES = 100
MIN_HALF_WIDTH = 0.1


def range_quantiles(
    outcomes: Sequence[tuple[float, float, float, float]],
) -> tuple[float, float] | None:
    """The 5% and 95% points of the scaled errors, or None with too few outcomes."""
    z = [
        (actual - estimate) / max((high - low) / 2.0, MIN_HALF_WIDTH)
        for estimate, low, high, actual in outcomes
        if high - low > 1e-6
    ]
    if len(z) < MIN_OUTCOMES:
        return None
    n = len(z)
    lo_level = max(0.0, (0.05 * (n + 1) - 1.0) / (n - 1))
    hi_level = min(1.0, (0.95 * (n + 1) - 1.0) / (n - 1))
    lo, hi = np.quantile(np.asarray(z), [lo_level, hi_level])
    return float(lo), float(hi)


def recalibrate(estimate: Estimate, quantiles: tuple[float, float] | None) -> Estimate:
    """The estimate with its range rebuilt from the scaled-error quantiles."""
    if quantiles is None or not estimate.high - estimate.low > 1e-6:
        return estimate
    half = max((estimate.high - estimate.low) / 2.0, MIN_HALF_WIDTH)
    low = max(0.0, estimate.minutes + quantiles[0] * half)
    high = max(estimate.minutes + quantiles[1] * half, low)
    return Estimate(estimate.minutes, min(low, estimate.minutes), max(high, estimate.minutes))
