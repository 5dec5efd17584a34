"""Recalibration on the hall's own outcomes: only where the model has been off."""

from __future__ import annotations

import random

import pytest

from queue_server.eta.calibrate import PointCalibration, range_quantiles, recalibrate
from queue_server.eta.model import Estimate


def _outcomes(factor: float, seed: int = 1) -> list[tuple[float, float, float, float]]:
    rnd = random.Random(seed)
    out = []
    for _ in range(400):
        estimate = rnd.uniform(1, 20)
        actual = factor * estimate * rnd.uniform(0.8, 1.2)
        out.append((estimate, 0.5 * estimate, 1.5 * estimate, actual))
    return out


def test_a_model_that_fits_is_left_alone() -> None:
    calibration = PointCalibration(_outcomes(1.0))
    assert calibration.ratio(5.0) == 1.0
    assert calibration.ratio(0.0) == 1.0


def test_consistent_under_estimates_are_scaled_up() -> None:
    calibration = PointCalibration(_outcomes(2.0))
    assert calibration.ratio(10.0) == pytest.approx(2.0, rel=0.1)


def test_too_few_outcomes_change_nothing() -> None:
    assert PointCalibration(_outcomes(2.0)[:50]).ratio(10.0) == 1.0
    assert range_quantiles(_outcomes(2.0)[:50]) is None


def test_ranges_widen_when_they_missed() -> None:
    quantiles = range_quantiles(_outcomes(2.0))
    assert quantiles is not None
    wider = recalibrate(Estimate(10.0, 5.0, 15.0), quantiles)
    assert wider.high > 15.0
    assert recalibrate(Estimate(0.0, 0.0, 0.0), quantiles) == Estimate(0.0, 0.0, 0.0)
