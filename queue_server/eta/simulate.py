"""Run the hall forward from now, many times, with the real call order.

Each replication starts from the snapshot (who waits, what every window is doing and
for how long already), draws the rest of the current services from the observed
service times longer than the elapsed time, draws future walk-ins (their green share
included, since green tickets overtake), the remote and booked tickets that check in
(or not), people who leave, no-shows at the call, transfers to a second service, and
follows every window's planned hours (lunch breaks, staggered openings; a window that
is open at closing time serves the rest). Windows call with :class:`CallQueues`, the
exact twin of the domain's ``choose_next``. The replications' mean, corrected by a
control variate, is the estimate and their spread gives the 90% interval
(:mod:`.replications`).
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from queue_server.eta.chooser import APPOINTMENT, CLASS_CODE, GREEN, NO_SLOT, NORMAL, CallQueues
from queue_server.eta.draws import (
    ARRIVAL,
    GAP,
    LATE,
    OUTCOME,
    PATIENCE,
    RESIDUAL,
    SERVICE,
    TRANSFER,
    Draws,
)
from queue_server.eta.history import (
    History,
    ServiceStats,
    residual_mean,
    residual_patience,
    residual_sample,
)
from queue_server.eta.model import Estimate, HallState, Predictions, WindowMode
from queue_server.eta.replications import SMOOTH_BELOW, control_adjusted, pooled, summarise

EVENT_BUDGET = 4_000
"""Simulated calls per estimate across all replications (bounds the cost)."""

MIN_REPLICATIONS = 6
MAX_REPLICATIONS = 512
SETUP_SHARE = 4
"""A run costs at least a quarter of a call per waiting ticket: copying the queue into it is
work too, so a run that makes few calls in a long queue (an early ticket predicted alone,
a hall with every window closed) does not earn hundreds of replications."""
ARRIVAL_HORIZON_S = 4 * 3600.0
HORIZON_S = 16 * 3600.0
PAUSE_S = 10 * 60.0
CHECK_IN_SPREAD_S = 10 * 60.0

_FREE, _ARRIVE, _OPEN = 0, 1, 2


@dataclass
class _Service:
    samples: tuple[float, ...]
    mean: float
    draw_mean: float
    """The expected value of one drawn service time (the samples' mean)."""
    factors: dict[int, float]
    abandon_per_s: float
    hazard: tuple[float, ...]
    no_show: float
    no_show_s: float
    transfer: float
    transfer_to: list[tuple[float, int]]
    green: float
    rates: tuple[float, ...]


@dataclass
class _Initial:
    service: int
    klass: int
    arrived: float
    seq: int
    pinned: int
    slot_start: float
    slot_end: float
    check_in: float | None
    probability: float
    probe: bool = False


class _Model:
    """The snapshot turned into plain numbers (seconds from ``now``)."""

    def __init__(
        self, state: HallState, history: History, now: datetime, with_probes: bool
    ) -> None:
        self.now = now
        self.policy = state.policy
        ids: dict[str, int] = {}

        def code(service_id: str) -> int:
            return ids.setdefault(service_id, len(ids))

        def sec(at: datetime) -> float:
            return (at - now).total_seconds()

        window_ids = {w.window_id: i for i, w in enumerate(state.windows)}
        self.profiles = [{code(s): float(x) for s, x in w.profile.items()} for w in state.windows]
        close = sec(state.closes_at) if state.closes_at is not None else math.inf
        self.intervals: list[list[tuple[float, float]]] = []
        for w in state.windows:
            if w.mode is WindowMode.CLOSED:
                spans: list[tuple[float, float]] = []
            elif not w.hours:
                spans = [(-math.inf, math.inf)]
            else:
                spans = sorted((sec(a), sec(b)) for a, b in w.hours)
                spans = [(a, math.inf if a < close <= b else b) for a, b in spans]
            if w.mode is WindowMode.PAUSED:
                spans = [(max(a, PAUSE_S), b) for a, b in spans if b > PAUSE_S]
            self.intervals.append(spans)
        self.current: list[tuple[int, float, float] | None] = []
        for w in state.windows:
            if w.current_service_id is None:
                self.current.append(None)
                continue
            started = sec(w.current_started_at) if w.current_started_at else 0.0
            arrived = sec(w.current_arrived_at) if w.current_arrived_at else started
            self.current.append((code(w.current_service_id), -min(0.0, started), arrived))
        self.ticket_ids: list[str] = []
        self.initial: list[_Initial] = []
        max_seq = 0
        for t in state.tickets:
            max_seq = max(max_seq, t.issued_seq)
            pinned = window_ids.get(t.pinned_window_id, -2) if t.pinned_window_id else -1
            if pinned == -2:
                continue
            check_in: float | None = None
            if t.not_arrived:
                check_in = sec(t.expected_check_in) if t.expected_check_in else -1.0
            self.ticket_ids.append(t.ticket_id)
            self.initial.append(
                _Initial(
                    service=code(t.service_id),
                    klass=CLASS_CODE[t.ticket_class],
                    arrived=sec(t.arrived_at),
                    seq=t.issued_seq,
                    pinned=pinned,
                    slot_start=sec(t.slot_start) if t.slot_start else NO_SLOT,
                    slot_end=sec(t.slot_end) if t.slot_end else NO_SLOT,
                    check_in=check_in,
                    probability=min(1.0, max(0.0, t.arrival_probability)),
                )
            )
        served = sorted({s for p in state.windows for s in p.profile}) if with_probes else []
        self.probe_services = served
        for k, service_id in enumerate(served):
            self.initial.append(
                _Initial(
                    code(service_id),
                    NORMAL,
                    0.0,
                    max_seq + 1 + k,
                    -1,
                    NO_SLOT,
                    NO_SLOT,
                    None,
                    1.0,
                    probe=True,
                )
            )
        self.next_seq = max_seq + len(served) + 1
        for service_id in history.arrivals_per_hour:
            if any(service_id in p.profile for p in state.windows):
                code(service_id)
        self.service_ids = list(ids)
        self.services = [
            self._service(history.stats(s), history.arrivals_per_hour.get(s), window_ids, ids)
            for s in self.service_ids
        ]
        self.issuing_until = (
            sec(state.issuing_until) if state.issuing_until is not None else ARRIVAL_HORIZON_S
        )
        self.lag = max(0, sum(1 for spans in self.intervals if spans) - 1)
        """Calls between a ticket's call and its second control (see ``_replicate``)."""
        self.gaps = list(history.call_gaps)
        self.gap_mean = math.fsum(self.gaps) / len(self.gaps) if self.gaps else 0.0
        local = now.astimezone(history.tz)
        self.hour0 = local.hour
        self.hour_offset = -(local.minute * 60 + local.second + local.microsecond / 1e6)

    @staticmethod
    def _service(
        stats: ServiceStats,
        rates: tuple[float, ...] | None,
        window_ids: dict[str, int],
        ids: dict[str, int],
    ) -> _Service:
        transfer_to: list[tuple[float, int]] = []
        total = 0.0
        for service_id, share in stats.transfer_to.items():
            if service_id in ids:
                total += share
                transfer_to.append((total, ids[service_id]))
        return _Service(
            samples=stats.samples,
            mean=stats.mean_seconds,
            draw_mean=math.fsum(stats.samples) / len(stats.samples)
            if stats.samples
            else stats.mean_seconds,
            factors={window_ids[w]: f for w, f in stats.window_factor.items() if w in window_ids},
            abandon_per_s=stats.abandon_per_minute / 60.0,
            hazard=stats.leave_hazard,
            no_show=stats.no_show_share,
            no_show_s=stats.no_show_seconds,
            transfer=stats.transfer_share * (total > 0),
            transfer_to=transfer_to,
            green=stats.green_share,
            rates=rates if rates is not None else (0.0,) * 24,
        )

    def callable_at(self, window: int, t: float) -> bool:
        for a, b in self.intervals[window]:  # noqa: SIM110 - a loop is faster here
            if a <= t < b:
                return True
        return False


def _normal_overtakes(model: _Model) -> list[bool]:
    """Whether a normal walk-in of each service can be called before a waiting ticket.

    It can only where some window weighs its service more than another service it
    serves (its score then grows faster). Elsewhere it queues behind everyone already
    there and the simulation leaves it out, unless tickets will still join with an
    earlier arrival time (remote check-ins, appointments, transfers), which could find
    the windows busy with such walk-ins.
    """
    late_joiners = any(i.check_in is not None for i in model.initial) or any(
        s.transfer > 0 for s in model.services
    )
    out = [late_joiners] * len(model.services)
    for profile in model.profiles:
        for service, weight in profile.items():
            if weight > 0 and any(w < weight for s, w in profile.items() if s != service):
                out[service] = True
    return out


class _ArrivalStream:
    """Future walk-ins as one merged Poisson stream, piecewise constant per local hour."""

    def __init__(self, model: _Model) -> None:
        self.end = min(model.issuing_until, ARRIVAL_HORIZON_S)
        self.segments: list[tuple[float, float, list[tuple[float, int, float]]]] = []
        start = 0.0
        stop = model.hour_offset + 3600.0
        hour = model.hour0
        overtakes = _normal_overtakes(model)
        while start < self.end:
            mix: list[tuple[float, int, float]] = []
            total = 0.0
            for code, svc in enumerate(model.services):
                rate = svc.rates[hour % 24] / 3600.0
                green = svc.green
                if not overtakes[code]:
                    # Only its green tickets can get ahead of anyone already waiting.
                    rate *= green
                    green = 1.0
                if rate > 0:
                    total += rate
                    mix.append((total, code, green))
            self.segments.append((min(stop, self.end), total, mix))
            start = stop
            stop += 3600.0
            hour += 1

    def next_after(self, t: float, rnd: Draws) -> tuple[float, int, int] | None:
        """The first arrival after ``t``: (time, service, class), or None."""
        for seg_end, total, mix in self.segments:
            if seg_end <= t:
                continue
            if total <= 0:
                t = seg_end
                continue
            candidate = t + rnd.expovariate(total, ARRIVAL)
            if candidate >= seg_end:
                t = seg_end
                continue
            u = rnd.random(ARRIVAL) * total
            for cumulative, code, green in mix:
                if u < cumulative:
                    return candidate, code, GREEN if rnd.random(ARRIVAL) < green else NORMAL
            _, code, green = mix[-1]
            return candidate, code, GREEN if rnd.random(ARRIVAL) < green else NORMAL
        return None


class _Template:
    """The initial queues, built once and copied for every replication."""

    def __init__(self, model: _Model) -> None:
        self.queues = CallQueues(model.policy, model.profiles, len(model.services))
        self.index: list[int] = []
        self.late: list[int] = []
        for k, ini in enumerate(model.initial):
            if ini.check_in is None:
                self.index.append(
                    self.queues.add(
                        ini.service,
                        ini.klass,
                        ini.arrived,
                        ini.seq,
                        pinned=ini.pinned,
                        slot_start=ini.slot_start,
                        slot_end=ini.slot_end,
                    )
                )
            else:
                self.index.append(-1)
                self.late.append(k)
        self.stream = _ArrivalStream(model)
        self.servers: list[list[int]] = [[] for _ in model.services]
        for w, profile in enumerate(model.profiles):
            for service in profile:
                self.servers[service].append(w)
        self.residual_means: list[float] = []
        prefixes: dict[int, list[float]] = {}
        for w, cur in enumerate(model.current):
            if cur is None:
                self.residual_means.append(0.0)
                continue
            svc = model.services[cur[0]]
            prefix = prefixes.get(cur[0])
            if prefix is None:
                prefix = prefixes[cur[0]] = list(itertools.accumulate(svc.samples, initial=0.0))
            expected = residual_mean(svc.samples, cur[1], svc.mean, prefix)
            self.residual_means.append(expected * svc.factors.get(w, 1.0))


def _replicate(
    model: _Model,
    template: _Template,
    rnd: Draws,
    tracked: Sequence[int],
    immortal: Collection[int],
) -> tuple[list[float], list[tuple[float, float]], int]:
    """One run: each initial ticket's call time (seconds, NaN if never), its controls,
    and the run's cost in calls.

    The work drawn so far (remaining and new service times, pauses between calls)
    minus its expectation under the simulation's own sampling has expectation exactly
    zero at any call (every draw is centred on what was known when it was made;
    optional stopping), while runs that drew long services call late. A ticket's two
    controls are that value at its own call and ``model.lag`` calls earlier (the
    services started in between are mostly still running when it is called, so they
    barely move its wait). :func:`.replications.control_adjusted` uses them to take most of the
    sampling noise out of the mean.
    """
    n_windows = len(model.profiles)
    queues = template.queues.copy()
    services = model.services
    servers = template.servers
    initial = model.initial
    n_initial = len(initial)
    called = [math.nan] * n_initial
    call_number = [0] * n_initial
    work = 0.0
    work_log: list[float] = []
    origin = list(template.index)
    by_index: dict[int, int] = {idx: k for k, idx in enumerate(origin) if idx >= 0}
    is_probe = [ini.probe for ini in initial]
    scheduled = [idx >= 0 for idx in origin]
    events: list[tuple[float, int, int, int]] = []
    counter = 0
    deadline = queues.deadline
    for k, idx in enumerate(origin):
        if idx < 0 or k in immortal:
            continue
        ini = initial[k]
        rate = services[ini.service].abandon_per_s
        if rate > 0 and not ini.probe and ini.klass != APPOINTMENT:
            hazard = services[ini.service].hazard
            if hazard:
                deadline[idx] = residual_patience(
                    hazard, max(0.0, -ini.arrived), rnd.random(PATIENCE)
                )
            else:
                deadline[idx] = rnd.expovariate(rate, PATIENCE)
    for k in template.late:
        ini = initial[k]
        if k not in immortal and rnd.random(LATE) >= ini.probability:
            continue
        scheduled[k] = True
        at = ini.check_in if ini.check_in is not None and ini.check_in >= 0 else -1.0
        if at < 0:
            at = rnd.random(LATE) * CHECK_IN_SPREAD_S
        counter += 1
        events.append((at, counter, _ARRIVE, k))
    stream = template.stream
    upcoming = stream.next_after(0.0, rnd)
    if upcoming is not None:
        counter += 1
        events.append((upcoming[0], counter, _ARRIVE, -1))
    for w, spans in enumerate(model.intervals):
        for a, _ in spans:
            if 0 < a < HORIZON_S:
                counter += 1
                events.append((a, counter, _OPEN, w))
    running: list[tuple[int, float]] = [(-1, 0.0)] * n_windows
    idle: list[bool] = [True] * n_windows
    for w, cur in enumerate(model.current):
        if cur is None:
            continue
        service, elapsed, arrived = cur
        svc = services[service]
        left = residual_sample(svc.samples, elapsed, rnd.random(RESIDUAL), svc.mean)
        left *= svc.factors.get(w, 1.0)
        work += left - template.residual_means[w]
        counter += 1
        events.append((left, counter, _FREE, w))
        running[w] = (service, arrived)
        idle[w] = False
    heapq.heapify(events)
    remaining = sum(1 for k in tracked if scheduled[k])
    tracked_set = set(tracked)
    ghosts: list[list[int]] = [[] for _ in services]
    calls = 0
    next_seq = model.next_seq
    gaps = model.gaps
    gap_mean = model.gap_mean

    def settle(k: int, t: float) -> None:
        nonlocal remaining
        if math.isnan(called[k]):
            called[k] = t
            call_number[k] = calls
            if k in tracked_set:
                remaining -= 1

    def flush_ghosts(t: float, index: int) -> None:
        if queues.left:
            for g in queues.left:
                if g in by_index:
                    ghosts[queues.service[g]].append(g)
            queues.left.clear()
        service = queues.service[index]
        pending = ghosts[service]
        if pending:
            key = (queues.arrived[index], queues.seq[index])
            keep = []
            for g in pending:
                if (queues.arrived[g], queues.seq[g]) < key:
                    settle(by_index[g], t)
                else:
                    keep.append(g)
            ghosts[service] = keep

    always = [spans == [(-math.inf, math.inf)] for spans in model.intervals]

    def try_call(w: int, t: float) -> None:
        nonlocal counter, calls, work
        if not always[w] and not model.callable_at(w, t):
            idle[w] = True
            return
        while True:
            index, _ = queues.choose(w, t)
            if index < 0:
                idle[w] = True
                return
            queues.take(index)
            calls += 1
            work_log.append(work)
            if queues.left or ghosts[queues.service[index]]:
                flush_ghosts(t, index)
            k = by_index.get(index, -1)
            if k >= 0:
                settle(k, t)
                if is_probe[k]:
                    continue
            service = queues.service[index]
            svc = services[service]
            if svc.no_show > 0 and rnd.random(OUTCOME) < svc.no_show:
                duration = svc.no_show_s
                running[w] = (-1, 0.0)
            else:
                samples = svc.samples
                if samples:
                    duration = samples[int(rnd.random(SERVICE) * len(samples))]
                else:
                    duration = rnd.expovariate(1.0 / svc.mean, SERVICE)
                factor = svc.factors.get(w, 1.0) if svc.factors else 1.0
                duration *= factor
                work += duration - svc.draw_mean * factor
                running[w] = (service, queues.arrived[index])
            if gaps:
                gap = gaps[int(rnd.random(GAP) * len(gaps))]
                work += gap - gap_mean
                duration += gap
            counter += 1
            heapq.heappush(events, (t + duration, counter, _FREE, w))
            idle[w] = False
            return

    for w in range(n_windows):
        if idle[w]:
            try_call(w, 0.0)
    while events and remaining > 0:
        t, _, kind, data = heapq.heappop(events)
        if t > HORIZON_S:
            break
        if kind == _FREE:
            w = data
            service, arrived = running[w]
            running[w] = (-1, 0.0)
            if service >= 0:
                svc = services[service]
                if svc.transfer > 0 and rnd.random(TRANSFER) < svc.transfer:
                    u = rnd.random(TRANSFER)
                    target = next((c for p, c in svc.transfer_to if u < p), svc.transfer_to[-1][1])
                    next_seq += 1
                    keep = model.policy.keep_arrival_on_transfer
                    queues.add(target, NORMAL, arrived if keep else t, next_seq)
            try_call(w, t)
            continue
        if kind == _OPEN:
            if idle[data]:
                try_call(data, t)
            continue
        candidates: Sequence[int]
        if data >= 0:
            ini = initial[data]
            idx = queues.add(
                ini.service,
                ini.klass,
                ini.arrived,
                ini.seq,
                pinned=ini.pinned,
                slot_start=ini.slot_start,
                slot_end=ini.slot_end,
            )
            origin[data] = idx
            by_index[idx] = data
            candidates = range(n_windows) if ini.pinned >= 0 else servers[ini.service]
        else:
            assert upcoming is not None
            _, service, klass = upcoming
            next_seq += 1
            svc = services[service]
            leave = math.inf
            if svc.hazard:
                leave = t + residual_patience(svc.hazard, 0.0, rnd.random(PATIENCE))
            elif svc.abandon_per_s > 0:
                leave = t + rnd.expovariate(svc.abandon_per_s, PATIENCE)
            queues.add(service, klass, t, next_seq, deadline=leave)
            candidates = servers[service]
            upcoming = stream.next_after(t, rnd)
            if upcoming is not None:
                counter += 1
                heapq.heappush(events, (upcoming[0], counter, _ARRIVE, -1))
        for w in candidates:
            if idle[w]:
                try_call(w, t)
    lag = model.lag
    controls = [
        (work_log[j - 1], work_log[max(0, j - 1 - lag)]) if j > 0 else (0.0, 0.0)
        for j in call_number
    ]
    return called, controls, calls


def simulate(
    state: HallState,
    history: History,
    now: datetime,
    rng_seed: int | None = None,
    *,
    only: Collection[str] | None = None,
    replications: int | None = None,
) -> Predictions:
    """The simulation predictor; ``only`` restricts the work to some tickets."""
    model = _Model(state, history, now, with_probes=only is None)
    rnd = Draws(random.Random(rng_seed))
    if only is not None:
        wanted = set(only)
        tracked = [k for k, tid in enumerate(model.ticket_ids) if tid in wanted]
        immortal: Collection[int] = set(tracked)
    else:
        tracked = list(range(len(model.initial)))
        immortal = ()
    template = _Template(model)
    runs: list[list[float]] = []
    controls: list[list[tuple[float, float]]] = []
    rnd.start(mirror=False)
    first, control, cost = _replicate(model, template, rnd, tracked, immortal)
    runs.append(first)
    controls.append(control)
    if replications is None:
        cost = max(cost, len(model.initial) // SETUP_SHARE)
        replications = EVENT_BUDGET // max(1, cost)
        replications = min(MAX_REPLICATIONS, max(MIN_REPLICATIONS, replications))
        replications += replications % 2
    while len(runs) < replications:
        rnd.start(mirror=len(runs) % 2 == 1)
        called, control, _ = _replicate(model, template, rnd, tracked, immortal)
        runs.append(called)
        controls.append(control)
    matrix = np.array(runs, dtype=float)[:, tracked]
    means = control_adjusted(matrix, np.array(controls, dtype=float)[:, tracked])
    tickets: dict[str, Estimate] = {}
    services: dict[str, Estimate] = {}
    n_real = len(model.ticket_ids)
    if len(runs) < SMOOTH_BELOW and len(tracked) > 1:
        estimates = pooled(matrix, means)
    else:
        estimates = [summarise(matrix[:, j], float(means[j])) for j in range(len(tracked))]
    for k, estimate in zip(tracked, estimates, strict=True):
        if k < n_real:
            tickets[model.ticket_ids[k]] = estimate
        else:
            services[model.probe_services[k - n_real]] = estimate
    return Predictions(tickets=tickets, services=services, method="simulation")
