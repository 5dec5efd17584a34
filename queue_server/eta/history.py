"""What the past says: service times, arrival rates, no-shows, people leaving, transfers.

Everything here is built from events strictly before ``now``; :func:`build_history`
drops any timestamp at or after ``now`` before it looks at a record, so a caller cannot
leak the future by accident.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo

from queue_server.domain.tickets import TicketClass

MAX_SAMPLES = 400
"""Service times per service whose mean is the current mean (the most recent ones)."""
SHAPE_SAMPLES = 2000
"""Service times per service whose distribution, scaled to the current mean, is what
the simulation draws from: its shape is steadier than its scale, and a few hundred
samples leave enough noise in the shape to bias the simulated waits."""
MAX_OUTCOMES = 500
"""Recent estimate/actual pairs kept to calibrate the ranges."""
MAX_FEATURE_OUTCOMES = 2000
"""Recent (features, actual) pairs kept to fit the point correction (:mod:`.blend`)."""
RECENT_WAITS = 10
"""Last waits kept per service (the last one and their mean are blend features)."""

DEFAULT_SERVICE_MINUTES = 8.0
DEFAULT_NO_SHOW_MINUTES = 2.0


@dataclass(frozen=True)
class TicketRecord:
    """One past ticket, as the event log tells it.

    ``status`` is the final status: ``done``, ``no_show``, ``cancelled`` (left before
    the call; ``finished_at`` is when it left) or ``lapsed``. A transferred ticket
    is recorded as ``done`` for its first service with ``transferred_to`` set.
    """

    service_id: str
    window_id: str | None
    issued_at: datetime
    called_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    status: str
    ticket_class: TicketClass = TicketClass.NORMAL
    transferred_to: str | None = None


@dataclass(frozen=True)
class ServiceStats:
    """Service-time samples (seconds, sorted; the mean is ``mean_seconds``) and
    per-service rates."""

    samples: tuple[float, ...]
    mean_seconds: float
    window_factor: Mapping[str, float] = field(default_factory=dict)
    abandon_per_minute: float = 0.0
    leave_hazard: tuple[float, ...] = ()
    """Leaving rate per second by time already waited (bins of ``HAZARD_EDGES_S``)."""
    no_show_share: float = 0.0
    no_show_seconds: float = DEFAULT_NO_SHOW_MINUTES * 60.0
    transfer_share: float = 0.0
    transfer_to: Mapping[str, float] = field(default_factory=dict)
    green_share: float = 0.0


@dataclass(frozen=True)
class History:
    """The statistics the predictor needs, as of one instant.

    ``arrivals_per_hour[service][h]`` is the expected walk-in arrival rate (per hour)
    in local hour ``h`` (0-23) of today, already scaled by how busy today has been.
    """

    services: Mapping[str, ServiceStats]
    arrivals_per_hour: Mapping[str, tuple[float, ...]]
    tz: tzinfo = UTC
    call_gaps: tuple[float, ...] = ()
    """Seconds a window took to call the next ticket after finishing, while tickets waited."""
    outcomes: tuple[tuple[float, float, float, float], ...] = ()
    """Recent (model estimate, low, high, actual wait) in minutes, oldest first."""
    feature_outcomes: tuple[tuple[tuple[float, ...], float, float, float], ...] = ()
    """Recent (features at issue, model low, model high, actual wait), oldest first.

    Only outcomes fed with their features; see :mod:`.blend`."""
    recent_waits: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    """The last waits (minutes) of each service, oldest first."""

    def stats(self, service_id: str) -> ServiceStats:
        """The statistics of one service, or neutral defaults when it has none."""
        found = self.services.get(service_id)
        if found is not None:
            return found
        return ServiceStats(samples=(), mean_seconds=DEFAULT_SERVICE_MINUTES * 60.0)


EMPTY_HISTORY = History(services={}, arrivals_per_hour={})


class _ServiceAcc:
    def __init__(self) -> None:
        self.samples: deque[float] = deque(maxlen=MAX_SAMPLES)
        self.shape: deque[float] = deque(maxlen=SHAPE_SAMPLES)
        self.by_window: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        self.called = 0
        self.wait_exposure = 0.0
        self.hazard_events = [0] * len(HAZARD_EDGES_S)
        self.hazard_exposure = [0.0] * len(HAZARD_EDGES_S)
        self.left = 0
        self.no_shows = 0
        self.no_show_seconds = 0.0
        self.finished = 0
        self.transfers: dict[str, int] = defaultdict(int)
        self.issued = 0
        self.green = 0
        self.cached: ServiceStats | None = None
        self.times: _ServiceTimes | None = None
        """What depends only on the service times; only a finished ticket changes it."""


@dataclass(frozen=True)
class _ServiceTimes:
    samples: tuple[float, ...]
    mean: float
    factors: dict[str, float]


def _service_times(acc: _ServiceAcc) -> _ServiceTimes:
    """The sorted samples scaled to the recent mean, and each window's shrunk speed ratio."""
    if acc.times is not None:
        return acc.times
    recent = acc.samples
    mean = math.fsum(recent) / len(recent) if recent else DEFAULT_SERVICE_MINUTES * 60.0
    shape_mean = math.fsum(acc.shape) / len(acc.shape) if acc.shape else 0.0
    scale = mean / shape_mean if shape_mean > 0 else 1.0
    samples = tuple(x * scale for x in sorted(acc.shape))
    factors: dict[str, float] = {}
    cv2 = 1.0
    if len(samples) > 1 and mean > 0:
        cv2 = sum((x - mean) ** 2 for x in samples) / (len(samples) - 1) / mean**2
    # Shrink each window's ratio towards 1: its noise is cv^2/n against a prior
    # spread of clerks' speeds of about 20%.
    prior = 25.0 * cv2
    for window_id, (total, count) in acc.by_window.items():
        ratio = (total / count) / mean if count and mean > 0 else 1.0
        factors[window_id] = (count * ratio + prior) / (count + prior)
    acc.times = _ServiceTimes(samples, mean, factors)
    return acc.times


