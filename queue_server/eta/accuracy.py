"""Realised accuracy of the estimates given at issue: MAE, bias, coverage, drift."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """One called ticket: the estimate it was given (minutes) and the actual wait."""

    estimate: float
    low: float
    high: float
    actual: float


@dataclass(frozen=True)
class Accuracy:
    """Accuracy over a set of outcomes; ``drifting`` asks a manager to look."""

    count: int
    mae: float
    bias: float
    coverage: float
    drifting: bool
    reason: str


MIN_COUNT = 20
COVERAGE_FLOOR = 0.80
RELATIVE_BIAS_LIMIT = 0.25
ABSOLUTE_BIAS_LIMIT = 3.0


def accuracy(outcomes: Iterable[Outcome]) -> Accuracy:
    """MAE and bias (estimate - actual, minutes), share inside the range, drift flag.

    Drift is flagged (with at least ``MIN_COUNT`` tickets) when fewer than 80% of the
    actual waits fell inside the announced 90% range, or when the mean error exceeds
    both 3 minutes and 25% of the mean actual wait.
    """
    items = [o for o in outcomes if math.isfinite(o.estimate) and math.isfinite(o.actual)]
    n = len(items)
    if n == 0:
        return Accuracy(0, math.nan, math.nan, math.nan, False, "no data")
    errors = [o.estimate - o.actual for o in items]
    mae = sum(abs(e) for e in errors) / n
    bias = sum(errors) / n
    coverage = sum(1 for o in items if o.low <= o.actual <= o.high) / n
    mean_actual = sum(o.actual for o in items) / n
    reason = ""
    if n >= MIN_COUNT:
        if coverage < COVERAGE_FLOOR:
            reason = f"only {coverage:.0%} of waits inside the range"
        elif abs(bias) > max(ABSOLUTE_BIAS_LIMIT, RELATIVE_BIAS_LIMIT * mean_actual):
            side = "long" if bias > 0 else "short"
            reason = f"estimates {abs(bias):.1f} min too {side} on average"
    return Accuracy(n, mae, bias, coverage, bool(reason), reason or "ok")
