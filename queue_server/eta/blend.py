"""A point correction learnt from the hall's own outcomes: the simulation plus simple state.

The simulation is exact for its own model; a real hall does things it does not know
(clerks pausing, priority callers who are more frequent at some hours). Where that
shows, the actual waits still follow cheap facts about the state at issue: people
ahead, how long the head of the line has waited, the last waits of the service. Each
ticket's :data:`FEATURES` are kept with its estimate; when it is called, the pair
(features, actual wait) joins the history (``History.feature_outcomes``).

:func:`fit_blend` fits a ridge regression of the actual wait on the features over the
recent outcomes and keeps it only when it beats the plain simulation estimate on the
most recent ones it was not fitted on (by :data:`MARGIN`); otherwise the simulation
estimate stands. Everything is fitted from the hall's own history, nothing is tuned
per hall.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np

from queue_server.domain.tickets import TicketClass
from queue_server.eta.history import History
from queue_server.eta.model import HallState, WaitingTicket, WindowMode

FEATURES = (
    "model_minutes",
    "people_ahead",
    "head_wait_minutes",
    "last_wait_minutes",
    "recent_wait_minutes",
    "capacity_minutes",
    "priority",
    "priority_model_minutes",
    "hall_waiting",
    "priority_ahead",
)
"""What is kept per ticket, in this order (minutes, counts, and 0/1 for a priority ticket).

``people_ahead`` counts checked-in tickets of the same service that came earlier,
``hall_waiting`` every checked-in ticket, ``priority_ahead`` the checked-in priority
tickets of any service that came earlier (they can overtake)."""

MIN_OUTCOMES = 1000
"""Below this many outcomes with features, the simulation estimate is used as it is
(with fewer, a blend that won on the early blocks was seen to lose afterwards)."""
FOLDS = 4
"""Consecutive blocks of outcomes; the blend is tested on each block after the first."""
MARGIN = 0.02
"""The blend must cut the RMSE on the tested blocks by at least this fraction."""
RIDGE = 0.01
"""Penalty per outcome on the standardised weights (all but the intercept)."""


@dataclass(frozen=True)
class Blend:
    """A fitted correction: ``max(0, w0 + sum w_i * feature_i)``, taken ``share`` of the
    way from the simulation estimate (feature 0).

    Every feature but the simulation estimate is first held inside the range it had
    in the outcomes the blend was fitted on (``lows``/``highs``): a linear fit says
    nothing about a queue longer than any it has seen, so it does not extrapolate.
    """

    weights: tuple[float, ...]
    lows: tuple[float, ...]
    highs: tuple[float, ...]
    share: float = 1.0

    def apply(self, features: Sequence[float]) -> float:
        """The corrected estimate in minutes (never negative)."""
        value = self.weights[0] + self.weights[1] * features[0]
        for i in range(1, len(features)):
            held = min(max(features[i], self.lows[i]), self.highs[i])
            value += self.weights[i + 1] * held
        model = features[0]
        return max(0.0, model + self.share * (max(0.0, value) - model))

    def apply_all(self, x: np.ndarray) -> np.ndarray:
        """:meth:`apply` with the full correction (``share`` 1) for each row of a matrix."""
        held = np.clip(x, np.asarray(self.lows), np.asarray(self.highs))
        held[:, 0] = x[:, 0]
        values: np.ndarray = np.maximum(0.0, held @ np.asarray(self.weights[1:]) + self.weights[0])
        return values


def _fit(x: np.ndarray, y: np.ndarray) -> Blend:
    weights = _solve(x, y)
    return Blend(
        tuple(float(w) for w in weights),
        tuple(float(v) for v in x.min(axis=0)),
        tuple(float(v) for v in x.max(axis=0)),
    )


def _solve(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Ridge weights (intercept first) on standardised columns, back in raw units.

    The penalty pulls towards the simulation estimate itself (weight 1 on column 0,
    0 elsewhere), not towards zero: with little evidence the blend stays the model.
    """
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = (x - mean) / scale
    residual = y - x[:, 0]
    gram = z.T @ z + RIDGE * len(y) * np.eye(z.shape[1])
    w = np.linalg.solve(gram, z.T @ (residual - residual.mean()))
    raw = w / scale
    raw[0] += 1.0
    return np.concatenate(([y.mean() - float(mean @ raw)], raw))