HAZARD_EDGES_S = (0.0, 30.0, 60.0, 120.0, 180.0, 300.0, 600.0, 1200.0, 2400.0)
"""Bins of time already waited for the leaving rate (the last one is open-ended)."""
HAZARD_PRIOR_S = 1800.0
"""Each bin's rate is shrunk towards the overall rate with this much pseudo-exposure."""


def _expose(acc: _ServiceAcc, waited: float) -> None:
    for b, start in enumerate(HAZARD_EDGES_S):
        if waited <= start:
            break
        end = HAZARD_EDGES_S[b + 1] if b + 1 < len(HAZARD_EDGES_S) else math.inf
        acc.hazard_exposure[b] += min(waited, end) - start


def _hazard(acc: _ServiceAcc) -> tuple[float, ...]:
    if acc.left == 0 or acc.wait_exposure <= 0:
        return ()
    overall = acc.left / acc.wait_exposure
    return tuple(
        (events + overall * HAZARD_PRIOR_S) / (exposure + HAZARD_PRIOR_S)
        for events, exposure in zip(acc.hazard_events, acc.hazard_exposure, strict=True)
    )


def residual_patience(hazard: Sequence[float], waited: float, u: float) -> float:
    """Seconds until a ticket that has waited ``waited`` leaves (``u`` uniform)."""
    need = -math.log(1.0 - u)
    t = waited
    last = len(HAZARD_EDGES_S) - 1
    b = bisect.bisect_right(HAZARD_EDGES_S, t) - 1
    while True:
        rate = hazard[b]
        end = HAZARD_EDGES_S[b + 1] if b < last else math.inf
        if rate > 0 and t + need / rate < end:
            return t + need / rate - waited
        if b == last:
            return math.inf
        need -= rate * (end - t)
        t = end
        b += 1


