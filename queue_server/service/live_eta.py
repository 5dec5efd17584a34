"""The live wait predictor: one simulation forecast per hall, refreshed after its events.

At start-up each hall's history is built from its stored tickets of the last
``history_days`` days (read on the store's reader pool). From then on the estimator
follows the event bus: a hall's ticket and window events are fed to its history and
trigger a refresh - one consistent read of the hall, the history and snapshot built
in a worker thread, then the simulation (:func:`queue_server.eta.predict`) in a worker
process, so the event loop only hands work over and never competes with the simulation
for the interpreter lock. Refreshes are coalesced: at most one per hall is in flight;
events that arrive meanwhile are taken together by the next one. A timer refreshes every
hall every ``refresh_seconds`` so estimates follow the clock when nothing happens.

Readers (issuing, the public feed, tracking, signage) only look at the latest
:class:`Forecast`; they never wait for the predictor. The seed of each run is the
hall's newest event id, so the same state gives the same numbers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import multiprocessing
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from queue_server.domain.events import EventRecord
from queue_server.eta import Estimate, HallState, History, Predictions, predict
from queue_server.events.bus import ALL_HALLS, EventBus, Subscription
from queue_server.service.eta_feed import HallFeed, HallRows, hall_state, read_hall, read_past
from queue_server.service.rows import hall_from_row
from queue_server.store import Database

log = logging.getLogger(__name__)

SIMULATION = "simulation"
CLOSED_FORM = "closed_form"


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
class LiveEtaConfig:
    """``[server.extra.eta]`` settings (see docs/config.md)."""

    enabled: bool = True
    history_days: int = 28
    refresh_seconds: float = 30.0
    max_age_seconds: float = 120.0
    min_samples: int = 10
    settle_seconds: float = 0.05
    worker: str = "process"
    busy_share: float = 0.25

    @classmethod
    def from_settings(cls, extra: Mapping[str, Any]) -> LiveEtaConfig:
        """Read the ``eta`` table of the server's extra settings; unknown keys are refused."""
        section = dict(extra.get("eta") or {})
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(section) - known)
        if unknown:
            raise ValueError(f"unknown [server.extra.eta] settings: {', '.join(unknown)}")
        config = cls(**section)
        if config.history_days < 1 or config.refresh_seconds <= 0 or config.min_samples < 0:
            raise ValueError("eta: history_days >= 1, refresh_seconds > 0, min_samples >= 0")
        if not 0.0 < config.busy_share <= 1.0:
            raise ValueError("eta: busy_share is above 0 and at most 1")
        if config.worker not in ("process", "thread"):
            raise ValueError("eta: worker is 'process' or 'thread'")
        return config


@dataclass(frozen=True)
class Forecast:
    """The latest predictions of one hall and what they rest on."""

    hall_id: str
    computed: Computed
    computed_at: datetime
    event_id: int
    ready: frozenset[str]
    """Services with at least ``min_samples`` recorded service times: only their
    estimates come from the simulation; the others keep the closed form."""

    def service(self, service_id: str) -> Estimate | None:
        """The shown wait of a ticket of ``service_id`` issued now, if the simulation has one."""
        if service_id not in self.ready:
            return None
        return _finite(self.computed.services.get(service_id))

    def ticket(self, ticket_id: str, service_id: str) -> Estimate | None:
        """The shown wait of one waiting ticket, if the simulation has one."""
        if service_id not in self.ready:
            return None
        return _finite(self.computed.tickets.get(ticket_id))


Triple = tuple[float, float, float]
"""An estimate as plain numbers: minutes, low, high."""


@dataclass(frozen=True)
class Computed:
    """What a prediction sends back: shown estimates per ticket and service, and the
    model's own ticket estimates (plain numbers, cheap to copy between processes)."""

    tickets: dict[str, Triple]
    services: dict[str, Triple]
    model: dict[str, Triple]
    features: dict[str, tuple[float, ...]] = field(default_factory=dict)
    """The queue state each ticket's estimate was made in (for the learned correction)."""


def _triples(estimates: Mapping[str, Estimate]) -> dict[str, Triple]:
    return {k: (e.minutes, e.low, e.high) for k, e in estimates.items()}


def compute(
    predictor: Predictor, rows: HallRows, history: History, now: datetime, seed: int
) -> Computed:
    """Build the hall's snapshot and run the predictor (in the worker process, so that
    neither the thousands of ticket objects nor the simulation cost the server's loop)."""
    predictions = predictor(hall_state(rows, now), history, now, rng_seed=seed)
    return Computed(
        _triples(predictions.tickets),
        _triples(predictions.services),
        _triples(predictions.model),
        {k: tuple(float(x) for x in v) for k, v in predictions.features.items()},
    )


def _finite(values: Triple | None) -> Estimate | None:
    if values is None or not all(math.isfinite(x) for x in values):
        return None
    return Estimate(*values)


