"""The call order and the ticket state machine: tables and properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queue_server.domain.call_order import CallPolicy, Candidate, choose_next, rank
from queue_server.domain.tickets import (
    OPEN_STATUSES,
    TRANSITIONS,
    Action,
    Status,
    TicketClass,
    TransitionError,
    allowed_actions,
    format_number,
    next_status,
)

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
POLICY = CallPolicy()


def ticket(
    tid: str,
    minutes_ago: float,
    cls: TicketClass = TicketClass.NORMAL,
    service: str = "a",
    seq: int = 0,
    pinned: str | None = None,
    slot: tuple[float, float] | None = None,
) -> Candidate:
    slot_start = slot_end = None
    if slot is not None:
        slot_start = NOW + timedelta(minutes=slot[0])
        slot_end = NOW + timedelta(minutes=slot[1])
    return Candidate(
        tid, service, cls, NOW - timedelta(minutes=minutes_ago), seq, pinned, slot_start, slot_end
    )


@pytest.mark.parametrize(
    ("tickets", "profile", "expected", "rule"),
    [
        ([ticket("old", 20), ticket("new", 5)], {"a": 1}, "old", "score"),
        ([ticket("n", 20), ticket("g", 1, TicketClass.GREEN)], {"a": 1}, "g", "score"),
        ([ticket("n", 40), ticket("g", 1, TicketClass.GREEN)], {"a": 1}, "n", "starvation"),
        (
            [ticket("n", 5), ticket("p", 1, pinned="w1"), ticket("x", 50, pinned="w2")],
            {"a": 1},
            "p",
            "pinned",
        ),
        (
            [ticket("n", 50), ticket("appt", 1, TicketClass.APPOINTMENT, slot=(-5, 25))],
            {"a": 1},
            "appt",
            "appointment",
        ),
        (
            [ticket("n", 10), ticket("appt", 1, TicketClass.APPOINTMENT, slot=(60, 90))],
            {"a": 1},
            "appt",
            "score",
        ),
        ([ticket("a1", 10), ticket("b1", 30, service="b")], {"a": 3, "b": 1}, "b1", "score"),
        ([ticket("a1", 10), ticket("b1", 30, service="b")], {"a": 4, "b": 1}, "a1", "score"),
        ([ticket("z", 50, service="z"), ticket("a1", 1)], {"a": 1, "z": 0}, "a1", "score"),
        ([ticket("z", 50, service="z")], {"a": 1, "z": 0}, "z", "fallback"),
        ([ticket("tie2", 10, seq=2), ticket("tie1", 10, seq=1)], {"a": 1}, "tie1", "score"),
        ([ticket("other", 10, service="c")], {"a": 1}, None, None),
    ],
)
def test_call_order_table(
    tickets: list[Candidate], profile: dict[str, float], expected: str | None, rule: str | None
) -> None:
    decision = choose_next("w1", profile, tickets, NOW, POLICY)
    if expected is None:
        assert decision is None
        return
    assert decision is not None
    assert (decision.ticket_id, decision.rule) == (expected, rule)


candidates = st.lists(
    st.builds(
        ticket,
        tid=st.uuids().map(str),
        minutes_ago=st.floats(min_value=0, max_value=240),
        cls=st.sampled_from(list(TicketClass)),
        service=st.sampled_from(["a", "b", "z"]),
        seq=st.integers(min_value=0, max_value=10_000),
        pinned=st.sampled_from([None, None, None, "w1", "w2"]),
        slot=st.one_of(
            st.none(),
            st.tuples(st.floats(-120, 120), st.floats(0, 60)).map(lambda t: (t[0], t[0] + t[1])),
        ),
    ),
    max_size=25,
    unique_by=lambda c: c.ticket_id,
)
profiles = st.fixed_dictionaries(
    {"a": st.floats(0.5, 5)}, optional={"b": st.floats(0.5, 5), "z": st.just(0.0)}
)


@settings(max_examples=200, deadline=None)
@given(candidates, profiles, st.floats(0, 60), st.floats(0, 60))
def test_rank_is_repeated_choose_next(
    tickets: list[Candidate], profile: dict[str, float], bonus: float, cap: float
) -> None:
    policy = CallPolicy(green_bonus=bonus, starvation_cap=cap)
    order = rank("w1", profile, tickets, NOW, policy)
    remaining = list(tickets)
    for decision in order:
        expected = choose_next("w1", profile, remaining, NOW, policy)
        assert expected == decision
        remaining = [c for c in remaining if c.ticket_id != decision.ticket_id]
    assert choose_next("w1", profile, remaining, NOW, policy) is None


@settings(max_examples=200, deadline=None)
@given(candidates, profiles)
def test_a_window_only_calls_what_it_may(
    tickets: list[Candidate], profile: dict[str, float]
) -> None:
    decision = choose_next("w1", profile, tickets, NOW, POLICY)
    if decision is None:
        assert all(
            c.pinned_window_id not in (None, "w1")
            or (c.pinned_window_id is None and c.service_id not in profile)
            for c in tickets
        )
        return
    chosen = next(c for c in tickets if c.ticket_id == decision.ticket_id)
    assert chosen.pinned_window_id == "w1" or (
        chosen.pinned_window_id is None and chosen.service_id in profile
    )


def test_numbers_grow_past_999_and_never_wrap() -> None:
    assert [format_number("A", n) for n in (1, 23, 999, 1000, 12345)] == [
        "A001",
        "A023",
        "A999",
        "A1000",
        "A12345",
    ]
    with pytest.raises(ValueError, match="start at 1"):
        format_number("A", 0)


@given(st.integers(1, 10**6), st.integers(1, 10**6))
def test_numbers_are_distinct_for_distinct_sequences(a: int, b: int) -> None:
    assert (format_number("A", a) == format_number("A", b)) == (a == b)


def test_state_machine_rejects_what_it_does_not_list() -> None:
    for status in Status:
        for action in Action:
            if (status, action) in TRANSITIONS:
                assert next_status(status, action) == TRANSITIONS[(status, action)]
            else:
                with pytest.raises(TransitionError):
                    next_status(status, action)


def test_terminal_statuses_accept_nothing() -> None:
    for status in (Status.DONE, Status.CANCELLED, Status.LAPSED, Status.NO_SHOW):
        assert allowed_actions(status) == frozenset()
        assert status not in OPEN_STATUSES
