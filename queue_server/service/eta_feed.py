"""What the live wait predictor is fed: the hall as it is now, and its past as it happens.

:func:`read_hall` takes one consistent read of a hall (schedule, windows, every open
ticket, and the rows behind the events that arrived since the last refresh).
:class:`HallFeed` turns the past into a ``HistoryBuilder`` - first from the stored tickets
of the last days, then from the hall's events one by one - and the present into a
``HallState``. It is plain synchronous code, run where the predictor runs
(``service/eta_worker.py``).
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from queue_server.domain.events import EventRecord
from queue_server.domain.tickets import OPEN_STATUSES, TicketClass
from queue_server.eta import (
    Estimate,
    HallState,
    HistoryBuilder,
    TicketRecord,
    WaitingTicket,
    WindowMode,
    WindowState,
)
from queue_server.service.rows import Hall, hall_from_row, iso, parse_iso, profile_of
from queue_server.store.db import ReadTx

REMOTE_SHOW_SHARE = 0.85
"""Prior chance that a remote ticket not yet checked in comes at all; each hall's own share
(remote tickets checked in against those that lapsed) takes over as it is observed."""
REMOTE_PRIOR_TICKETS = 20
"""The prior counts as this many remote tickets."""
CALL_GAP_LIMIT_S = 600.0
"""A longer pause between finishing and calling is a break, not a call gap."""
TICKET_COLUMNS = (
    "id, n, service_id, class, status, arrived_at, called_at, started_at, pinned_window_id,"
    " slot_start, slot_end"
)
"""What a refresh reads of a ticket (a queue of thousands is read at every refresh)."""
SIMULATED_QUEUE = 2000
"""By default at most this many waiting tickets of a hall (the oldest) go into a
simulation (``simulated_queue`` in the settings): a longer queue would keep the predictor
busy for seconds per refresh. Services with tickets beyond it keep the closed form (see
``HallRows.beyond``)."""
END_OF_TIME = datetime.max.replace(tzinfo=UTC)
WAITING_STATUSES = frozenset({"waiting", "not_arrived"})
WINDOW_MODES = {"open": WindowMode.OPEN, "paused": WindowMode.PAUSED, "closed": WindowMode.CLOSED}


@dataclass(frozen=True)
class HallRows:
    """One consistent read of a hall for a refresh."""

    hall: Hall
    windows: list[dict[str, Any]]
    open_tickets: list[dict[str, Any]]
    touched: dict[str, dict[str, Any]]
    """Rows of the tickets named by the events being fed, by id."""
    newest_event_id: int
    beyond: frozenset[str] = frozenset()
    """Services with waiting tickets left out of the simulation (queue over the cap)."""
    newest_at: datetime | None = None
    """When the newest event of the read happened (a refresh never predates its state)."""


def read_hall(
    tx: ReadTx, hall_id: str, ticket_ids: Iterable[str], cap: int = SIMULATED_QUEUE
) -> HallRows | None:
    """The hall's schedule, windows, open tickets (at most ``cap`` waiting, the oldest) and
    the named tickets (None: no hall)."""
    row = tx.one("SELECT * FROM halls WHERE id = ?", (hall_id,))
    if row is None:
        return None
    windows = tx.all("SELECT * FROM windows WHERE hall_id = ? ORDER BY number", (hall_id,))
    open_tickets = tx.all(
        f"SELECT {TICKET_COLUMNS} FROM tickets WHERE hall_id = ?"  # noqa: S608
        " AND status IN ('called', 'serving', 'held')",
        (hall_id,),
    )
    open_tickets += tx.all(
        f"SELECT {TICKET_COLUMNS} FROM tickets WHERE hall_id = ?"  # noqa: S608
        " AND status IN ('waiting', 'not_arrived') ORDER BY arrived_at, n LIMIT ?",
        (hall_id, cap),
    )
    beyond = _left_out(tx, hall_id, open_tickets, cap)
    touched = {r["id"]: r for r in open_tickets}
    wanted = sorted(set(ticket_ids) - set(touched))
    for start in range(0, len(wanted), 500):
        chunk = tuple(wanted[start : start + 500])
        marks = ", ".join("?" for _ in chunk)
        sql = f"SELECT {TICKET_COLUMNS} FROM tickets WHERE id IN ({marks})"  # noqa: S608
        for r in tx.all(sql, chunk):
            touched[r["id"]] = r
    newest = tx.one(
        "SELECT id, at FROM events WHERE hall_id = ? ORDER BY id DESC LIMIT 1", (hall_id,)
    )
    return HallRows(
        hall_from_row(row),
        windows,
        open_tickets,
        touched,
        int(newest["id"]) if newest else 0,
        beyond,
        _at(newest["at"]) if newest else None,
    )


def _left_out(tx: ReadTx, hall_id: str, read: list[dict[str, Any]], cap: int) -> frozenset[str]:
    """Services with more waiting tickets than were read (the queue counts say how many)."""
    seen: dict[str, int] = {}
    for r in read:
        if r["status"] in ("waiting", "not_arrived"):
            seen[r["service_id"]] = seen.get(r["service_id"], 0) + 1
    if sum(seen.values()) < cap:
        return frozenset()
    totals = tx.all(
        "SELECT service_id, SUM(n) AS n FROM queue_counts WHERE hall_id = ?"
        " AND status IN ('waiting', 'not_arrived') GROUP BY service_id",
        (hall_id,),
    )
    return frozenset(r["service_id"] for r in totals if int(r["n"]) > seen.get(r["service_id"], 0))


def read_past(tx: ReadTx, hall_id: str, since: datetime) -> tuple[list[dict[str, Any]], int]:
    """The hall's tickets issued since ``since`` (oldest first) and its newest event id."""
    newest = tx.one("SELECT COALESCE(MAX(id), 0) AS id FROM events WHERE hall_id = ?", (hall_id,))
    rows = tx.all(
        "SELECT id, service_id, class, status, channel, window_id, issued_at, called_at,"
        " started_at, ended_at, eta_model FROM tickets WHERE hall_id = ? AND issued_at >= ?"
        " ORDER BY n",
        (hall_id, iso(since)),
    )
    return rows, int(newest["id"]) if newest else 0


