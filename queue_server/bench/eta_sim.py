"""A discrete-event hall: simulated citizens and clerks, the real call order and numbering.

Windows call with the domain's ``choose_next`` and tickets are numbered with
``format_number``; the clock is simulated. At every ticket issue all predictors are
asked for an estimate (from the observable state and the history so far only), and the
ticket's actual wait is recorded when it is called. A ticket whose holder left keeps a
"ghost" place in the line: the call order still reaches it (taking no window time)
and that moment is its potential wait, so leaving does not hide errors.
"""

from __future__ import annotations

import heapq
import random
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from queue_server.bench.eta_baselines import Observation, Tracker, Triple
from queue_server.bench.eta_scenarios import Scenario, ServiceSpec, WindowSpec
from queue_server.domain.call_order import CallPolicy, Candidate, choose_next
from queue_server.domain.tickets import TicketClass, format_number
from queue_server.eta import HallState, HistoryBuilder, WaitingTicket, WindowMode, WindowState

FIRST_DAY = datetime(2026, 3, 2, tzinfo=UTC)
NO_SHOW_GRACE_MIN = 2.0
APPOINTMENT_SLOT_MIN = 30
APPOINTMENT_SHOW = 0.85
APPOINTMENT_EARLY_MEAN, APPOINTMENT_EARLY_SD = -5.0, 10.0


@dataclass
class TicketResult:
    """One issued ticket: when, what, the estimates it was given and what happened."""

    service: str
    ticket_class: str
    number: str
    issued_min: float
    day: int
    people_ahead: int
    issued_at: datetime
    actual_wait_min: float | None = None
    left: bool = False
    predictions: dict[str, Triple] = field(default_factory=dict)
    floor_var: float | None = None


@dataclass
class _Ticket:
    candidate: Candidate
    issued: datetime
    result: TicketResult | None
    ghost: bool = False
    deadline: datetime | None = None


@dataclass
class _Window:
    spec: WindowSpec
    intervals: list[tuple[datetime, datetime]]
    idle: bool = True
    current: tuple[str, datetime, datetime, bool] | None = None


Predictors = Mapping[str, Callable[[Observation], Triple]]