class HistoryBuilder:
    """Accumulates observations one at a time (cheap to update, cheap to snapshot)."""

    def __init__(self, tz: tzinfo = UTC) -> None:
        self.tz = tz
        self._acc: dict[str, _ServiceAcc] = defaultdict(_ServiceAcc)
        self._counts: dict[str, dict[date, list[int]]] = defaultdict(dict)
        self._days: set[date] = set()
        self._gaps: deque[float] = deque(maxlen=MAX_SAMPLES)
        self._gaps_sorted: tuple[float, ...] | None = ()
        self._outcomes: deque[tuple[float, float, float, float]] = deque(maxlen=MAX_OUTCOMES)
        self._featured: deque[tuple[tuple[float, ...], float, float, float]] = deque(
            maxlen=MAX_FEATURE_OUTCOMES
        )
        self._waits: dict[str, deque[float]] = {}

    def _service(self, service_id: str) -> _ServiceAcc:
        acc = self._acc[service_id]
        acc.cached = None
        return acc

    def issued(self, service_id: str, at: datetime, ticket_class: TicketClass) -> None:
        """A ticket was issued (a walk-in arrival)."""
        acc = self._service(service_id)
        acc.issued += 1
        if ticket_class is TicketClass.GREEN:
            acc.green += 1
        local = at.astimezone(self.tz)
        self._days.add(local.date())
        per_day = self._counts[service_id].setdefault(local.date(), [0] * 24)
        per_day[local.hour] += 1

    def called(self, service_id: str, issued_at: datetime, called_at: datetime) -> None:
        """A ticket was called after waiting since ``issued_at``."""
        acc = self._service(service_id)
        acc.called += 1
        waited = max(0.0, (called_at - issued_at).total_seconds())
        acc.wait_exposure += waited
        _expose(acc, waited)
        recent = self._waits.setdefault(service_id, deque(maxlen=RECENT_WAITS))
        recent.append(waited / 60.0)

    def left(self, service_id: str, issued_at: datetime, left_at: datetime) -> None:
        """A ticket left (or lapsed) before it was called."""
        acc = self._service(service_id)
        acc.left += 1
        waited = max(0.0, (left_at - issued_at).total_seconds())
        acc.wait_exposure += waited
        _expose(acc, waited)
        acc.hazard_events[bisect.bisect_right(HAZARD_EDGES_S, waited) - 1] += 1

    def finished(
        self,
        service_id: str,
        window_id: str | None,
        started_at: datetime,
        finished_at: datetime,
        *,
        no_show: bool = False,
        transferred_to: str | None = None,
    ) -> None:
        """A window finished a ticket (served, or a no-show after ``started_at`` = call)."""
        acc = self._service(service_id)
        seconds = max(0.0, (finished_at - started_at).total_seconds())
        if no_show:
            acc.no_shows += 1
            acc.no_show_seconds += seconds
            return
        acc.finished += 1
        acc.times = None
        acc.samples.append(seconds)
        acc.shape.append(seconds)
        if window_id is not None:
            cell = acc.by_window[window_id]
            cell[0] += seconds
            cell[1] += 1.0
        if transferred_to is not None:
            acc.transfers[transferred_to] += 1

    def call_gap(self, seconds: float) -> None:
        """A window called its next ticket ``seconds`` after finishing, with tickets waiting."""
        self._gaps.append(max(0.0, seconds))
        self._gaps_sorted = None

    def outcome(
        self,
        estimate: float,
        low: float,
        high: float,
        actual: float,
        features: Sequence[float] = (),
    ) -> None:
        """A ticket was called: the model estimate it got at issue and its actual wait.

        ``features`` are ``Predictions.features[ticket_id]`` from the same prediction;
        without them the point correction has nothing to learn from.
        """
        if all(math.isfinite(x) for x in (estimate, low, high, actual)):
            self._outcomes.append((estimate, low, high, actual))
            if features and all(math.isfinite(x) for x in features):
                self._featured.append((tuple(float(x) for x in features), low, high, actual))

    def add(self, record: TicketRecord, now: datetime) -> None:
        """Feed one record, keeping only what was known strictly before ``now``."""

        def known(at: datetime | None) -> datetime | None:
            return at if at is not None and at < now else None

        issued = known(record.issued_at)
        if issued is None:
            return
        self.issued(record.service_id, issued, record.ticket_class)
        called = known(record.called_at)
        finished = known(record.finished_at)
        if called is not None:
            self.called(record.service_id, issued, called)
        elif record.status in {"cancelled", "lapsed"} and finished is not None:
            self.left(record.service_id, issued, finished)
            return
        if finished is None or called is None:
            return
        if record.status == "no_show":
            self.finished(record.service_id, record.window_id, called, finished, no_show=True)
            return
        started = known(record.started_at) or called
        self.finished(
            record.service_id,
            record.window_id,
            started,
            finished,
            transferred_to=record.transferred_to,
        )

    def _stats(self, acc: _ServiceAcc) -> ServiceStats:
        if acc.cached is not None:
            return acc.cached
        times = _service_times(acc)
        samples, mean, factors = times.samples, times.mean, times.factors
        n_called = acc.called
        transfers = sum(acc.transfers.values())
        stats = ServiceStats(
            samples=samples,
            mean_seconds=mean,
            window_factor=factors,
            abandon_per_minute=(
                acc.left / (acc.wait_exposure / 60.0) if acc.wait_exposure > 0 else 0.0
            ),
            leave_hazard=_hazard(acc),
            no_show_share=acc.no_shows / n_called if n_called else 0.0,
            no_show_seconds=(
                acc.no_show_seconds / acc.no_shows
                if acc.no_shows
                else DEFAULT_NO_SHOW_MINUTES * 60.0
            ),
            transfer_share=transfers / acc.finished if acc.finished else 0.0,
            transfer_to={k: v / transfers for k, v in acc.transfers.items()} if transfers else {},
            green_share=acc.green / acc.issued if acc.issued else 0.0,
        )
        acc.cached = stats
        return stats

    def _arrival_profile(self, service_id: str, now: datetime) -> tuple[float, ...]:
        local = now.astimezone(self.tz)
        today = local.date()
        per_day = self._counts.get(service_id, {})
        past_days = [d for d in self._days if d < today]
        todays = per_day.get(today, [0] * 24)
        hour_frac = local.hour + (local.minute * 60 + local.second) / 3600.0
        if not past_days:
            first = next((h for h, c in enumerate(todays) if c), None)
            if first is None:
                return (0.0,) * 24
            elapsed = max(0.25, hour_frac - first)
            flat = sum(todays) / elapsed
            return tuple(flat if h >= first else 0.0 for h in range(24))
        profile = [0.0] * 24
        for d in past_days:
            counts = per_day.get(d)
            if counts is not None:
                for h, c in enumerate(counts):
                    profile[h] += c
        profile = [c / len(past_days) for c in profile]
        expected = sum(profile[: local.hour]) + profile[local.hour] * (hour_frac - local.hour)
        observed = sum(todays[: local.hour + 1])
        scale = min(2.0, max(0.5, (observed + 5.0) / (expected + 5.0)))
        return tuple(c * scale for c in profile)

    def snapshot(self, now: datetime) -> History:
        """The statistics as of ``now`` (only observations already fed)."""
        services = {sid: self._stats(acc) for sid, acc in self._acc.items()}
        arrivals = {sid: self._arrival_profile(sid, now) for sid in self._counts}
        if self._gaps_sorted is None:
            self._gaps_sorted = tuple(sorted(self._gaps))
        return History(
            services=services,
            arrivals_per_hour=arrivals,
            tz=self.tz,
            call_gaps=self._gaps_sorted,
            outcomes=tuple(self._outcomes),
            feature_outcomes=tuple(self._featured),
            recent_waits={sid: tuple(waits) for sid, waits in self._waits.items()},
        )


