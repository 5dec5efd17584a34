"""The predictor: table cases, and properties that must hold for any hall."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queue_server.domain.tickets import TicketClass
from queue_server.eta import (
    HallState,
    WaitingTicket,
    WindowState,
    predict,
    predict_closed_form,
)
from tests.eta.halls import NOW, busy_windows, exponential_history, queue

HISTORY = exponential_history()


def test_free_window_means_no_wait() -> None:
    state = HallState(queue(1), [WindowState("W0", {"A": 1.0})])
    result = predict(state, HISTORY, NOW, rng_seed=1)
    assert result.tickets["t1"].minutes == 0.0
    assert result.method == "simulation"


@pytest.mark.parametrize(("s", "n"), [(1, 3), (3, 8), (5, 20)])
def test_markovian_hall_matches_erlang_mean(s: int, n: int) -> None:
    # M/M/s with all windows busy: E[D | n ahead] = (n + 1) / (s mu).
    state = HallState(queue(n + 1), busy_windows(s))
    result = predict(state, HISTORY, NOW, rng_seed=3)
    mean_service = HISTORY.stats("A").mean_seconds / 60.0
    expected = (n + 1) * mean_service / s
    assert result.tickets[f"t{n + 1}"].minutes == pytest.approx(expected, rel=0.12)


def test_deterministic_with_a_seed() -> None:
    state = HallState(queue(12), busy_windows(3))
    assert predict(state, HISTORY, NOW, rng_seed=5) == predict(state, HISTORY, NOW, rng_seed=5)


def test_lunch_break_lengthens_the_wait() -> None:
    tickets = queue(10)
    open_all_day = [
        WindowState(
            w.window_id,
            w.profile,
            current_service_id="A",
            current_started_at=NOW,
            hours=((NOW - timedelta(hours=2), NOW + timedelta(hours=6)),),
        )
        for w in busy_windows(3)
    ]
    lunch = [
        WindowState(
            w.window_id,
            w.profile,
            current_service_id="A",
            current_started_at=NOW,
            hours=(
                (NOW - timedelta(hours=2), NOW + timedelta(minutes=5)),
                (NOW + timedelta(minutes=65), NOW + timedelta(hours=6)),
            ),
        )
        for w in open_all_day
    ]
    plain = predict(HallState(tickets, open_all_day), HISTORY, NOW, rng_seed=2)
    with_lunch = predict(HallState(tickets, lunch), HISTORY, NOW, rng_seed=2)
    assert with_lunch.tickets["t10"].minutes > plain.tickets["t10"].minutes + 30


def test_green_ticket_overtakes() -> None:
    tickets = queue(10)
    tickets.append(WaitingTicket("g", "A", TicketClass.GREEN, NOW, 99))
    tickets.append(WaitingTicket("n", "A", TicketClass.NORMAL, NOW, 100))
    result = predict(HallState(tickets, busy_windows(2)), HISTORY, NOW, rng_seed=4)
    assert result.tickets["g"].minutes < result.tickets["n"].minutes / 2


def test_remote_ticket_and_services_get_estimates() -> None:
    tickets = queue(5)
    tickets.append(
        WaitingTicket(
            "r",
            "A",
            TicketClass.NORMAL,
            NOW - timedelta(minutes=30),
            50,
            not_arrived=True,
            arrival_probability=0.5,
            expected_check_in=NOW + timedelta(minutes=10),
        )
    )
    result = predict(HallState(tickets, busy_windows(2)), HISTORY, NOW, rng_seed=4)
    assert set(result.tickets) == {t.ticket_id for t in tickets}
    assert set(result.services) == {"A"}
    # The remote ticket keeps its place: called before the last of the walk-ins.
    assert result.tickets["r"].minutes >= 10.0
    assert result.services["A"].minutes > result.tickets["t5"].minutes


def test_closed_form_counts_people_ahead() -> None:
    state = HallState(queue(9), busy_windows(3))
    result = predict_closed_form(state, HISTORY, NOW)
    minutes = [result.tickets[f"t{i}"].minutes for i in range(1, 10)]
    assert minutes == sorted(minutes)
    assert minutes[-1] == pytest.approx(9 * HISTORY.stats("A").mean_seconds / 60.0 / 3, rel=0.01)


@st.composite
def halls(draw: st.DrawFn) -> HallState:
    n = draw(st.integers(0, 25))
    s = draw(st.integers(1, 4))
    tickets = queue(n, draw(st.sampled_from(["A", "B"])))
    for i in range(draw(st.integers(0, 3))):
        tickets.append(WaitingTicket(f"g{i}", "A", TicketClass.GREEN, NOW, 200 + i))
    windows = []
    for i in range(s):
        profile = draw(st.sampled_from([{"A": 1.0}, {"A": 1.0, "B": 2.0}, {"B": 1.0, "A": 0.0}]))
        busy = draw(st.booleans())
        windows.append(
            WindowState(
                f"W{i}",
                profile,
                current_service_id="A" if busy else None,
                current_started_at=NOW - timedelta(minutes=2) if busy else None,
            )
        )
    return HallState(tickets, windows)


@settings(max_examples=25, deadline=None)
@given(halls(), st.integers(0, 10**6))
def test_every_estimate_is_inside_its_range(state: HallState, seed: int) -> None:
    history = exponential_history(services=("A", "B"))
    for result in (
        predict(state, history, NOW, rng_seed=seed),
        predict_closed_form(state, history, NOW),
    ):
        for estimate in [*result.tickets.values(), *result.services.values()]:
            if math.isnan(estimate.minutes):
                continue
            assert 0.0 <= estimate.low <= estimate.minutes <= estimate.high


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 30), st.integers(1, 5), st.integers(0, 10**6))
def test_more_people_ahead_means_a_longer_wait(n: int, s: int, seed: int) -> None:
    fewer = predict(HallState(queue(n + 1), busy_windows(s)), HISTORY, NOW, rng_seed=seed)
    more = predict(HallState(queue(n + 8), busy_windows(s)), HISTORY, NOW, rng_seed=seed)
    assert more.tickets[f"t{n + 8}"].minutes > fewer.tickets[f"t{n + 1}"].minutes
    closed_fewer = predict_closed_form(HallState(queue(n + 1), busy_windows(s)), HISTORY, NOW)
    closed_more = predict_closed_form(HallState(queue(n + 2), busy_windows(s)), HISTORY, NOW)
    assert closed_more.tickets[f"t{n + 2}"].minutes > closed_fewer.tickets[f"t{n + 1}"].minutes
