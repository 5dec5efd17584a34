"""The fast call-order twin picks exactly what the domain's ``choose_next`` picks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from queue_server.domain.call_order import CallPolicy, Candidate, choose_next
from queue_server.domain.tickets import TicketClass
from queue_server.eta.chooser import CLASS_CODE, CallQueues

ORIGIN = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SERVICES = ["A", "B", "C"]
WINDOWS = ["w1", "w2"]


@st.composite
def halls(draw: st.DrawFn) -> tuple[list[Candidate], dict[str, float], datetime, CallPolicy]:
    n = draw(st.integers(0, 14))
    candidates = []
    for seq in range(1, n + 1):
        klass = draw(st.sampled_from(list(TicketClass)))
        arrived = ORIGIN + timedelta(seconds=draw(st.integers(0, 4 * 3600)))
        slot_start = slot_end = None
        if klass is TicketClass.APPOINTMENT and draw(st.booleans()):
            slot_start = ORIGIN + timedelta(minutes=draw(st.integers(0, 300)))
            slot_end = slot_start + timedelta(minutes=draw(st.sampled_from([15, 30])))
        candidates.append(
            Candidate(
                ticket_id=f"t{seq}",
                service_id=draw(st.sampled_from(SERVICES)),
                ticket_class=klass,
                arrived_at=arrived,
                issued_seq=draw(st.integers(1, 5)) if draw(st.booleans()) else seq,
                pinned_window_id=draw(st.sampled_from([None, None, None, "w1", "w2"])),
                slot_start=slot_start,
                slot_end=slot_end,
            )
        )
    chosen = draw(st.lists(st.sampled_from(SERVICES), unique=True, max_size=3))
    profile = {s: draw(st.sampled_from([0.0, 0.5, 1.0, 1.0, 2.0, 3.0])) for s in chosen}
    now = ORIGIN + timedelta(seconds=draw(st.integers(0, 6 * 3600)))
    policy = CallPolicy(
        green_bonus=draw(st.sampled_from([0.0, 10.0, 30.0])),
        appointment_bonus=draw(st.sampled_from([0.0, 15.0])),
        starvation_cap=draw(st.sampled_from([5.0, 30.0, 60.0])),
    )
    return candidates, profile, now, policy


def _seconds(at: datetime) -> float:
    return (at - ORIGIN).total_seconds()


@settings(max_examples=400, deadline=None)
@given(halls())
def test_fast_chooser_matches_choose_next(
    hall: tuple[list[Candidate], dict[str, float], datetime, CallPolicy],
) -> None:
    candidates, profile, now, policy = hall
    codes = {s: i for i, s in enumerate(SERVICES)}
    profiles = [{codes[s]: w for s, w in profile.items()}, {0: 1.0}]
    queues = CallQueues(policy, profiles, len(SERVICES))
    ids: dict[int, str] = {}
    for c in candidates:
        index = queues.add(
            codes[c.service_id],
            CLASS_CODE[c.ticket_class],
            _seconds(c.arrived_at),
            c.issued_seq,
            pinned=WINDOWS.index(c.pinned_window_id) if c.pinned_window_id else -1,
            slot_start=_seconds(c.slot_start) if c.slot_start else float("nan"),
            slot_end=_seconds(c.slot_end) if c.slot_end else float("nan"),
        )
        ids[index] = c.ticket_id
    remaining = list(candidates)
    # Call repeatedly: the twin must agree at every step, not only the first.
    for _ in range(len(candidates) + 1):
        expected = choose_next("w1", profile, remaining, now, policy)
        index, rule = queues.choose(0, _seconds(now))
        if expected is None:
            assert index == -1
            break
        assert ids.get(index) == expected.ticket_id
        assert rule == expected.rule
        queues.take(index)
        remaining = [c for c in remaining if c.ticket_id != expected.ticket_id]
