"""The cheap fall-back: queue length over effective capacity, with people leaving (QL_m).

For a ticket of service k with n tickets called before it (its position in the call
order of the open window that weighs k most, counting tickets of k and priority
tickets of other services), departures come at rate ``c_k = sum_w f_wk / m_wk`` (each
window's share ``f_wk`` of k by weight x demand, ``m_wk`` its mean service time) and
each ticket ahead leaves at rate ``theta``. The wait is then a sum of exponentials with
rates ``c_k + i*theta``; its mean and variance give a Gamma-shaped 90% interval.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime

from queue_server.domain.call_order import Candidate, rank
from queue_server.domain.tickets import TicketClass
from queue_server.eta.history import History
from queue_server.eta.model import Estimate, HallState, Predictions, WaitingTicket, WindowMode

Z90 = 1.6448536269514722
"""The 95% point of the standard normal."""


def ql_abandon(n_ahead: int, capacity_per_min: float, theta_per_min: float) -> tuple[float, float]:
    """Mean and variance (minutes) of the wait behind ``n_ahead`` tickets (QL_m)."""
    if capacity_per_min <= 0:
        return math.inf, math.inf
    if theta_per_min <= 0:
        return (n_ahead + 1) / capacity_per_min, (n_ahead + 1) / capacity_per_min**2
    mean = var = 0.0
    for i in range(n_ahead + 1):
        rate = capacity_per_min + i * theta_per_min
        mean += 1.0 / rate
        var += 1.0 / rate**2
    return mean, var


def gamma_interval(mean: float, sd: float) -> tuple[float, float]:
    """5% and 95% quantiles of a Gamma with this mean and sd (Wilson-Hilferty)."""
    if mean <= 0:
        return 0.0, 0.0
    if sd <= 1e-9:
        return mean, mean
    shape = (mean / sd) ** 2
    scale = mean / shape
    if shape < 1.0:
        low = scale * (0.05 * math.gamma(shape + 1.0)) ** (1.0 / shape)
        h = 1.0 / (9.0 * max(shape, 0.3))
        high = shape * scale * max(0.0, 1.0 - h + Z90 * math.sqrt(h)) ** 3
        return low, max(high, mean)
    h = 1.0 / (9.0 * shape)
    low = shape * scale * max(0.0, 1.0 - h - Z90 * math.sqrt(h)) ** 3
    high = shape * scale * (1.0 - h + Z90 * math.sqrt(h)) ** 3
    return low, high


def gamma_bounds(mean: float, var: float) -> tuple[float, float]:
    """A 90% interval of a Gamma with this mean and variance."""
    return gamma_interval(mean, math.sqrt(max(var, 0.0)))


def _open_now(state: HallState, now: datetime) -> list[int]:
    open_windows = []
    for i, w in enumerate(state.windows):
        if w.mode is not WindowMode.OPEN:
            continue
        if not w.hours or any(a <= now < b for a, b in w.hours):
            open_windows.append(i)
    return open_windows


def _candidate(t: WaitingTicket) -> Candidate:
    return Candidate(
        ticket_id=t.ticket_id,
        service_id=t.service_id,
        ticket_class=t.ticket_class,
        arrived_at=t.arrived_at,
        issued_seq=t.issued_seq,
        pinned_window_id=t.pinned_window_id,
        slot_start=t.slot_start,
        slot_end=t.slot_end,
    )


def predict_closed_form(state: HallState, history: History, now: datetime) -> Predictions:
    """QL_m estimates for every waiting ticket and every service; no random numbers."""
    open_windows = _open_now(state, now)
    if not open_windows:
        open_windows = [i for i, w in enumerate(state.windows) if w.mode is not WindowMode.CLOSED]
    hour = now.astimezone(history.tz).hour
    demand: dict[str, float] = {}
    for service_id, rates in history.arrivals_per_hour.items():
        demand[service_id] = max(rates[hour], 0.1)
    capacity: dict[str, float] = defaultdict(float)
    best_window: dict[str, tuple[float, int]] = {}
    for i in open_windows:
        w = state.windows[i]
        weights = {s: x for s, x in w.profile.items() if x > 0}
        total = sum(x * demand.get(s, 1.0) for s, x in weights.items())
        for s, x in weights.items():
            stats = history.stats(s)
            factor = stats.window_factor.get(w.window_id, 1.0)
            share = x * demand.get(s, 1.0) / total if total > 0 else 0.0
            capacity[s] += share / (stats.mean_seconds * factor / 60.0)
            if s not in best_window or x > best_window[s][0]:
                best_window[s] = (x, i)
    busy = sum(1 for i in open_windows if state.windows[i].current_service_id is not None)
    free = len(open_windows) - busy
    arrived = [t for t in state.tickets if not t.not_arrived]
    orders: dict[int, list[str]] = {}
    for _, i in best_window.values():
        if i not in orders:
            w = state.windows[i]
            ranked = rank(w.window_id, w.profile, map(_candidate, arrived), now, state.policy)
            orders[i] = [d.ticket_id for d in ranked]
    by_id = {t.ticket_id: t for t in state.tickets}
    tickets: dict[str, Estimate] = {}
    for t in state.tickets:
        entry = best_window.get(t.service_id)
        if entry is None:
            tickets[t.ticket_id] = Estimate(math.nan, math.nan, math.nan)
            continue
        order = orders[entry[1]]
        ahead = 0
        for tid in order:
            if tid == t.ticket_id:
                break
            other = by_id[tid]
            if other.service_id == t.service_id or other.ticket_class is not TicketClass.NORMAL:
                ahead += 1
        if t.not_arrived and t.ticket_id not in order:
            ahead = sum(1 for o in arrived if o.service_id == t.service_id)
        tickets[t.ticket_id] = _estimate(ahead, free, capacity[t.service_id], history, t.service_id)
    services: dict[str, Estimate] = {}
    for s in best_window:
        waiting = sum(1 for t in arrived if t.service_id == s)
        services[s] = _estimate(waiting, free, capacity[s], history, s)
    return Predictions(tickets=tickets, services=services, method="closed_form")


def _estimate(
    ahead: int, free: int, capacity: float, history: History, service_id: str
) -> Estimate:
    if ahead < free:
        return Estimate(0.0, 0.0, 0.0)
    theta = history.stats(service_id).abandon_per_minute
    mean, var = ql_abandon(ahead - free, capacity, theta)
    if not math.isfinite(mean):
        return Estimate(math.nan, math.nan, math.nan)
    low, high = gamma_bounds(mean, var)
    return Estimate(mean, low, high)