Forecasts = Callable[[str], Forecast | None]
"""Look up a hall's fresh forecast (None: use the closed form)."""


def no_forecasts(hall_id: str) -> Forecast | None:
    """The lookup when no live estimator runs."""
    return None


@dataclass
class _Track:
    """One hall: its feed, the events not yet fed, the refresh in flight, the forecast."""

    feed: HallFeed
    pending: list[EventRecord] = field(default_factory=list)
    due: bool = False
    task: asyncio.Task[None] | None = None
    forecast: Forecast | None = None
    refreshes: int = 0


class LiveEta:
    """Keeps every hall's latest forecast; see the module docstring."""

    def __init__(
        self,
        db: Database,
        bus: EventBus,
        clock: Callable[[], datetime],
        config: LiveEtaConfig,
        predictor: Predictor = predict,
    ) -> None:
        self.db = db
        self.bus = bus
        self.clock = clock
        self.config = config
        self.predictor = predictor
        self._tracks: dict[str, _Track] = {}
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="eta")

    def forecast(self, hall_id: str) -> Forecast | None:
        """The hall's forecast if it is recent enough to show (None: closed form)."""
        track = self._tracks.get(hall_id)
        found = track.forecast if track else None
        if found is None:
            return None
        age = (self.clock() - found.computed_at).total_seconds()
        return found if age <= self.config.max_age_seconds else None

    def status(self, hall_id: str) -> dict[str, Any]:
        """What the predictor rests on, for the manager's accuracy panel."""
        track = self._tracks.get(hall_id)
        found = track.forecast if track else None
        return {
            "running": track is not None,
            "fresh": self.forecast(hall_id) is not None,
            "computed_at": found.computed_at.isoformat() if found else None,
            "event_id": found.event_id if found else None,
            "services_ready": sorted(found.ready) if found else [],
            "refreshes": track.refreshes if track else 0,
            "outcomes": track.feed.outcomes if track else 0,
            "outcomes_with_state": track.feed.outcomes_with_state if track else 0,
        }

    async def run(self) -> None:
        """Follow the bus until cancelled or the bus shuts down; rebuild everything after
        falling behind it, and start again (after a pause) after any error, so one bad hall
        row or a failed read never leaves the server on the closed form for good."""
        failures = 0
        while not self.bus.closed:
            subscription = self.bus.subscribe(ALL_HALLS, maxsize=10_000)
            try:
                await self._start()
                await self._follow(subscription)
                failures = 0
            except Exception:
                failures += 1
                log.exception("the wait predictor failed; starting again")
                await asyncio.sleep(min(60.0, 0.5 * 2**failures))
                continue
            finally:
                subscription.close()
            if not self.bus.closed:
                log.warning("the wait predictor fell behind the event bus; rebuilding")

    async def close(self) -> None:
        """Stop the refreshes in flight and the worker thread (never waits for a run)."""
        tasks = [t.task for t in self._tracks.values() if t.task is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def _start(self) -> None:
        rows = await self.db.read(lambda tx: tx.all("SELECT * FROM halls ORDER BY id"))
        for row in rows:
            await self._load(row["id"], ZoneInfo(hall_from_row(row).schedule.timezone))

    async def _load(self, hall_id: str, tz: ZoneInfo) -> _Track:
        now = self.clock()
        since = now - timedelta(days=self.config.history_days)
        past, event_id = await self.db.read(lambda tx: read_past(tx, hall_id, since))
        loop = asyncio.get_running_loop()
        feed = await loop.run_in_executor(
            self._executor, HallFeed.from_past, hall_id, tz, past, event_id, now
        )
        old = self._tracks.get(hall_id)
        if old is not None and old.task is not None:
            old.task.cancel()
        track = self._tracks[hall_id] = _Track(feed, due=True)
        self._kick(hall_id, track)
        return track

    async def _follow(self, subscription: Subscription) -> None:
        """Events as they come, and every hall refreshed every ``refresh_seconds`` however
        busy the other halls are (a deadline, not a timeout re-armed by each event)."""
        loop = asyncio.get_running_loop()
        tick = loop.time() + self.config.refresh_seconds
        while True:
            try:
                async with asyncio.timeout_at(tick):
                    event = await subscription.next()
            except TimeoutError:
                tick = loop.time() + self.config.refresh_seconds
                for hall_id, track in self._tracks.items():
                    track.due = True
                    self._kick(hall_id, track)
                continue
            if event is None:
                return
            if not event.type.startswith(("ticket.", "window.")):
                continue
            found = self._tracks.get(event.hall_id) or await self._new_hall(event.hall_id)
            if found is not None:
                found.pending.append(event)
                self._kick(event.hall_id, found)

    async def _new_hall(self, hall_id: str) -> _Track | None:
        row = await self.db.read(lambda tx: tx.one("SELECT * FROM halls WHERE id = ?", (hall_id,)))
        if row is None:
            return None
        return await self._load(hall_id, ZoneInfo(hall_from_row(row).schedule.timezone))

    def _kick(self, hall_id: str, track: _Track) -> None:
        if track.task is None or track.task.done():
            track.task = asyncio.create_task(self._refresh_loop(hall_id, track))

    async def _refresh_loop(self, hall_id: str, track: _Track) -> None:
        """Refresh until no event is left; one loop per hall at a time.

        After a refresh that took ``t`` seconds the next one waits at least
        ``t * (1 - busy_share) / busy_share``, so a very long queue (whose simulation takes
        seconds) never keeps a processor busy more than ``busy_share`` of the time.
        """
        loop = asyncio.get_running_loop()
        while track.pending or track.due:
            if self.config.settle_seconds > 0:
                await asyncio.sleep(self.config.settle_seconds)
            events, track.pending, track.due = track.pending, [], False
            started = loop.time()
            try:
                await self._refresh(hall_id, track, events)
            except Exception:
                log.exception("wait prediction for hall %s failed", hall_id)
            share = self.config.busy_share
            await asyncio.sleep((loop.time() - started) * (1.0 - share) / share)

    async def _refresh(self, hall_id: str, track: _Track, events: list[EventRecord]) -> None:
        ids = {str(e.data.get("ticket_id")) for e in events if e.data.get("ticket_id")}
        rows = await self.db.read(lambda tx: read_hall(tx, hall_id, ids))
        if rows is None:
            return
        now = self.clock()
        loop = asyncio.get_running_loop()
        prepare = partial(_prepare, track.feed, events, rows, now)
        history = await loop.run_in_executor(self._executor, prepare)
        computed = await self._compute(replace(rows, touched={}), history, now)
        finish = partial(self._forecast, track.feed, computed, history, rows, now)
        track.forecast = await loop.run_in_executor(self._executor, finish)
        track.refreshes += 1

    async def _compute(self, rows: HallRows, history: History, now: datetime) -> Computed:
        """Run the predictor in the shared worker process (or this process's worker thread).

        A simulation is pure Python; in a thread it would hold the interpreter lock for as
        long as it runs and slow every request down. To the process go the hall's rows
        and the history; back come plain numbers.
        """
        loop = asyncio.get_running_loop()
        work = partial(compute, self.predictor, rows, history, now, rows.newest_event_id)
        if self.predictor is not predict or self.config.worker == "thread":
            return await loop.run_in_executor(self._executor, work)
        pool = _process_pool()
        try:
            async with asyncio.timeout(max(COMPUTE_TIMEOUT, 4 * self.config.refresh_seconds)):
                return await loop.run_in_executor(pool, work)
        except BrokenProcessPool:
            _drop_process_pool(pool)
            raise
        except TimeoutError:
            log.error("a wait prediction ran too long; restarting the predictor's process")
            _kill_process_pool(pool)
            raise

    def _forecast(
        self,
        feed: HallFeed,
        computed: Computed,
        history: History,
        rows: HallRows,
        now: datetime,
    ) -> Forecast:
        """Worker thread: remember the model estimates, say which services are simulated."""
        feed.remember(computed.model, now, computed.features)
        ready = frozenset(
            sid
            for sid, stats in history.services.items()
            if len(stats.samples) >= self.config.min_samples and sid not in rows.beyond
        )
        return Forecast(feed.hall_id, computed, now, rows.newest_event_id, ready)


def _prepare(feed: HallFeed, events: list[EventRecord], rows: HallRows, now: datetime) -> History:
    """Worker thread: feed the events, then the history as of ``now``."""
    feed.feed(events, rows.touched)
    return feed.builder.snapshot(now)


COMPUTE_TIMEOUT = 30.0
"""Seconds a prediction may run before its process is taken for hung."""
_POOL: list[ProcessPoolExecutor] = []
"""The one predictor process of this server process, started on first use."""


def _process_pool() -> ProcessPoolExecutor:
    if not _POOL:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["queue_server.service.live_eta"])
        _POOL.append(ProcessPoolExecutor(max_workers=1, mp_context=context))
    return _POOL[0]


def _kill_process_pool(pool: ProcessPoolExecutor) -> None:
    """Stop a pool whose process hangs: terminate it, so the next refresh starts afresh."""
    if _POOL and _POOL[0] is pool:
        _POOL.clear()
    for process in list(getattr(pool, "_processes", {}).values()):
        process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


def _drop_process_pool(pool: ProcessPoolExecutor) -> None:
    """Forget a pool whose process died; the next refresh starts a new one."""
    log.error("the wait predictor's process died; starting a new one")
    if _POOL and _POOL[0] is pool:
        _POOL.clear()
    pool.shutdown(wait=False, cancel_futures=True)
