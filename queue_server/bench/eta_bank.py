"""The real-log benchmark: the Anonymous Bank call centre, February 1999 (reference §3.4).

The log is replayed in time order. Every call that queued and was then served on a
test day (21-28 February, as in the reference's fixed split) is predicted at the
instant it entered the queue, from what was known strictly before that instant:
the calls waiting (priority 2 goes first), the agents busy and for how long, and a
history fed with every earlier event (all earlier days and today so far). Agents who
are idle when a call has to queue are taken as not available. Call types are the
services; an agent serves the types it has served before.

The product's predictor also runs, unscored, on the week before (from
``FIRST_WARM_UP_DAY``), as a server that had been running would have: its
estimate/actual outcomes are what its ranges and point correction learn from. Calls
are keyed by their row in the log, since call ids repeat within a day.
"""

from __future__ import annotations

import bisect
import csv
import json
import math
import sys
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from queue_server.bench.eta_baselines import BASELINES, PREDICTORS, Observation, Tracker
from queue_server.bench.eta_sim import TicketResult
from queue_server.domain.call_order import CallPolicy
from queue_server.domain.tickets import TicketClass
from queue_server.eta import HallState, HistoryBuilder, WaitingTicket, WindowState

FIRST_TEST_DAY = 21
LAST_TEST_DAY = 28
FIRST_WARM_UP_DAY = 14
"""From this day on the product predicts (unscored), as a running server would, so its
estimate/actual outcomes are there when the test days start."""
POLICY = CallPolicy(green_bonus=1.0, starvation_cap=1e9)
"""Priority-2 calls count as having waited one minute more (fitted on days 1-20)."""
IDLE_LIMIT_S = 900.0
"""An agent idle for less than this is on duty and comes back after its usual pause."""


class BankLogError(ValueError):
    """The log file does not look like the Anonymous Bank TSV."""


@dataclass(frozen=True)
class Call:
    """One row of the log; ``row`` (its line) is the key, since call ids repeat."""

    row: int
    call_id: int
    priority: int
    type: str
    day: int
    arrived: datetime
    q_start: datetime | None
    q_exit: datetime | None
    outcome: str
    ser_start: datetime | None
    ser_exit: datetime | None
    server: str


def _clock(day: datetime, text: str) -> datetime | None:
    parts = text.strip().split(":")
    if len(parts) != 3:
        raise BankLogError(f"bad time {text!r}")
    h, m, s = (int(p) for p in parts)
    if h == m == s == 0:
        return None
    return day + timedelta(hours=h, minutes=m, seconds=s)


def _after(at: datetime | None, start: datetime) -> datetime | None:
    """A clock time of a call that began at ``start``; past midnight it is the next day.

    The log's clocks disagree by a second here and there, so only a time more than
    12 hours before the start is taken as having wrapped around midnight.
    """
    if at is not None and at < start - timedelta(hours=12):
        return at + timedelta(days=1)
    return at


def read_calls(path: Path) -> list[Call]:
    """Parse the TSV (17 tab-separated columns with a header row)."""
    calls: list[Call] = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t")
        header = next(reader, None)
        if header is None or len(header) < 17 or header[1] != "call_id":
            raise BankLogError(f"{path.name}: not the Anonymous Bank log (unexpected header)")
        for line, row in enumerate(reader, start=2):
            if len(row) < 17:
                continue
            try:
                date = row[5].strip()
                day = datetime(1900 + int(date[:2]), int(date[2:4]), int(date[4:6]), tzinfo=UTC)
                entered = _clock(day, row[6]) or day
                arrived = _after(_clock(day, row[7]), entered) or entered
                calls.append(
                    Call(
                        row=line,
                        call_id=int(row[1]),
                        priority=int(row[3]),
                        type=row[4].strip(),
                        day=day.day,
                        arrived=arrived,
                        q_start=_after(_clock(day, row[9]), entered),
                        q_exit=_after(_clock(day, row[10]), entered),
                        outcome=row[12].strip(),
                        ser_start=_after(_clock(day, row[13]), entered),
                        ser_exit=_after(_clock(day, row[14]), entered),
                        server=row[16].strip(),
                    )
                )
            except (ValueError, IndexError, BankLogError) as exc:
                raise BankLogError(f"{path.name}, line {line}: {exc}") from None
    return calls


# Event kinds, in the order they apply within one second: what ended before what starts.
_FINISH, _CALLED, _LEFT, _PREDICT, _ARRIVE, _START = range(6)


def run_bank(path: Path, *, as_json: bool, dump: Path | None = None) -> int:
    started = time.perf_counter()
    calls = [c for c in read_calls(path) if c.outcome in {"AGENT", "HANG"}]
    events: list[tuple[datetime, int, int, Call]] = []
    for c in calls:
        events.append((c.arrived, _ARRIVE, c.row, c))
        queued = c.q_start is not None and c.q_exit is not None and c.q_exit > c.q_start
        served = c.outcome == "AGENT"
        if served and c.ser_start and c.ser_exit and c.server != "NO_SERVER":
            events.append((c.ser_start, _START, c.row, c))
            events.append((c.ser_exit, _FINISH, c.row, c))
        if queued:
            assert c.q_start is not None
            assert c.q_exit is not None
            events.append((c.q_exit, _CALLED if served else _LEFT, c.row, c))
            if served and FIRST_WARM_UP_DAY <= c.day <= LAST_TEST_DAY:
                events.append((c.q_start, _PREDICT, c.row, c))
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    replay = _Replay()
    for at, kind, _, call in events:
        replay.handle(at, kind, call)
    names = list(PREDICTORS)
    from queue_server.bench.eta import print_table, summary, write_dump

    out = summary("bank", replay.results, names)
    if as_json:
        sys.stdout.write(json.dumps(out, separators=(",", ":")) + "\n")
    else:
        print_table(out, time.perf_counter() - started)
        print("(relRMSE = RMSE / mean wait of the evaluated calls: served calls that queued)")
    if dump is not None:
        write_dump(dump, replay.results, names)
    return 0