@dataclass
class _Open:
    """What the feed remembers of a ticket not yet finished."""

    service_id: str
    issued_at: datetime
    called_at: datetime | None = None
    started_at: datetime | None = None
    model: Estimate | None = None
    predicted_at: datetime | None = None
    features: tuple[float, ...] = ()


def _at(text: str | None) -> datetime | None:
    return parse_iso(text) if text else None


def _record(row: dict[str, Any]) -> TicketRecord:
    return TicketRecord(
        service_id=row["service_id"],
        window_id=row["window_id"],
        issued_at=parse_iso(row["issued_at"]),
        called_at=_at(row["called_at"]),
        started_at=_at(row["started_at"]),
        finished_at=_at(row["ended_at"]),
        status=row["status"],
        ticket_class=TicketClass(row["class"]),
    )


@dataclass
class HallFeed:
    """One hall's history builder, fed from stored tickets and then from events."""

    hall_id: str
    builder: HistoryBuilder
    last_event_id: int = 0
    open: dict[str, _Open] = field(default_factory=dict)
    last_finish: dict[str, datetime] = field(default_factory=dict)
    """When each window last finished a ticket (for the gap before its next call)."""
    outcomes: int = 0
    outcomes_with_state: int = 0
    remote_came: int = 0
    remote_lapsed: int = 0

    def show_share(self) -> float:
        """The chance a remote ticket not yet checked in comes: the hall's checked-in and
        lapsed remote tickets, shrunk towards :data:`REMOTE_SHOW_SHARE`."""
        seen = self.remote_came + self.remote_lapsed
        prior = REMOTE_PRIOR_TICKETS * REMOTE_SHOW_SHARE
        return (self.remote_came + prior) / (seen + REMOTE_PRIOR_TICKETS)

    @classmethod
    def from_past(
        cls, hall_id: str, tz: ZoneInfo, rows: Sequence[dict[str, Any]], event_id: int
    ) -> HallFeed:
        """A feed that knows the stored tickets (``read_past``) up to ``event_id``.

        Everything the read found stored has happened, even if the clock the refresh was
        asked at is a moment older than the read, so nothing is cut off by time.
        """
        feed = cls(hall_id, HistoryBuilder(tz), event_id)
        records = [_record(row) for row in rows]
        scored: list[tuple[datetime, _Open]] = []
        for row, record in zip(rows, records, strict=True):
            feed.builder.add(record, END_OF_TIME)
            feed._remote_outcome(row)
            known = _stored_open(record, row.get("eta_model"))
            if known.model is not None and record.called_at is not None:
                scored.append((record.called_at, known))
            if row["status"] in OPEN_STATUSES:
                if row["status"] in WAITING_STATUSES:
                    # Re-queued after a no-show, or transferred: its next call starts afresh,
                    # as it does when the events are fed one by one.
                    known.called_at = known.started_at = None
                feed.open[row["id"]] = known
        for called, known in sorted(scored, key=lambda pair: pair[0]):
            feed._score(known, called)
        feed._past_gaps(records)
        return feed

    def _remote_outcome(self, row: dict[str, Any]) -> None:
        """Count a stored remote ticket that came (checked in) or lapsed."""
        if row.get("channel") != "remote":
            return
        if row["status"] == "lapsed":
            self.remote_lapsed += 1
        elif row["status"] not in ("not_arrived", "cancelled"):
            self.remote_came += 1

    def _past_gaps(self, records: Sequence[TicketRecord]) -> None:
        """Each window's gaps between finishing a ticket and calling the next, and when it
        last finished one."""
        by_window: dict[str, list[TicketRecord]] = {}
        for record in records:
            if record.window_id is not None and record.called_at is not None:
                by_window.setdefault(record.window_id, []).append(record)
        for window_id, calls in by_window.items():
            calls.sort(key=lambda r: r.called_at or END_OF_TIME)
            for before, after in itertools.pairwise(calls):
                self._gap(before.finished_at, after.issued_at, after.called_at)
            if calls[-1].finished_at is not None:
                self.last_finish[window_id] = calls[-1].finished_at

    def _gap(self, done: datetime | None, issued: datetime, called: datetime | None) -> None:
        if done is None or called is None or done > called or issued > done:
            return
        seconds = (called - done).total_seconds()
        if seconds < CALL_GAP_LIMIT_S:
            self.builder.call_gap(seconds)

    def feed(self, events: Sequence[EventRecord], rows: dict[str, dict[str, Any]]) -> None:
        """Feed the hall's events (oldest first); ``rows`` are the tickets they name."""
        for event in events:
            if event.id <= self.last_event_id:
                continue
            ticket_id, at = event.data.get("ticket_id"), event.data.get("at")
            if event.type.startswith("ticket.") and isinstance(ticket_id, str) and at:
                self._ticket_event(event, ticket_id, parse_iso(str(at)), rows.get(ticket_id))
            self.last_event_id = event.id

    def _ticket_event(
        self, event: EventRecord, ticket_id: str, at: datetime, row: dict[str, Any] | None
    ) -> None:
        window_id = event.data.get("window_id")
        if event.type == "ticket.issued":
            ticket_class = TicketClass(row["class"]) if row else TicketClass.NORMAL
            self.builder.issued(str(event.data["service_id"]), at, ticket_class)
            self.open[ticket_id] = _Open(str(event.data["service_id"]), at)
            return
        known = self.open.get(ticket_id)
        if known is None:
            return
        if event.type == "ticket.called":
            self._called(known, at, window_id)
        elif event.type == "ticket.started":
            known.started_at = at
        elif event.type in ("ticket.finished", "ticket.no_show", "ticket.transferred"):
            self._window_done(event, ticket_id, known, at, window_id, row)
        elif event.type == "ticket.checked_in":
            self.remote_came += 1
        elif event.type in ("ticket.cancelled", "ticket.lapsed"):
            if event.type == "ticket.lapsed":
                self.remote_lapsed += 1
            if known.called_at is None:
                self.builder.left(known.service_id, known.issued_at, at)
            del self.open[ticket_id]

    def _called(self, known: _Open, at: datetime, window_id: object) -> None:
        if known.called_at is not None:
            return
        known.called_at = at
        self.builder.called(known.service_id, known.issued_at, at)
        if isinstance(window_id, str):
            self._gap(self.last_finish.get(window_id), known.issued_at, at)
        self._score(known, at)

    def _score(self, known: _Open, called: datetime) -> None:
        """Feed the ticket's first model estimate against its actual wait (once)."""
        if known.model is None or known.predicted_at is None:
            return
        actual = max(0.0, (called - known.predicted_at).total_seconds() / 60.0)
        model = known.model
        self.builder.outcome(model.minutes, model.low, model.high, actual, features=known.features)
        known.model = None
        self.outcomes += 1
        self.outcomes_with_state += 1 if known.features else 0

    def _window_done(
        self,
        event: EventRecord,
        ticket_id: str,
        known: _Open,
        at: datetime,
        window_id: object,
        row: dict[str, Any] | None,
    ) -> None:
        window = window_id if isinstance(window_id, str) else None
        started = known.started_at or known.called_at
        if started is not None and event.type != "ticket.transferred":
            no_show = event.type == "ticket.no_show"
            self.builder.finished(known.service_id, window, started, at, no_show=no_show)
        elif started is not None:
            # The event names the new service; the finished part was the old one.
            target = str(event.data.get("service_id") or known.service_id)
            moved = target if target != known.service_id else None
            self.builder.finished(known.service_id, None, started, at, transferred_to=moved)
        if window is not None and event.type != "ticket.transferred":
            self.last_finish[window] = at
        requeued = row is not None and row["status"] == "waiting"
        if event.type == "ticket.finished" or (event.type == "ticket.no_show" and not requeued):
            del self.open[ticket_id]
            return
        known.service_id = str(event.data.get("service_id") or known.service_id)
        known.called_at = known.started_at = None

    def remember(
        self,
        model: Mapping[str, tuple[float, float, float]],
        now: datetime,
        features: Mapping[str, tuple[float, ...]] | None = None,
    ) -> dict[str, str]:
        """Keep the first model estimate (minutes, low, high) of each ticket and the queue
        state it was made in, to score it (and teach the correction) when it is called.

        Returns the newly kept ones, encoded for the ticket's ``eta_model`` column, so a
        feed read again from the store (after a restart) knows them too.
        """
        kept: dict[str, str] = {}
        for ticket_id, (minutes, low, high) in model.items():
            known = self.open.get(ticket_id)
            if known is None or known.predicted_at is not None:
                continue
            if not all(math.isfinite(x) for x in (minutes, low, high)):
                continue  # nothing to score it by (the simulation never reached it)
            state = tuple((features or {}).get(ticket_id, ()))
            if not all(math.isfinite(x) for x in state):
                state = ()
            known.model, known.predicted_at, known.features = (
                Estimate(minutes, low, high),
                now,
                state,
            )
            kept[ticket_id] = json.dumps(
                [minutes, low, high, iso(now), list(state)], separators=(",", ":"), allow_nan=False
            )
        return kept