class HallSimulation:
    """Runs a scenario day by day and collects one :class:`TicketResult` per issued ticket."""

    def __init__(self, scenario: Scenario, predictors: Predictors, seed: int) -> None:
        self.scenario = scenario
        self.predictors = predictors
        self.rnd = random.Random(seed)
        self.policy = CallPolicy()
        self.history = HistoryBuilder(UTC)
        self.tracker = Tracker()
        self.results: list[TicketResult] = []
        self.specs = {s.id: s for s in scenario.services}
        self.prefix = {s.id: chr(ord("A") + i % 26) for i, s in enumerate(scenario.services)}
        self._counter = 0
        self._serial = 0

    def run(self, days: int) -> list[TicketResult]:
        for day in range(days):
            self._day(day)
        return self.results

    # -- one day -----------------------------------------------------------------------

    def _at(self, day: int, minute: float) -> datetime:
        return FIRST_DAY + timedelta(days=day, minutes=minute)

    def _day(self, day: int) -> None:
        sc = self.scenario
        self.day = day
        self.opens = self._at(day, sc.open)
        self.closes = self._at(day, sc.close)
        self.events: list[tuple[datetime, int, str, object]] = []
        self.waiting: dict[str, _Ticket] = {}
        self.seq: dict[str, int] = defaultdict(int)
        self.bookings: dict[str, tuple[ServiceSpec, datetime, datetime, datetime]] = {}
        self.windows = [self._window(w) for w in sc.windows]
        for w_index, w in enumerate(self.windows):
            for a, _ in w.intervals:
                self._push(a, "open", w_index)
        for spec in sc.services:
            self._arrivals(spec)
        while self.events:
            now, _, kind, payload = heapq.heappop(self.events)
            if kind == "arrive":
                assert isinstance(payload, tuple)
                self._issue(now, payload[0], payload[1], None)
            elif kind == "check_in":
                assert isinstance(payload, str)
                spec, slot_start, slot_end, _ = self.bookings.pop(payload)
                self._issue(now, spec, TicketClass.APPOINTMENT, (slot_start, slot_end))
            elif kind == "leave":
                assert isinstance(payload, str)
                self._leave(now, payload)
            elif kind == "free":
                assert isinstance(payload, int)
                self._free(now, payload)
            elif kind == "lapse":
                assert isinstance(payload, str)
                self.bookings.pop(payload, None)
            elif kind == "open":
                assert isinstance(payload, int)
                if self.windows[payload].idle:
                    self._try_call(now, payload)

    def _window(self, spec: WindowSpec) -> _Window:
        intervals = []
        for a, b in spec.hours:
            start, end = self._at(self.day, a), self._at(self.day, b)
            intervals.append((start, end))
        return _Window(spec, intervals)

    def _callable(self, w: _Window, now: datetime) -> bool:
        for a, b in w.intervals:
            if a <= now < b:
                return True
            if a < self.closes <= b and now >= b:
                return True
        return False

    def _push(self, at: datetime, kind: str, payload: object) -> None:
        self._counter += 1
        heapq.heappush(self.events, (at, self._counter, kind, payload))

    def _arrivals(self, spec: ServiceSpec) -> None:
        sc = self.scenario
        for hour, rate in enumerate(spec.arrivals_per_hour):
            start = sc.open + 60 * hour
            end = min(sc.close, start + 60)
            if rate <= 0:
                continue
            t = start + self.rnd.expovariate(rate / 60.0)
            while t < end:
                if self.rnd.random() < spec.appointment_share:
                    self._book(spec, t)
                else:
                    green = self.rnd.random() < spec.green_share
                    klass = TicketClass.GREEN if green else TicketClass.NORMAL
                    self._push(self._at(self.day, t), "arrive", (spec, klass))
                t += self.rnd.expovariate(rate / 60.0)

    def _book(self, spec: ServiceSpec, minute: float) -> None:
        sc = self.scenario
        slot = sc.open + APPOINTMENT_SLOT_MIN * int((minute - sc.open) // APPOINTMENT_SLOT_MIN)
        slot_start = self._at(self.day, slot)
        slot_end = self._at(self.day, slot + APPOINTMENT_SLOT_MIN)
        offset = self.rnd.gauss(APPOINTMENT_EARLY_MEAN, APPOINTMENT_EARLY_SD)
        check_in = min(max(slot + offset, sc.open), sc.close - 0.01)
        shows = self.rnd.random() < APPOINTMENT_SHOW
        self._serial += 1
        key = f"b{self.day}-{self._serial}"
        self.bookings[key] = (spec, slot_start, slot_end, self._at(self.day, check_in))
        if shows:
            self._push(self._at(self.day, check_in), "check_in", key)
        else:
            self._push(slot_end, "lapse", key)

    # -- tickets -----------------------------------------------------------------------

    def _issue(
        self,
        now: datetime,
        spec: ServiceSpec,
        klass: TicketClass,
        slot: tuple[datetime, datetime] | None,
    ) -> None:
        self.seq[spec.id] += 1
        number = format_number(self.prefix[spec.id], self.seq[spec.id])
        self._serial += 1
        candidate = Candidate(
            ticket_id=f"{self.day}-{number}",
            service_id=spec.id,
            ticket_class=klass,
            arrived_at=now,
            issued_seq=self._serial,
            slot_start=slot[0] if slot else None,
            slot_end=slot[1] if slot else None,
        )
        people_ahead = sum(
            1 for t in self.waiting.values() if not t.ghost and t.candidate.service_id == spec.id
        )
        result = TicketResult(
            service=spec.id,
            ticket_class=klass.value,
            number=number,
            issued_min=(now - self.opens).total_seconds() / 60.0,
            day=self.day,
            people_ahead=people_ahead,
            issued_at=now,
        )
        ticket = _Ticket(candidate, now, result)
        if spec.patience is not None and klass is not TicketClass.APPOINTMENT:
            ticket.deadline = now + timedelta(minutes=spec.patience.sample(self.rnd))
        self._predict(now, ticket)
        self.history.issued(spec.id, now, klass)
        self.results.append(result)
        self.waiting[candidate.ticket_id] = ticket
        if ticket.deadline is not None:
            self._push(ticket.deadline, "leave", candidate.ticket_id)
        self._dispatch(now, spec.id)

    def _leave(self, now: datetime, ticket_id: str) -> None:
        ticket = self.waiting.get(ticket_id)
        if ticket is None or ticket.ghost:
            return
        ticket.ghost = True
        if ticket.result is not None:
            ticket.result.left = True
        self.history.left(ticket.candidate.service_id, ticket.issued, now)

    def _dispatch(self, now: datetime, service_id: str) -> None:
        for index, w in enumerate(self.windows):
            if w.idle and service_id in w.spec.services:
                self._try_call(now, index)

    def _try_call(self, now: datetime, index: int) -> None:
        w = self.windows[index]
        if not self._callable(w, now):
            w.idle = True
            return
        candidates = [t.candidate for t in self.waiting.values()]
        while True:
            decision = choose_next(w.spec.id, w.spec.services, candidates, now, self.policy)
            if decision is None:
                w.idle = True
                return
            ticket = self.waiting.pop(decision.ticket_id)
            candidates = [c for c in candidates if c.ticket_id != decision.ticket_id]
            wait = (now - ticket.candidate.arrived_at).total_seconds() / 60.0
            if ticket.result is not None:
                ticket.result.actual_wait_min = wait
                self.tracker.on_actual(ticket.result.predictions, wait)
                model = self.tracker.model.pop(ticket.candidate.ticket_id, None)
                if model is not None:
                    estimate, features = model
                    self.history.outcome(*estimate, wait, features)
            if ticket.ghost:
                continue
            service_id = ticket.candidate.service_id
            spec = self.specs[service_id]
            self.history.called(service_id, ticket.issued, now)
            if ticket.result is not None:
                self.tracker.on_call(service_id, wait, w.spec.id)
            if self.rnd.random() < spec.no_show_share:
                done = now + timedelta(minutes=NO_SHOW_GRACE_MIN)
                w.current = (service_id, now, ticket.candidate.arrived_at, True)
                self._push(done, "free", index)
            else:
                minutes = spec.service.sample(self.rnd) / w.spec.speed
                hours_in = max(0.0, (now - self.opens).total_seconds() / 3600.0)
                minutes *= 1.0 + self.scenario.fatigue_per_hour * hours_in
                w.current = (service_id, now, ticket.candidate.arrived_at, False)
                self._push(now + timedelta(minutes=minutes), "free", index)
            w.idle = False
            return

    def _free(self, now: datetime, index: int) -> None:
        w = self.windows[index]
        current = w.current
        w.current = None
        if current is not None:
            service_id, started, arrived, no_show = current
            if no_show:
                self.history.finished(service_id, w.spec.id, started, now, no_show=True)
            else:
                spec = self.specs[service_id]
                transfer = None
                if spec.transfer_to is not None and self.rnd.random() < spec.transfer_share:
                    transfer = spec.transfer_to
                self.history.finished(service_id, w.spec.id, started, now, transferred_to=transfer)
                if transfer is not None:
                    self._transfer(now, transfer, arrived)
        self._try_call(now, index)

    def _transfer(self, now: datetime, service_id: str, arrived: datetime) -> None:
        self._serial += 1
        keep = self.policy.keep_arrival_on_transfer
        candidate = Candidate(
            ticket_id=f"{self.day}-x{self._serial}",
            service_id=service_id,
            ticket_class=TicketClass.NORMAL,
            arrived_at=arrived if keep else now,
            issued_seq=self._serial,
        )
        self.waiting[candidate.ticket_id] = _Ticket(candidate, now, None)
        self._dispatch(now, service_id)

    # -- what the predictors see -------------------------------------------------------

    def _state(self, now: datetime, extra: _Ticket) -> HallState:
        tickets = []
        for t in [*self.waiting.values(), extra]:
            if t.ghost:
                continue
            c = t.candidate
            tickets.append(
                WaitingTicket(
                    c.ticket_id,
                    c.service_id,
                    c.ticket_class,
                    c.arrived_at,
                    c.issued_seq,
                    c.pinned_window_id,
                    c.slot_start,
                    c.slot_end,
                )
            )
        for key, (spec, slot_start, slot_end, _) in self.bookings.items():
            if slot_end <= now:
                continue
            tickets.append(
                WaitingTicket(
                    key,
                    spec.id,
                    TicketClass.APPOINTMENT,
                    slot_start - timedelta(minutes=5),
                    10**9,
                    None,
                    slot_start,
                    slot_end,
                    not_arrived=True,
                    arrival_probability=APPOINTMENT_SHOW,
                    expected_check_in=slot_start + timedelta(minutes=APPOINTMENT_EARLY_MEAN),
                )
            )
        windows = []
        for w in self.windows:
            current = w.current
            windows.append(
                WindowState(
                    window_id=w.spec.id,
                    profile=w.spec.services,
                    mode=WindowMode.OPEN,
                    current_service_id=current[0] if current else None,
                    current_started_at=current[1] if current else None,
                    current_arrived_at=current[2] if current else None,
                    hours=tuple(w.intervals),
                )
            )
        return HallState(tickets, windows, self.policy, self.closes, self.closes)

    def _predict(self, now: datetime, ticket: _Ticket) -> None:
        assert ticket.result is not None
        state = self._state(now, ticket)
        c = ticket.candidate
        obs = Observation(
            now=now,
            ticket=WaitingTicket(
                c.ticket_id,
                c.service_id,
                c.ticket_class,
                c.arrived_at,
                c.issued_seq,
                None,
                c.slot_start,
                c.slot_end,
            ),
            state=state,
            history=self.history.snapshot(now),
            tracker=self.tracker,
            seed=c.issued_seq,
        )
        for name, predictor in self.predictors.items():
            ticket.result.predictions[name] = predictor(obs)
        ticket.result.floor_var = self._floor_var(now)

    def _floor_var(self, now: datetime) -> float | None:
        """Var(D | state) where the model makes it exact (Markovian scenarios)."""
        sc = self.scenario
        if not sc.markovian():
            return None
        spec = sc.services[0]
        if any(w.idle and self._callable(w, now) for w in self.windows):
            return 0.0
        n = sum(1 for t in self.waiting.values() if not t.ghost)
        rate = len(self.windows) / spec.service.mean
        theta = 0.0 if spec.patience is None else 1.0 / spec.patience.mean
        return sum(1.0 / (rate + i * theta) ** 2 for i in range(n + 1))
