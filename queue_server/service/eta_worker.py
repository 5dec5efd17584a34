"""The predictor's side of a refresh: read the hall, feed its history, run the simulation.

All of it runs where the simulation runs - the predictor's own process, or the
estimator's worker thread - over a read-only SQLite connection of its own. The server's
event loop sends only the hall's new events and gets back plain numbers, so nothing it
does per refresh grows with the queue: a hall with thousands waiting costs the server
process the same as an empty one.

A :class:`PredictorHost` keeps one :class:`HallFeed` per hall. A feed is (re)built from
the stored tickets in the same read as the hall's state, so a predictor process that
was restarted, or an estimator that starts again, simply finds no feed and reads one:
the events it is sent that the read already covers are skipped by id. Each ticket's first
model estimate is stored with it (``eta_model``), so a feed read again scores it all the
same; that is also what lets a feed be read afresh every day to stay bounded.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from queue_server.domain.events import EventRecord
from queue_server.eta import Estimate, HallState, History, Predictions, predict
from queue_server.service.eta_feed import (
    HallFeed,
    HallRows,
    hall_state,
    read_hall,
    read_past,
)
from queue_server.service.rows import servers_per_service
from queue_server.store.db import ReadTx, connect

Triple = tuple[float, float, float]
"""An estimate as plain numbers: minutes, low, high."""


class Predictor(Protocol):
    """The shape of :func:`queue_server.eta.predict` (tests may pass a slower twin)."""

    def __call__(
        self,
        state: HallState,
        history: History,
        now: datetime,
        rng_seed: int | None = None,
        *,
        only: Collection[str] | None = None,
    ) -> Predictions: ...


@dataclass(frozen=True)
class Computed:
    """What one run of the predictor gives, as plain numbers."""

    tickets: dict[str, Triple]
    services: dict[str, Triple]
    model: dict[str, Triple]
    features: dict[str, tuple[float, ...]] = field(default_factory=dict)
    """The queue state each ticket's estimate was made in (for the learned correction)."""


def _triples(estimates: Mapping[str, Estimate]) -> dict[str, Triple]:
    return {k: (e.minutes, e.low, e.high) for k, e in estimates.items()}


def compute(
    predictor: Predictor,
    rows: HallRows,
    history: History,
    now: datetime,
    seed: int,
    show_share: float,
) -> Computed:
    """Build the hall's snapshot from its rows and run the predictor."""
    predictions = predictor(hall_state(rows, now, show_share), history, now, rng_seed=seed)
    return Computed(
        _triples(predictions.tickets),
        _triples(predictions.services),
        _triples(predictions.model),
        {k: tuple(float(x) for x in v) for k, v in predictions.features.items()},
    )


@dataclass(frozen=True)
class RefreshRequest:
    """What the estimator sends for one refresh of one hall (small whatever the queue)."""

    db_path: str
    synchronous: str
    owner: str
    """The estimator asking: each has its own host (connection and feeds) in the process."""
    generation: int
    """Bumped by the estimator when it starts again: feeds of an older one are rebuilt."""
    hall_id: str
    events: tuple[EventRecord, ...]
    now: datetime
    history_days: int
    min_samples: int
    simulated_queue: int


@dataclass(frozen=True)
class Refreshed:
    """What comes back: the shown estimates and what they rest on."""

    tickets: dict[str, Triple]
    services: dict[str, Triple]
    event_id: int
    ready: frozenset[str]
    outcomes: int
    outcomes_with_state: int
    as_of: datetime
    """The instant the estimates are for: the refresh's clock, or the newest event read if
    that is later (the read happens a moment after the refresh was asked for)."""
    seconds: float
    """How long the refresh took where it ran, the read (and any history read) included; the
    estimator paces the next refresh by it."""
    kept: dict[str, str]
    """Model estimates first made in this refresh, by ticket, for its ``eta_model`` column."""
    waiting: dict[str, int]
    """Tickets waiting per service in the state the estimates are for."""
    show_share: float
    """The chance a remote ticket not yet checked in comes, as the hall has shown it."""
    per_person: dict[str, float]
    """Minutes one more person waiting adds, per service: the mean recorded service time
    over the open windows that serve it (to keep a new arrival's wait honest when people
    came or were called after the refresh)."""


@dataclass
class _Fed:
    feed: HallFeed
    generation: int
    day: date
    """The hall's business day the feed was read on: a new day reads it afresh, so it covers
    ``history_days`` and no more (fed for weeks it would grow for as long as the server
    runs), at the quiet hour the business day starts rather than all halls at once."""