MAX_FEATURES = 64
"""More numbers than any model state has: a longer stored list is not ours."""


def _stored_open(record: TicketRecord, text: str | None) -> _Open:
    """A stored ticket as the feed remembers it, with its stored first model estimate."""
    known = _Open(record.service_id, record.issued_at, record.called_at, record.started_at)
    stored = _parse_model(text)
    if stored is not None:
        known.model, known.predicted_at, known.features = stored
    return known


def _parse_model(text: str | None) -> tuple[Estimate, datetime, tuple[float, ...]] | None:
    """A stored ``eta_model`` (None when absent or not one we wrote: such a row is skipped,
    never allowed to stop the hall's predictor)."""
    if not text:
        return None
    try:
        minutes, low, high, at, features = json.loads(text)
        numbers = tuple(float(x) for x in (minutes, low, high))
        state = tuple(float(x) for x in features)
        predicted_at = parse_iso(str(at))
    except (ValueError, TypeError, ArithmeticError):
        return None
    finite = all(math.isfinite(x) for x in (*numbers, *state))
    if not finite or predicted_at.tzinfo is None or len(state) > MAX_FEATURES:
        return None
    return Estimate(*numbers), predicted_at, state


def hall_state(rows: HallRows, now: datetime, show_share: float) -> HallState:
    """The predictor's snapshot of the hall at ``now`` (remote tickets not yet checked in
    come with probability ``show_share``)."""
    hall = rows.hall
    tickets = [
        _waiting(r, show_share)
        for r in rows.open_tickets
        if r["status"] in ("waiting", "not_arrived")
    ]
    current = {r["id"]: r for r in rows.open_tickets if r["status"] in ("called", "serving")}
    hours, issuing_until, closes_at = _hours(hall, now)
    windows = []
    for w in rows.windows:
        busy = current.get(w["current_ticket_id"] or "")
        windows.append(
            WindowState(
                window_id=w["id"],
                profile=profile_of(w["profile"]),
                mode=WINDOW_MODES.get(w["state"], WindowMode.CLOSED),
                current_service_id=busy["service_id"] if busy else None,
                current_started_at=_at(busy["started_at"] or busy["called_at"]) if busy else None,
                current_arrived_at=_at(busy["arrived_at"]) if busy else None,
                hours=hours,
            )
        )
    return HallState(tickets, windows, hall.rules.policy, issuing_until, closes_at)