def build_history(records: Iterable[TicketRecord], now: datetime, tz: tzinfo = UTC) -> History:
    """History from past ticket records, using only timestamps strictly before ``now``."""
    builder = HistoryBuilder(tz)
    by_window: dict[str, list[TicketRecord]] = defaultdict(list)
    for record in records:
        builder.add(record, now)
        if record.window_id is not None and record.called_at is not None:
            by_window[record.window_id].append(record)
    for calls in by_window.values():
        calls.sort(key=lambda r: r.called_at or now)
        for before, after in itertools.pairwise(calls):
            done, called = before.finished_at, after.called_at
            if done is None or called is None or called >= now or done > called:
                continue
            if after.issued_at <= done and (called - done).total_seconds() < 600:
                builder.call_gap((called - done).total_seconds())
    return builder.snapshot(now)


TAIL = 20
"""Below this many longer samples, the remaining time comes from a fitted tail."""


def residual_sample(samples: Sequence[float], elapsed: float, u: float, mean: float) -> float:
    """A remaining service time given ``elapsed`` seconds already spent (``u`` uniform).

    Drawn from the recorded services longer than ``elapsed``; when too few are that
    long, from an exponential tail whose mean is the mean excess of the longest
    recorded services (memoryless when nothing is known).
    """
    if not samples:
        return -mean * math.log(1.0 - u)
    start = bisect.bisect_right(samples, elapsed)
    above = len(samples) - start
    if above >= TAIL:
        return samples[start + int(u * above)] - elapsed
    return -_tail_mean(samples, mean) * math.log(1.0 - u)


def residual_mean(
    samples: Sequence[float],
    elapsed: float,
    mean: float,
    prefix: Sequence[float] | None = None,
) -> float:
    """The expected value of :func:`residual_sample` over its uniform draw.

    ``prefix`` (``itertools.accumulate`` of the samples, with a leading 0) saves the
    sum over the longer samples when several are asked for.
    """
    if not samples:
        return mean
    n = len(samples)
    start = bisect.bisect_right(samples, elapsed)
    above = n - start
    if above >= TAIL:
        total = prefix[n] - prefix[start] if prefix is not None else math.fsum(samples[start:])
        return total / above - elapsed
    return _tail_mean(samples, mean)


def _tail_mean(samples: Sequence[float], mean: float) -> float:
    """Mean excess of the longest recorded services (the fitted tail's mean)."""
    n = len(samples)
    m = min(n, TAIL)
    top = samples[n - m :]
    excess = sum(top) / m - top[0] if m > 1 else mean
    return max(excess, 0.1 * mean)