def _queue_pace(rows: HallRows, history: History) -> tuple[dict[str, int], dict[str, float]]:
    waiting: dict[str, int] = {}
    for r in rows.open_tickets:
        if r["status"] == "waiting":
            waiting[r["service_id"]] = waiting.get(r["service_id"], 0) + 1
    servers = servers_per_service(rows.windows)
    per_person = {
        sid: stats.mean_seconds / 60.0 / servers[sid]
        for sid, stats in history.services.items()
        if servers.get(sid)
    }
    return waiting, per_person


class PredictorHost:
    """One estimator's feeds and read connection, where its simulations run."""

    def __init__(self, db_path: str, synchronous: str, owner: str) -> None:
        if not Path(db_path).is_file():
            raise FileNotFoundError(f"no hall database at {db_path}")
        self.db_path = db_path
        self.owner = owner
        self._db = connect(Path(db_path), synchronous, readonly=True)
        self._feeds: dict[str, _Fed] = {}

    def close(self) -> None:
        """Close the read connection."""
        self._db.conn.close()

    def refresh(self, request: RefreshRequest, predictor: Predictor) -> Refreshed | None:
        """Read the hall, feed its new events, run ``predictor`` (None: no such hall).

        After any failure the hall's feed is dropped, so the next refresh reads it afresh
        instead of going on without the events this one was sent.
        """
        started = time.perf_counter()
        try:
            read = self._read(request)
            if read is None:
                return None
            return self._run(request, predictor, *read, started)
        except BaseException:
            self._feeds.pop(request.hall_id, None)
            raise

    def _run(
        self,
        request: RefreshRequest,
        predictor: Predictor,
        feed: HallFeed,
        rows: HallRows,
        started: float,
    ) -> Refreshed:
        feed.feed(request.events, rows.touched)
        now = max(request.now, rows.newest_at or request.now)
        history = feed.builder.snapshot(now)
        show_share = feed.show_share()
        seed = rows.newest_event_id
        computed = compute(predictor, replace(rows, touched={}), history, now, seed, show_share)
        kept = feed.remember(computed.model, now, computed.features)
        waiting, per_person = _queue_pace(rows, history)
        return Refreshed(
            tickets=computed.tickets,
            services=computed.services,
            event_id=rows.newest_event_id,
            ready=frozenset(
                sid
                for sid, stats in history.services.items()
                if len(stats.samples) >= request.min_samples and sid not in rows.beyond
            ),
            outcomes=feed.outcomes,
            outcomes_with_state=feed.outcomes_with_state,
            as_of=now,
            seconds=time.perf_counter() - started,
            kept=kept,
            waiting=waiting,
            per_person=per_person,
            show_share=show_share,
        )

    def _read(self, request: RefreshRequest) -> tuple[HallFeed, HallRows] | None:
        """One snapshot: the hall's state and, for a hall without a current feed, its past."""
        ids = {str(e.data["ticket_id"]) for e in request.events if e.data.get("ticket_id")}
        tx = ReadTx(self._db)
        tx.execute("BEGIN")
        try:
            rows = read_hall(tx, request.hall_id, ids, request.simulated_queue)
            if rows is None:
                self._feeds.pop(request.hall_id, None)
                return None
            day = rows.hall.schedule.business_day(request.now)
            fed = self._feeds.get(request.hall_id)
            if fed is None or fed.generation != request.generation or fed.day != day:
                fed = self._load(tx, request, rows, day)
            return fed.feed, rows
        finally:
            tx.execute("ROLLBACK")

    def _load(self, tx: ReadTx, request: RefreshRequest, rows: HallRows, day: date) -> _Fed:
        since = request.now - timedelta(days=request.history_days)
        past, event_id = read_past(tx, request.hall_id, since)
        tz = ZoneInfo(rows.hall.schedule.timezone)
        feed = HallFeed.from_past(request.hall_id, tz, past, event_id)
        fed = self._feeds[request.hall_id] = _Fed(feed, request.generation, day)
        return fed


MAX_HOSTS = 8
"""Hosts one predictor process keeps (one per estimator; tests start many servers)."""
_HOSTS: dict[tuple[str, str], PredictorHost] = {}


def _host_for(request: RefreshRequest) -> PredictorHost:
    key = (request.db_path, request.owner)
    host = _HOSTS.get(key)
    if host is None:
        host = _HOSTS[key] = PredictorHost(request.db_path, request.synchronous, request.owner)
        while len(_HOSTS) > MAX_HOSTS:
            _HOSTS.pop(next(iter(_HOSTS))).close()
    return host


def refresh_here(request: RefreshRequest) -> Refreshed | None:
    """The predictor process's entry point: refresh with this process's host."""
    return _host_for(request).refresh(request, predict)


def forget_here(db_path: str, owner: str) -> None:
    """The predictor process's entry point when an estimator stops."""
    host = _HOSTS.pop((db_path, owner), None)
    if host is not None:
        host.close()