def _waiting(r: dict[str, Any], show_share: float) -> WaitingTicket:
    remote = r["status"] == "not_arrived"
    return WaitingTicket(
        ticket_id=r["id"],
        service_id=r["service_id"],
        ticket_class=TicketClass(r["class"]),
        arrived_at=parse_iso(r["arrived_at"]),
        issued_seq=r["n"],
        pinned_window_id=r["pinned_window_id"],
        slot_start=_at(r["slot_start"]),
        slot_end=_at(r["slot_end"]),
        not_arrived=remote,
        arrival_probability=show_share if remote else 1.0,
    )


def _hours(
    hall: Hall, now: datetime
) -> tuple[tuple[tuple[datetime, datetime], ...], datetime | None, datetime | None]:
    """Today's serving intervals, the issuing cut-off and the closing time (UTC).

    A hall open until midnight or around the clock has no planned end: its windows are
    taken as open all the time and walk-ins as never stopping.
    """
    schedule = hall.schedule
    day = schedule.business_day(now)
    if schedule.closes_at(day) is None:
        return (), None, None
    spans = tuple(schedule.serving_intervals_utc(day))
    if not spans:
        return (), None, None
    closes = spans[-1][1]
    return spans, closes - timedelta(minutes=schedule.issuing_cutoff_minutes), closes
