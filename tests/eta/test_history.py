"""History: statistics only from what happened strictly before ``now``."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from queue_server.domain.tickets import TicketClass
from queue_server.eta import HistoryBuilder, TicketRecord, build_history
from queue_server.eta.history import HAZARD_EDGES_S, residual_patience
from tests.eta.halls import NOW


def _record(start_min: float, wait: float, service: float, status: str = "done") -> TicketRecord:
    issued = NOW + timedelta(minutes=start_min)
    called = issued + timedelta(minutes=wait)
    return TicketRecord(
        service_id="A",
        window_id="W1",
        issued_at=issued,
        called_at=called if status != "cancelled" else None,
        started_at=called if status != "cancelled" else None,
        finished_at=called + timedelta(minutes=service),
        status=status,
    )


def test_future_timestamps_are_ignored() -> None:
    past = [_record(-120 + 10 * i, 5, 4) for i in range(5)]
    finishing_later = _record(-8, 3, 10)  # called before now, finishes after now
    issued_later = _record(5, 1, 1)
    history = build_history([*past, finishing_later, issued_later], NOW)
    stats = history.stats("A")
    assert len(stats.samples) == 5
    assert stats.mean_seconds == pytest.approx(240.0)
    assert history == build_history([*past, finishing_later], NOW)
    assert sum(history.arrivals_per_hour["A"]) == pytest.approx(
        sum(build_history([*past, finishing_later], NOW).arrivals_per_hour["A"])
    )


def test_abandonment_rate_is_leavers_over_time_waited() -> None:
    served = [_record(-200 + 10 * i, 10, 3) for i in range(8)]  # 80 minutes waited
    left = [_record(-100 + 10 * i, 0, 20, status="cancelled") for i in range(2)]  # 40 minutes
    stats = build_history(served + left, NOW).stats("A")
    assert stats.abandon_per_minute == pytest.approx(2 / 120)


def test_no_shows_and_green_share() -> None:
    records = [_record(-100 + i, 1, 2) for i in range(6)]
    records += [_record(-50, 1, 2, status="no_show"), _record(-40, 1, 2, status="no_show")]
    records.append(
        TicketRecord(
            "A", None, NOW - timedelta(minutes=5), None, None, None, "waiting", TicketClass.GREEN
        )
    )
    stats = build_history(records, NOW).stats("A")
    assert stats.no_show_share == pytest.approx(2 / 8)
    assert stats.no_show_seconds == pytest.approx(120.0)
    assert stats.green_share == pytest.approx(1 / 9)


def test_unknown_service_gets_defaults() -> None:
    stats = build_history([], NOW).stats("Z")
    assert stats.samples == ()
    assert stats.mean_seconds > 0


def test_leaving_rate_by_time_waited() -> None:
    # Early leavers: 4 tickets leave within 20 s, 4 are served after 5 minutes.
    leavers = [_record(-100 + i, 0.3, 0.0, status="cancelled") for i in range(4)]
    served = [_record(-60 + i, 5, 1) for i in range(4)]
    stats = build_history(leavers + served, NOW).stats("A")
    first, *rest = stats.leave_hazard
    assert first > max(rest) > 0


def test_residual_patience_with_a_flat_rate_is_exponential() -> None:
    flat = (1 / 300.0,) * len(HAZARD_EDGES_S)
    draws = [residual_patience(flat, 45.0, (i + 0.5) / 2000) for i in range(2000)]
    assert sum(draws) / len(draws) == pytest.approx(300.0, rel=0.02)
    assert residual_patience((0.0,) * len(HAZARD_EDGES_S), 10.0, 0.5) == math.inf


def test_a_snapshot_follows_every_finished_ticket_and_only_that_changes_service_times() -> None:
    builder = HistoryBuilder()
    start = NOW - timedelta(hours=2)
    for minutes in (4, 6, 5):
        builder.finished("A", "w1", start, start + timedelta(minutes=minutes))
    first = builder.snapshot(NOW).services["A"]
    builder.issued("A", NOW - timedelta(minutes=1), TicketClass.NORMAL)
    builder.called("A", NOW - timedelta(minutes=1), NOW - timedelta(seconds=10))
    second = builder.snapshot(NOW).services["A"]
    assert second.samples == first.samples and second.mean_seconds == first.mean_seconds
    assert second.green_share == 0.0 and second is not first
    builder.finished("A", "w2", start, start + timedelta(minutes=9))
    third = builder.snapshot(NOW).services["A"]
    assert sorted(third.samples) == [240.0, 300.0, 360.0, 540.0]
    assert third.mean_seconds == 360.0
    assert set(third.window_factor) == {"w1", "w2"}
    assert third.window_factor["w2"] > 1.0 > third.window_factor["w1"]
