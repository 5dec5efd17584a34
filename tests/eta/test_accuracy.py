"""Realised accuracy for the manager console."""

from __future__ import annotations

import math

import pytest

from queue_server.eta import Outcome, accuracy


def test_metrics_table() -> None:
    outcomes = [Outcome(10, 5, 15, 12), Outcome(4, 2, 8, 1), Outcome(0, 0, 0, 0)]
    result = accuracy(outcomes)
    assert result.count == 3
    assert result.mae == pytest.approx((2 + 3 + 0) / 3)
    assert result.bias == pytest.approx((-2 + 3 + 0) / 3)
    assert result.coverage == pytest.approx(2 / 3)
    assert not result.drifting  # too few to judge


def test_drift_when_ranges_miss() -> None:
    outcomes = [Outcome(5, 4, 6, 9)] * 10 + [Outcome(5, 4, 6, 5)] * 20
    result = accuracy(outcomes)
    assert result.drifting
    assert "inside the range" in result.reason


def test_drift_when_biased() -> None:
    outcomes = [Outcome(20, 0, 60, 10)] * 30
    result = accuracy(outcomes)
    assert result.drifting
    assert "too long" in result.reason


def test_empty_and_nan() -> None:
    result = accuracy([Outcome(math.nan, 0, 1, 3)])
    assert result.count == 0
    assert not result.drifting
