"""``onevisit bench eta --speed``: how long a full refresh takes on a big hall.

A hall with 500 waiting tickets (8 services, 10% green channel, a few appointments and
remote tickets not yet checked in) and 40 windows serving three services each, with a
lunch break on a quarter of them; history from three earlier days, with a full store of
past estimates and their features so that the point correction is fitted and applied.
Each run recomputes every ticket's estimate and every service's wait for a new arrival.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from queue_server.domain.tickets import TicketClass
from queue_server.eta import (
    HallState,
    History,
    HistoryBuilder,
    WaitingTicket,
    WindowState,
    predict,
    predict_closed_form,
)
from queue_server.eta.blend import FEATURES
from queue_server.eta.history import MAX_FEATURE_OUTCOMES

NOW = datetime(2026, 3, 4, 2, 30, tzinfo=UTC)
RUNS = 40


def _feed_outcomes(builder: HistoryBuilder, rnd: random.Random) -> None:
    """A full store of past estimates with features, where the queue mattered more than
    the model thought: the refresh then fits and applies the point correction too."""
    for _ in range(MAX_FEATURE_OUTCOMES):
        model = rnd.expovariate(1 / 20)
        features = (model, *(rnd.uniform(0.0, 30.0) for _ in FEATURES[1:]))
        actual = max(0.0, model + 0.3 * features[1] + rnd.gauss(0.0, 5.0))
        builder.outcome(model, 0.2 * model, 2.5 * model, actual, features)


def big_hall(seed: int, n_tickets: int = 500, n_windows: int = 40) -> tuple[HallState, History]:
    """A synthetic busy hall and its history (deterministic for a seed)."""
    rnd = random.Random(seed)
    services = [f"S{i}" for i in range(8)]
    builder = HistoryBuilder()
    for day in range(3, 0, -1):
        start = NOW - timedelta(days=day, hours=1, minutes=30)
        for k in range(1200):
            sid = rnd.choice(services)
            issued = start + timedelta(minutes=rnd.uniform(0, 480))
            called = issued + timedelta(minutes=rnd.expovariate(1 / 20))
            done = called + timedelta(minutes=rnd.lognormvariate(1.8, 0.6))
            builder.issued(sid, issued, TicketClass.NORMAL)
            builder.called(sid, issued, called)
            builder.finished(sid, f"W{k % n_windows}", called, done)
    _feed_outcomes(builder, rnd)
    history = builder.snapshot(NOW)
    tickets = []
    for i in range(n_tickets):
        sid = rnd.choice(services)
        arrived = NOW - timedelta(minutes=rnd.uniform(0, 90))
        if i % 50 == 0:
            slot = NOW + timedelta(minutes=30 * (1 + i // 100))
            tickets.append(
                WaitingTicket(
                    f"t{i}",
                    sid,
                    TicketClass.APPOINTMENT,
                    slot,
                    i + 1,
                    slot_start=slot,
                    slot_end=slot + timedelta(minutes=30),
                    not_arrived=True,
                    arrival_probability=0.85,
                    expected_check_in=slot - timedelta(minutes=5),
                )
            )
            continue
        if i % 37 == 0:
            tickets.append(
                WaitingTicket(
                    f"t{i}",
                    sid,
                    TicketClass.NORMAL,
                    arrived,
                    i + 1,
                    not_arrived=True,
                    arrival_probability=0.7,
                    expected_check_in=NOW + timedelta(minutes=20),
                )
            )
            continue
        klass = TicketClass.GREEN if rnd.random() < 0.1 else TicketClass.NORMAL
        tickets.append(WaitingTicket(f"t{i}", sid, klass, arrived, i + 1))
    day_start, day_end = NOW - timedelta(hours=2), NOW + timedelta(hours=6)
    lunch = (NOW + timedelta(hours=1), NOW + timedelta(hours=2))
    windows = []
    for w in range(n_windows):
        hours: tuple[tuple[datetime, datetime], ...] = ((day_start, day_end),)
        if w % 4 == 0:
            hours = ((day_start, lunch[0]), (lunch[1], day_end))
        profile = {s: rnd.choice([1.0, 1.0, 2.0]) for s in rnd.sample(services, 3)}
        current = rnd.choice(list(profile))
        windows.append(
            WindowState(
                f"W{w}",
                profile,
                current_service_id=current,
                current_started_at=NOW - timedelta(minutes=rnd.uniform(0, 10)),
                hours=hours,
            )
        )
    state = HallState(tickets, windows, issuing_until=day_end, closes_at=day_end)
    return state, history


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run_speed(*, as_json: bool) -> int:
    halls = [big_hall(seed) for seed in range(4)]
    simulated: list[float] = []
    closed: list[float] = []
    for run in range(RUNS):
        state, history = halls[run % len(halls)]
        started = time.perf_counter()
        result = predict(state, history, NOW, rng_seed=run)
        simulated.append((time.perf_counter() - started) * 1000.0)
        assert len(result.tickets) == len(state.tickets)
        started = time.perf_counter()
        predict_closed_form(state, history, NOW)
        closed.append((time.perf_counter() - started) * 1000.0)
    out = {
        "tickets": len(halls[0][0].tickets),
        "windows": len(halls[0][0].windows),
        "runs": RUNS,
        "simulation_p50_ms": round(statistics.median(simulated), 2),
        "simulation_p95_ms": round(_percentile(simulated, 0.95), 2),
        "simulation_max_ms": round(max(simulated), 2),
        "closed_form_p50_ms": round(statistics.median(closed), 2),
        "closed_form_p95_ms": round(_percentile(closed, 0.95), 2),
    }
    if as_json:
        sys.stdout.write(json.dumps(out, separators=(",", ":")) + "\n")
    else:
        print(
            f"full refresh, {out['tickets']} waiting tickets, {out['windows']} windows, {RUNS} runs"
        )
        print(
            f"  simulation  p50 {out['simulation_p50_ms']:7.1f} ms   "
            f"p95 {out['simulation_p95_ms']:7.1f} ms   max {out['simulation_max_ms']:7.1f} ms"
        )
        print(
            f"  closed form p50 {out['closed_form_p50_ms']:7.1f} ms   "
            f"p95 {out['closed_form_p95_ms']:7.1f} ms"
        )
    return 0
