"""The simulation's mean: exact expectations for its controls, and little noise left."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from queue_server.eta import HallState, predict
from queue_server.eta.history import residual_mean, residual_sample
from queue_server.eta.replications import CONTROL_FROM, control_adjusted
from tests.eta.halls import NOW, busy_windows, exponential_history, queue

SECONDS = st.floats(min_value=1.0, max_value=3600.0, allow_nan=False)


@given(
    samples=st.lists(SECONDS, min_size=45, max_size=80).map(sorted),
    elapsed_share=st.floats(min_value=0.0, max_value=0.5),
)
def test_residual_mean_is_the_average_residual_draw(
    samples: list[float], elapsed_share: float
) -> None:
    # At least 20 recorded services are longer than the elapsed time: the draw is one of
    # them, each equally likely, so a grid of one point per sample averages exactly.
    elapsed = samples[int(elapsed_share * len(samples))] - 0.5
    above = [s for s in samples if s > elapsed]
    grid = [(i + 0.5) / len(above) for i in range(len(above))]
    draws = [residual_sample(samples, elapsed, u, 300.0) for u in grid]
    expected = residual_mean(samples, elapsed, 300.0)
    assert math.fsum(draws) / len(draws) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_residual_mean_past_the_recorded_services_is_the_tail_mean() -> None:
    samples = [60.0 * (i + 1) for i in range(30)]
    grid = np.linspace(0.0, 1.0, 200_001)[:-1] + 0.5 / 200_000
    draws = [residual_sample(samples, 5000.0, float(u), 300.0) for u in grid]
    assert float(np.mean(draws)) == pytest.approx(residual_mean(samples, 5000.0, 300.0), rel=1e-3)
    assert residual_mean([], 10.0, 300.0) == 300.0


@given(
    intercept=st.floats(min_value=1.0, max_value=5000.0),
    slopes=st.tuples(
        st.floats(min_value=-2.0, max_value=2.0), st.floats(min_value=-2.0, max_value=2.0)
    ),
    seed=st.integers(0, 10_000),
)
def test_control_adjusted_mean_removes_what_the_controls_explain(
    intercept: float, slopes: tuple[float, float], seed: int
) -> None:
    rng = np.random.default_rng(seed)
    runs = 2 * CONTROL_FROM
    controls = rng.normal(0.0, 60.0, size=(runs, 1, 2))
    waits = intercept + controls[..., 0] * slopes[0] + controls[..., 1] * slopes[1]
    means = control_adjusted(waits, controls)
    assert means[0] * 60.0 == pytest.approx(max(intercept, 0.0), rel=1e-6, abs=1e-6)


def test_control_adjusted_keeps_the_plain_mean_where_it_cannot_correct() -> None:
    rng = np.random.default_rng(1)
    controls = rng.normal(0.0, 60.0, size=(2 * CONTROL_FROM, 2, 2))
    waits = 600.0 + controls[..., 0]
    waits[3, 1] = math.nan  # one run never called the second ticket
    means = control_adjusted(waits, controls)
    assert means[0] == pytest.approx(10.0)
    assert means[1] == pytest.approx(float(np.nanmean(waits[:, 1])) / 60.0)
    few = control_adjusted(waits[:4, :1], controls[:4, :1])
    assert few[0] == pytest.approx(float(waits[:4, 0].mean()) / 60.0)


def test_mean_wait_barely_moves_with_the_seed() -> None:
    # M/M/3 with 10 people ahead: the wait itself has a variance of about 44 min^2;
    # the estimate of its mean must vary far less from one seed to the next.
    history = exponential_history()
    state = HallState(queue(11), busy_windows(3))
    estimates = [
        predict(state, history, NOW, rng_seed=seed).tickets["t11"].minutes for seed in range(30)
    ]
    mean_service = history.stats("A").mean_seconds / 60.0
    assert statistics.mean(estimates) == pytest.approx(11 * mean_service / 3, rel=0.03)
    assert statistics.variance(estimates) < 0.03
