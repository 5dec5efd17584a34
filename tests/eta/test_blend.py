"""The point correction learnt from outcomes: used only where it has proved better."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queue_server.eta import HallState, HistoryBuilder, predict
from queue_server.eta.blend import FEATURES, MIN_OUTCOMES, Blend, fit_blend
from tests.eta.halls import NOW, busy_windows, queue

Outcome = tuple[tuple[float, ...], float, float, float]


def _features(rnd: random.Random) -> tuple[float, ...]:
    model = rnd.uniform(0.5, 20.0)
    ahead = float(rnd.randint(0, 12))
    return (model, ahead, *(rnd.uniform(0.0, 5.0) for _ in FEATURES[2:]))


def _outcomes(actual_of: object, n: int = 1600, seed: int = 1) -> list[Outcome]:
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        features = _features(rnd)
        actual = actual_of(features, rnd)  # type: ignore[operator]
        out.append((features, 0.5 * features[0], 1.5 * features[0], max(0.0, actual)))
    return out


def _model_is_right(features: tuple[float, ...], rnd: random.Random) -> float:
    return features[0] + rnd.gauss(0.0, 2.0)


def _queue_matters_more(features: tuple[float, ...], rnd: random.Random) -> float:
    return features[0] + 0.8 * features[1] + rnd.gauss(0.0, 2.0)


def test_a_blend_that_would_not_help_is_not_used() -> None:
    assert fit_blend(_outcomes(_model_is_right)) is None


def test_too_few_outcomes_change_nothing() -> None:
    assert fit_blend(_outcomes(_queue_matters_more)[: MIN_OUTCOMES - 1]) is None


def test_what_the_model_misses_is_learnt() -> None:
    blend = fit_blend(_outcomes(_queue_matters_more))
    assert blend is not None
    rest = (1.0,) * (len(FEATURES) - 2)
    assert blend.apply((10.0, 10.0, *rest)) == pytest.approx(18.0, abs=0.6)
    assert blend.apply((10.0, 0.0, *rest)) == pytest.approx(10.0, abs=0.6)


def test_the_blend_does_not_extrapolate_beyond_the_queues_it_saw() -> None:
    blend = fit_blend(_outcomes(_queue_matters_more))
    assert blend is not None
    rest = (1.0,) * (len(FEATURES) - 2)
    assert blend.apply((10.0, 500.0, *rest)) == blend.apply((10.0, 12.0, *rest))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000))
def test_a_perfect_model_is_never_replaced(seed: int) -> None:
    exact = _outcomes(lambda f, _: f[0], n=MIN_OUTCOMES + 200, seed=seed)
    assert fit_blend(exact) is None


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-5.0, 5.0), min_size=len(FEATURES) + 1, max_size=len(FEATURES) + 1),
    st.lists(st.floats(-100.0, 100.0), min_size=len(FEATURES), max_size=len(FEATURES)),
)
def test_a_blend_is_never_negative_and_holds_features_in_range(
    weights: list[float], features: list[float]
) -> None:
    lows = (0.0,) * len(FEATURES)
    highs = (10.0,) * len(FEATURES)
    blend = Blend(tuple(weights), lows, highs)
    held = [features[0], *(min(max(x, 0.0), 10.0) for x in features[1:])]
    assert blend.apply(features) >= 0.0
    assert blend.apply(features) == pytest.approx(blend.apply(held))


def test_predict_moves_the_point_once_outcomes_show_the_model_is_off() -> None:
    builder = HistoryBuilder()
    rnd = random.Random(5)
    for i in range(400):
        start = NOW - timedelta(days=1, minutes=i)
        builder.finished("A", "W0", start, start + timedelta(seconds=rnd.expovariate(1 / 360)))
    state = HallState(queue(5), busy_windows(2))
    plain = predict(state, builder.snapshot(NOW), NOW, rng_seed=2)
    assert plain.tickets["t5"].minutes == plain.model["t5"].minutes
    for _ in range(1500):
        f = _features(rnd)
        builder.outcome(f[0], 0.5 * f[0], 1.5 * f[0], 2.0 * f[0], f)
    corrected = predict(state, builder.snapshot(NOW), NOW, rng_seed=2)
    model = corrected.model["t5"].minutes
    shown = corrected.tickets["t5"]
    assert shown.minutes == pytest.approx(2.0 * model, rel=0.1)
    assert shown.low <= shown.minutes <= shown.high
    assert len(corrected.features["t5"]) == len(FEATURES)


def test_outcomes_without_features_are_still_kept_for_the_ranges() -> None:
    builder = HistoryBuilder()
    builder.outcome(3.0, 1.0, 6.0, 4.0)
    builder.outcome(3.0, 1.0, 6.0, 4.0, (3.0,) * len(FEATURES))
    history = builder.snapshot(NOW)
    assert len(history.outcomes) == 2
    assert len(history.feature_outcomes) == 1


def test_the_last_ten_waits_of_each_service_are_kept() -> None:
    builder = HistoryBuilder()
    for minutes in range(1, 13):
        builder.called("A", NOW - timedelta(minutes=minutes), NOW)
    assert builder.snapshot(NOW).recent_waits["A"] == tuple(float(m) for m in range(3, 13))


@settings(max_examples=60, deadline=None)
@given(st.floats(0.0, 1.0), st.floats(0.0, 60.0), st.floats(-20.0, 20.0))
def test_the_share_moves_the_estimate_part_of_the_way(
    share: float, model: float, shift: float
) -> None:
    rest = (0.0,) * (len(FEATURES) - 1)
    weights = (shift, 1.0, *rest)
    ranges = (0.0,) * len(FEATURES)
    full = Blend(weights, ranges, ranges).apply((model, *rest))
    part = Blend(weights, ranges, ranges, share).apply((model, *rest))
    assert min(model, full) - 1e-9 <= part <= max(model, full) + 1e-9
    assert part == pytest.approx(model + share * (full - model))


def test_a_learnt_blend_moves_at_most_all_the_way() -> None:
    blend = fit_blend(_outcomes(_queue_matters_more))
    assert blend is not None
    assert 0.9 <= blend.share <= 1.0
