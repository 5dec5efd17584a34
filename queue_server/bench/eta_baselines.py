"""The predictors the benchmark scores: the product's and the published baselines (§8.4).

Every predictor sees the same :class:`Observation` (the hall as it is when the ticket
is issued, the history so far and a :class:`Tracker` of waits already realised) and
returns ``(minutes, low, high)``. Nothing here looks at the future.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from queue_server.domain.tickets import TicketClass
from queue_server.eta import HallState, History, WaitingTicket, WindowState, predict
from queue_server.eta.closed_form import gamma_interval, ql_abandon

Triple = tuple[float, float, float]

PREDICTORS = (
    "onevisit",
    "const_mean",
    "naive",
    "les",
    "hol",
    "last10",
    "ql_eff",
    "ql_abandon",
    "ql_schedule",
)
CONFORMAL = ("const_mean", "naive", "les", "hol", "last10")
"""History-type predictors get their range from their own past errors."""

DEFAULT_WAIT_MIN = 5.0


@dataclass
class Tracker:
    """Waits realised so far (in call order) and each window's recent mix of services."""

    waits: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    window_calls: dict[str, deque[str]] = field(default_factory=dict)
    residuals: dict[str, deque[float]] = field(default_factory=dict)
    model: dict[str, tuple[Triple, tuple[float, ...]]] = field(default_factory=dict)
    """The product's uncalibrated estimate and features per waiting ticket, fed back when
    it is called."""

    def on_call(self, service_id: str, wait_min: float, window_id: str) -> None:
        """A ticket of ``service_id`` was called by ``window_id`` after ``wait_min``."""
        self.waits[service_id].append(wait_min)
        self.window_calls.setdefault(window_id, deque(maxlen=20)).append(service_id)

    def on_actual(self, predictions: dict[str, Triple], actual: float) -> None:
        """The actual wait of a ticket is known: remember each predictor's error."""
        for name in CONFORMAL:
            if name in predictions:
                residuals = self.residuals.setdefault(name, deque(maxlen=400))
                residuals.append(actual - predictions[name][0])

    def share(self, window: WindowState, service_id: str) -> float:
        """The recent fraction of the window's calls that were ``service_id``."""
        calls = self.window_calls.get(window.window_id)
        if calls is None or len(calls) < 5:
            positive = [s for s, w in window.profile.items() if w > 0]
            return 1.0 / len(positive) if service_id in positive else 0.0
        return sum(1 for s in calls if s == service_id) / len(calls)


@dataclass(frozen=True)
class Observation:
    """What every predictor may use when ``ticket`` is issued at ``now``."""

    now: datetime
    ticket: WaitingTicket
    state: HallState
    history: History
    tracker: Tracker
    seed: int


def window_open(window: WindowState, now: datetime, closes_at: datetime | None) -> bool:
    """Whether the window calls at ``now`` by its planned hours (overtime after closing)."""
    if not window.hours:
        return True
    for a, b in window.hours:
        if a <= now < b:
            return True
        if closes_at is not None and a < closes_at <= b and now >= b:
            return True
    return False


@dataclass(frozen=True)
class _Queue:
    ahead: int
    people: int
    open_servers: int
    free: bool
    capacity: float
    theta: float
    mean_min: float
    pooled: bool


def _queue(obs: Observation) -> _Queue:
    """Tickets ahead and departure rate for QL (§2.1/§2.6).

    When every open window serving the ticket's service weighs its services equally,
    those services form one first-come-first-served pool: count every waiting ticket of
    the pool and give each window its full rate (its mean over its recent mix).
    Otherwise count the service's own tickets and give each window the share of its
    recent calls that went to the service.
    """
    t = obs.ticket
    k = t.service_id
    servers = [
        w
        for w in obs.state.windows
        if w.profile.get(k, 0.0) > 0 and window_open(w, obs.now, obs.state.closes_at)
    ]
    pooled = all(len(set(w.profile.values())) == 1 for w in servers)
    pool = {s for w in servers for s in w.profile} if pooled and servers else {k}
    others = [
        o
        for o in obs.state.tickets
        if o.service_id in pool and not o.not_arrived and o.ticket_id != t.ticket_id
    ]
    if t.ticket_class is TicketClass.NORMAL:
        ahead = len(others)
    else:
        ahead = sum(1 for o in others if o.ticket_class is not TicketClass.NORMAL)
    stats = obs.history.stats(k)
    capacity = 0.0
    free = False
    for w in servers:
        free = free or w.current_service_id is None
        capacity += _rate(obs, w, k, pooled)
    same = sum(1 for o in others if o.service_id == k)
    return _Queue(
        ahead,
        same,
        len(servers),
        free,
        capacity,
        stats.abandon_per_minute,
        stats.mean_seconds / 60.0,
        pooled,
    )


def _rate(obs: Observation, w: WindowState, k: str, pooled: bool) -> float:
    """Tickets per minute window ``w`` takes from the queue of ``k`` while busy."""
    if pooled:
        mean = 0.0
        for sid in w.profile:
            other = obs.history.stats(sid)
            factor = other.window_factor.get(w.window_id, 1.0)
            mean += obs.tracker.share(w, sid) * other.mean_seconds * factor / 60.0
        return 1.0 / mean if mean > 0 else 0.0
    stats = obs.history.stats(k)
    factor = stats.window_factor.get(w.window_id, 1.0)
    return obs.tracker.share(w, k) / (stats.mean_seconds * factor / 60.0)


def _conformal(obs: Observation, name: str, point: float) -> Triple:
    residuals = obs.tracker.residuals.get(name)
    if residuals is None or len(residuals) < 20:
        return point, 0.0, 2.0 * point + DEFAULT_WAIT_MIN
    lo, hi = np.quantile(np.fromiter(residuals, float), [0.05, 0.95])
    return point, max(0.0, point + float(lo)), max(point, point + float(hi))