def fit_blend(
    outcomes: Sequence[tuple[tuple[float, ...], float, float, float]],
) -> Blend | None:
    """The correction fitted on recent outcomes, or None when it does not help.

    ``outcomes`` are ``History.feature_outcomes`` (features, low, high, actual wait),
    oldest first. Waits of neighbouring tickets are strongly correlated, so one
    held-out split says little: the outcomes are cut into :data:`FOLDS` consecutive
    blocks and each block after the first is predicted by a blend fitted on everything
    before it. The blend must beat the simulation estimate (feature 0) on every one of
    those blocks and, over them together, cut its RMSE by :data:`MARGIN` (winning on
    the blocks together only was seen to let through blends that then lost). The
    blend used is refitted on everything and moves the estimate only the share of the
    way that did best on those blocks (the least-squares mix of the two, in [0, 1]).
    """
    rows = [(f, a) for f, _, _, a in outcomes if len(f) == len(FEATURES) and math.isfinite(a)]
    if len(rows) < MIN_OUTCOMES:
        return None
    x = np.array([f for f, _ in rows], dtype=float)
    y = np.array([a for _, a in rows], dtype=float)
    if not np.isfinite(x).all():
        return None
    edges = [len(y) * k // FOLDS for k in range(FOLDS + 1)]
    blend_sq = model_sq = moved = gained = 0.0
    for start, end in itertools.pairwise(edges[1:]):
        model, actual = x[start:end, 0], y[start:end]
        blended = _fit(x[:start], y[:start]).apply_all(x[start:end])
        fold_blend = float(np.sum((blended - actual) ** 2))
        fold_model = float(np.sum((model - actual) ** 2))
        if fold_blend >= fold_model:
            return None
        blend_sq += fold_blend
        model_sq += fold_model
        moved += float(np.sum((blended - model) ** 2))
        gained += float(np.sum((blended - model) * (actual - model)))
    if math.sqrt(blend_sq) > (1.0 - MARGIN) * math.sqrt(model_sq):
        return None
    share = min(1.0, max(0.0, gained / moved)) if moved > 0 else 0.0
    return replace(_fit(x, y), share=share)


def _minutes(seconds: float) -> float:
    return max(0.0, seconds) / 60.0


def _capacity_per_minute(state: HallState, now: datetime, service_id: str, mean_s: float) -> float:
    """Tickets per minute the windows open now could call for one service (0 if none)."""
    count = 0
    for w in state.windows:
        if w.mode is not WindowMode.OPEN or w.profile.get(service_id, 0.0) <= 0:
            continue
        if w.hours and not any(a <= now < b for a, b in w.hours):
            continue
        count += 1
    return count * 60.0 / max(mean_s, 1.0)


def state_features(
    state: HallState,
    history: History,
    now: datetime,
    model_minutes: Mapping[str, float],
    service_minutes: Mapping[str, float],
) -> tuple[dict[str, tuple[float, ...]], dict[str, tuple[float, ...]]]:
    """The :data:`FEATURES` of each estimated ticket and of a new arrival per service."""
    lines: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    for t in state.tickets:
        if not t.not_arrived:
            lines[t.service_id].append((t.arrived_at, t.issued_seq))
    for line in lines.values():
        line.sort()
    priority_arrivals = sorted(
        t.arrived_at for t in state.tickets if not t.not_arrived and _priority(t)
    )
    waiting = float(sum(len(line) for line in lines.values()))
    capacity: dict[str, float] = {}

    def features(
        service_id: str, ahead: int, priority: bool, model: float, arrived: datetime
    ) -> tuple[float, ...]:
        line = lines.get(service_id, [])
        head = _minutes((now - line[0][0]).total_seconds()) if ahead > 0 and line else 0.0
        waits = history.recent_waits.get(service_id, ())
        if service_id not in capacity:
            mean_s = history.stats(service_id).mean_seconds
            capacity[service_id] = _capacity_per_minute(state, now, service_id, mean_s)
        rate = capacity[service_id]
        flag = 1.0 if priority else 0.0
        return (
            model,
            float(ahead),
            head,
            waits[-1] if waits else 0.0,
            sum(waits) / len(waits) if waits else 0.0,
            (ahead + 1) / rate if rate > 0 else 0.0,
            flag,
            flag * model,
            waiting,
            float(bisect.bisect_left(priority_arrivals, arrived)),
        )

    by_ticket = {t.ticket_id: t for t in state.tickets}
    tickets = {}
    for ticket_id, model in model_minutes.items():
        t = by_ticket[ticket_id]
        ahead = _ahead(lines, t)
        tickets[ticket_id] = features(t.service_id, ahead, _priority(t), model, t.arrived_at)
    services = {
        service_id: features(service_id, len(lines.get(service_id, [])), False, model, now)
        for service_id, model in service_minutes.items()
    }
    return tickets, services


def _ahead(lines: Mapping[str, list[tuple[datetime, int]]], ticket: WaitingTicket) -> int:
    line = lines.get(ticket.service_id, [])
    return bisect.bisect_left(line, (ticket.arrived_at, ticket.issued_seq))


def _priority(ticket: WaitingTicket) -> bool:
    return ticket.ticket_class is not TicketClass.NORMAL


def finite(values: Iterable[float]) -> bool:
    """Whether every value is a finite number."""
    return all(math.isfinite(v) for v in values)