class _Replay:
    def __init__(self) -> None:
        self.history = HistoryBuilder(UTC)
        self.tracker = Tracker()
        self.queue: dict[int, Call] = {}
        self.busy: dict[str, tuple[Call, datetime]] = {}
        self.skills: dict[str, set[str]] = defaultdict(set)
        self.pending: dict[int, TicketResult] = {}
        self.last_finish: dict[str, datetime] = {}
        self.gaps: deque[float] = deque(maxlen=3000)
        self.results: list[TicketResult] = []

    def handle(self, at: datetime, kind: int, c: Call) -> None:
        if kind == _ARRIVE:
            klass = TicketClass.GREEN if c.priority == 2 else TicketClass.NORMAL
            self.history.issued(c.type, at, klass)
            if c.q_start is not None and c.q_exit is not None and c.q_exit > c.q_start:
                self.queue[c.row] = c
            elif c.outcome == "AGENT":
                self.history.called(c.type, at, at)
        elif kind == _START:
            self.busy[c.server] = (c, at)
            last = self.last_finish.get(c.server)
            if last is not None and (at - last).total_seconds() < IDLE_LIMIT_S:
                self.gaps.append((at - last).total_seconds())
                if c.q_start is not None and c.q_start <= last:
                    self.history.call_gap((at - last).total_seconds())
            self.skills[c.server].add(c.type)
        elif kind == _FINISH:
            self.busy.pop(c.server, None)
            self.last_finish[c.server] = at
            assert c.ser_start is not None
            self.history.finished(c.type, c.server, c.ser_start, at)
        elif kind == _CALLED:
            self.queue.pop(c.row, None)
            assert c.q_start is not None
            self.history.called(c.type, c.q_start, at)
            wait = (at - c.q_start).total_seconds() / 60.0
            self.tracker.on_call(c.type, wait, c.server)
            result = self.pending.pop(c.row, None)
            if result is not None:
                result.actual_wait_min = wait
                self.tracker.on_actual(result.predictions, wait)
                model = self.tracker.model.pop(f"c{c.row}", None)
                if model is not None:
                    estimate, features = model
                    self.history.outcome(*estimate, wait, features)
        elif kind == _LEFT:
            self.queue.pop(c.row, None)
            assert c.q_start is not None
            self.history.left(c.type, c.q_start, at)
        else:
            self._predict(at, c)

    def _predict(self, now: datetime, c: Call) -> None:
        def ticket(o: Call) -> WaitingTicket:
            assert o.q_start is not None
            klass = TicketClass.GREEN if o.priority == 2 else TicketClass.NORMAL
            return WaitingTicket(f"c{o.row}", o.type, klass, o.q_start, o.call_id)

        tickets = [ticket(o) for o in self.queue.values() if o.row != c.row]
        tagged = ticket(c)
        tickets.append(tagged)
        windows = []
        for server, (current, since) in self.busy.items():
            profile = dict.fromkeys(self.skills[server] | {current.type}, 1.0)
            windows.append(
                WindowState(
                    server,
                    profile,
                    current_service_id=current.type,
                    current_started_at=since,
                    current_arrived_at=current.q_start or since,
                )
            )
        gaps = sorted(self.gaps)
        for server, last in self.last_finish.items():
            idle = (now - last).total_seconds()
            if server in self.busy or idle >= IDLE_LIMIT_S or len(gaps) < 50:
                continue
            longer = gaps[bisect.bisect_right(gaps, idle) :]
            back = sum(longer) / len(longer) - idle if longer else 60.0
            windows.append(
                WindowState(
                    server,
                    dict.fromkeys(self.skills[server], 1.0),
                    hours=((now + timedelta(seconds=back), now + timedelta(hours=6)),),
                )
            )
        state = HallState(tickets, windows, POLICY)
        obs = Observation(now, tagged, state, self.history.snapshot(now), self.tracker, c.row)
        result = TicketResult(
            service=c.type,
            ticket_class=tagged.ticket_class.value,
            number=str(c.call_id),
            issued_min=(now - now.replace(hour=0, minute=0, second=0)).total_seconds() / 60.0,
            day=c.day - 1,
            people_ahead=len(tickets) - 1,
            issued_at=now,
        )
        scored = c.day >= FIRST_TEST_DAY
        for name, predictor in BASELINES.items():
            if not scored and name != "onevisit":
                continue
            point, low, high = predictor(obs)
            if not math.isfinite(point):
                point, low, high = BASELINES["const_mean"](obs)
            result.predictions[name] = (point, low, high)
        self.pending[c.row] = result
        if scored:
            self.results.append(result)