def _past(obs: Observation) -> list[float]:
    return obs.tracker.waits.get(obs.ticket.service_id, [])


def const_mean(obs: Observation) -> Triple:
    waits = _past(obs)
    point = sum(waits) / len(waits) if waits else DEFAULT_WAIT_MIN
    return _conformal(obs, "const_mean", point)


def naive(obs: Observation) -> Triple:
    q = _queue(obs)
    point = q.people * q.mean_min / max(1, q.open_servers)
    return _conformal(obs, "naive", point)


def les(obs: Observation) -> Triple:
    waits = _past(obs)
    if not waits:
        return const_mean(obs)
    return _conformal(obs, "les", waits[-1])


def hol(obs: Observation) -> Triple:
    k = obs.ticket.service_id
    waiting = [
        o.arrived_at
        for o in obs.state.tickets
        if o.service_id == k and not o.not_arrived and o.ticket_id != obs.ticket.ticket_id
    ]
    point = (obs.now - min(waiting)).total_seconds() / 60.0 if waiting else les(obs)[0]
    return _conformal(obs, "hol", point)


def last10(obs: Observation) -> Triple:
    waits = _past(obs)[-10:]
    point = sum(waits) / len(waits) if waits else DEFAULT_WAIT_MIN
    return _conformal(obs, "last10", point)


def _gamma(mean: float, var: float) -> Triple:
    low, high = gamma_interval(mean, math.sqrt(max(var, 0.0)))
    return mean, low, high


def ql_eff(obs: Observation) -> Triple:
    q = _queue(obs)
    if q.free and q.ahead == 0:
        return 0.0, 0.0, 0.0
    if q.capacity <= 0:
        return ql_schedule(obs)
    return _gamma((q.ahead + 1) / q.capacity, (q.ahead + 1) / q.capacity**2)


def ql_abandon_predictor(obs: Observation) -> Triple:
    q = _queue(obs)
    if q.free and q.ahead == 0:
        return 0.0, 0.0, 0.0
    if q.capacity <= 0:
        return ql_schedule(obs)
    return _gamma(*ql_abandon(q.ahead, q.capacity, q.theta))


def gamma_quantile(shape: float, p: float) -> float:
    """Quantile of Gamma(shape, 1) (Wilson-Hilferty; exact for shape 1)."""
    if shape == 1.0:
        return -math.log1p(-p)
    z = _normal_quantile(p)
    h = 1.0 / (9.0 * shape)
    return shape * max(0.0, 1.0 - h + z * math.sqrt(h)) ** 3


def _normal_quantile(p: float) -> float:
    lo, hi = -8.0, 8.0
    for _ in range(60):
        mid = (lo + hi) / 2.0
        if 0.5 * (1.0 + math.erf(mid / math.sqrt(2.0))) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2.0


_MIDPOINTS = [(j + 0.5) / 24 for j in range(24)]
_Z_MID = [_normal_quantile(p) for p in _MIDPOINTS]


def ql_schedule(obs: Observation) -> Triple:
    """QL-TV: departures at the planned capacity ``s(u) mu`` over the coming hours."""
    q = _queue(obs)
    if q.free and q.ahead == 0:
        return 0.0, 0.0, 0.0
    k = obs.ticket.service_id
    grid = np.arange(0.0, 12 * 60.0 + 1.0, 1.0)
    rate = np.zeros_like(grid)
    for w in obs.state.windows:
        if w.profile.get(k, 0.0) <= 0:
            continue
        per_min = _rate(obs, w, k, q.pooled)
        if per_min <= 0:
            continue
        opened = np.array(
            [
                window_open(w, obs.now + timedelta(minutes=float(m)), obs.state.closes_at)
                for m in grid[::5]
            ]
        )
        rate += per_min * np.repeat(opened, 5)[: grid.size]
    cumulative = np.concatenate(([0.0], np.cumsum(rate[:-1])))
    if cumulative[-1] <= 0:
        return math.nan, math.nan, math.nan
    shape = q.ahead + 1.0

    def invert(level: float) -> float:
        return float(np.interp(level, cumulative, grid, right=grid[-1]))

    h = 1.0 / (9.0 * shape)
    levels = [shape * max(0.0, 1.0 - h + z * math.sqrt(h)) ** 3 for z in _Z_MID]
    if shape == 1.0:
        levels = [-math.log1p(-p) for p in _MIDPOINTS]
    mean = sum(invert(x) for x in levels) / len(levels)
    low = invert(gamma_quantile(shape, 0.05))
    high = invert(gamma_quantile(shape, 0.95))
    return mean, min(low, mean), max(high, mean)


def onevisit(obs: Observation) -> Triple:
    """The product's predictor: the hall run forward from now."""
    result = predict(obs.state, obs.history, obs.now, obs.seed, only=[obs.ticket.ticket_id])
    e = result.tickets[obs.ticket.ticket_id]
    raw = result.model[obs.ticket.ticket_id]
    features = result.features.get(obs.ticket.ticket_id, ())
    obs.tracker.model[obs.ticket.ticket_id] = ((raw.minutes, raw.low, raw.high), features)
    return e.minutes, e.low, e.high


BASELINES: dict[str, Callable[[Observation], Triple]] = {
    "onevisit": onevisit,
    "const_mean": const_mean,
    "naive": naive,
    "les": les,
    "hol": hol,
    "last10": last10,
    "ql_eff": ql_eff,
    "ql_abandon": ql_abandon_predictor,
    "ql_schedule": ql_schedule,
}
