"""The live wait predictor: one simulation forecast per hall, refreshed after its events.

The estimator follows the event bus: a hall's ticket and window events trigger a
refresh, and its ticket events go with it. The refresh itself - one consistent read of
the hall over a connection of its own, the hall's history fed and snapshotted, the
simulation (:func:`queue_server.eta.predict`) - runs in the predictor's worker process
(``service/eta_worker.py``), which also keeps each hall's history (built from the stored
tickets of the last ``history_days`` days the first time it sees the hall). The server's
event loop only sends the new events and stores the numbers that come back, so neither
the simulation nor a queue of thousands costs it anything per refresh.

Refreshes are coalesced: at most one per hall is in flight; events that arrive meanwhile
are taken together by the next one. A timer refreshes every hall every
``refresh_seconds`` so estimates follow the clock when nothing happens.

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
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from queue_server.domain.events import EventRecord
from queue_server.eta import Estimate, predict
from queue_server.events.bus import ALL_HALLS, EventBus, Subscription
from queue_server.service.eta_feed import SIMULATED_QUEUE
from queue_server.service.eta_worker import (
    Predictor,
    PredictorHost,
    Refreshed,
    RefreshRequest,
    Triple,
    forget_here,
    refresh_here,
)
from queue_server.store import Database
from queue_server.store.db import WriteTx

__all__ = ["CLOSED_FORM", "SIMULATION", "Forecast", "Forecasts", "LiveEta", "LiveEtaConfig"]
__all__ += ["Predictor", "no_forecasts"]

log = logging.getLogger(__name__)

SIMULATION = "simulation"
CLOSED_FORM = "closed_form"


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
    simulated_queue: int = SIMULATED_QUEUE

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
        if config.simulated_queue < 1:
            raise ValueError("eta: simulated_queue is at least 1")
        return config


@dataclass(frozen=True)
class Forecast:
    """The latest shown estimates of one hall: the predictor's answer to its last refresh."""

    hall_id: str
    done: Refreshed

    @property
    def computed_at(self) -> datetime:
        """The instant the estimates are for."""
        return self.done.as_of

    @property
    def ready(self) -> frozenset[str]:
        """Services with at least ``min_samples`` recorded service times: only their
        estimates come from the simulation; the others keep the closed form."""
        return self.done.ready

    def service(self, service_id: str, waiting_now: int) -> Estimate | None:
        """The shown wait of a ticket of ``service_id`` issued now, if the simulation has one.

        People who came or were called since the refresh (``waiting_now`` against the
        waiting count it saw) move the estimate by the service's minutes per person, so a
        burst of arrivals between two refreshes does not give every newcomer the same wait.
        """
        if service_id not in self.ready:
            return None
        found = self.done.services.get(service_id)
        pace = self.done.per_person.get(service_id)
        if found is not None and pace is not None:
            then = self.done.waiting.get(service_id, 0)
            found = _shifted(found, (waiting_now - then) * pace)
        return _finite(found)

    def ticket(self, ticket_id: str, service_id: str, now: datetime) -> Estimate | None:
        """The shown wait of one waiting ticket, if the simulation has one, less the time
        gone by since the refresh."""
        if service_id not in self.ready:
            return None
        found = self.done.tickets.get(ticket_id)
        if found is not None:
            found = _shifted(found, -max(0.0, (now - self.computed_at).total_seconds() / 60.0))
        return _finite(found)


def _shifted(values: Triple, minutes: float) -> Triple:
    point, low, high = (max(0.0, v + minutes) for v in values)
    return point, low, high


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
    """One hall: the events not yet sent, the refresh in flight, the latest forecast."""

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
        self._owner = uuid.uuid4().hex
        self._generation = 0
        self._tracks: dict[str, _Track] = {}
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="eta")
        self._host: PredictorHost | None = None
        """The feeds and connection when refreshes run in this process's worker thread."""
        self._closed = False
        self._uses_worker_process = predictor is predict and config.worker == "process"

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
        done = track.forecast.done if track and track.forecast else None
        return {
            "running": track is not None,
            "fresh": self.forecast(hall_id) is not None,
            "computed_at": done.as_of.isoformat() if done else None,
            "event_id": done.event_id if done else None,
            "services_ready": sorted(done.ready) if done else [],
            "refreshes": track.refreshes if track else 0,
            "outcomes": done.outcomes if done else 0,
            "outcomes_with_state": done.outcomes_with_state if done else 0,
            "remote_show_share": round(done.show_share, 3) if done else None,
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
        """Stop the refreshes in flight and the worker thread (never waits for a run); the
        predictor process forgets this estimator's halls."""
        tasks = [t.task for t in self._tracks.values() if t.task is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._closed:
            return
        self._closed = True
        self._executor.submit(self._close_host)
        if self._uses_worker_process and _POOL:
            with contextlib.suppress(RuntimeError):
                _POOL[0].submit(forget_here, str(self.db.path), self._owner)
        self._executor.shutdown(wait=False, cancel_futures=False)

    def _close_host(self) -> None:
        """Worker thread, after any refresh in it: close the thread-mode host, if one was made."""
        if self._host is not None:
            self._host.close()
            self._host = None

    async def _start(self) -> None:
        """Every hall refreshed from a history read afresh (the subscription is already
        open, so events after that read are fed and none twice)."""
        self._generation += 1
        rows = await self.db.read(lambda tx: tx.all("SELECT id FROM halls ORDER BY id"))
        for row in rows:
            track = self._tracks.setdefault(row["id"], _Track())
            track.pending.clear()
            track.due = True
            self._kick(row["id"], track)

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
            track = self._tracks.setdefault(event.hall_id, _Track())
            if event.type.startswith("ticket."):
                track.pending.append(event)
            else:
                track.due = True
            self._kick(event.hall_id, track)

    def _kick(self, hall_id: str, track: _Track) -> None:
        if track.task is None or track.task.done():
            track.task = asyncio.create_task(self._refresh_loop(hall_id, track))

    async def _refresh_loop(self, hall_id: str, track: _Track) -> None:
        """Refresh until no event is left; one loop per hall at a time.

        After a refresh that took the predictor ``t`` seconds the next one waits at least
        ``t * (1 - busy_share) / busy_share``, so a very long queue (whose simulation takes
        seconds) never keeps a processor busy more than ``busy_share`` of the time. (A
        failed refresh counts as a second's work.)
        """
        while track.pending or track.due:
            if self.config.settle_seconds > 0:
                await asyncio.sleep(self.config.settle_seconds)
            events, track.pending, track.due = track.pending, [], False
            try:
                worked = await self._refresh(hall_id, track, events)
            except Exception:
                log.exception("wait prediction for hall %s failed", hall_id)
                worked = 1.0
            share = self.config.busy_share
            await asyncio.sleep(worked * (1.0 - share) / share)

    async def _refresh(self, hall_id: str, track: _Track, events: list[EventRecord]) -> float:
        """One refresh; the seconds of work it took the predictor."""
        now = self.clock()
        request = RefreshRequest(
            db_path=str(self.db.path),
            synchronous=self.db.synchronous,
            owner=self._owner,
            generation=self._generation,
            hall_id=hall_id,
            events=tuple(events),
            now=now,
            history_days=self.config.history_days,
            min_samples=self.config.min_samples,
            simulated_queue=self.config.simulated_queue,
        )
        done = await self._run(request)
        if done is None:
            return 0.0
        if done.kept:
            await self.db.write(partial(_keep_models, done.kept))
        track.forecast = Forecast(hall_id, done)
        track.refreshes += 1
        return done.seconds

    async def _run(self, request: RefreshRequest) -> Refreshed | None:
        """Run the refresh in the shared predictor process (or this process's worker thread).

        A simulation is pure Python; in a thread it would hold the interpreter lock for as
        long as it runs and slow every request down. To the process go the new events;
        back come plain numbers.
        """
        loop = asyncio.get_running_loop()
        if not self._uses_worker_process:
            return await loop.run_in_executor(self._executor, self._refresh_in_thread, request)
        pool = _process_pool()
        # The one process runs the refreshes of every hall in turn: a refresh queued behind
        # others gets their time too before it is taken for hung.
        ahead = _QUEUED[0]
        _QUEUED[0] += 1
        allowed = max(COMPUTE_TIMEOUT, 4 * self.config.refresh_seconds) * (ahead + 1)
        try:
            async with asyncio.timeout(allowed):
                return await loop.run_in_executor(pool, refresh_here, request)
        except BrokenProcessPool:
            _drop_process_pool(pool)
            raise
        except TimeoutError:
            log.error("a wait prediction ran too long; restarting the predictor's process")
            _kill_process_pool(pool)
            raise
        finally:
            _QUEUED[0] -= 1

    def _refresh_in_thread(self, request: RefreshRequest) -> Refreshed | None:
        if self._host is None:
            self._host = PredictorHost(request.db_path, request.synchronous, self._owner)
        return self._host.refresh(request, self.predictor)


def _keep_models(kept: Mapping[str, str], tx: WriteTx) -> None:
    """Store each ticket's first model estimate (the predictor reads them back after a
    restart, so its recalibration and point correction need not learn again)."""
    tx.conn.executemany(
        "UPDATE tickets SET eta_model = ? WHERE id = ? AND eta_model IS NULL",
        [(text, ticket_id) for ticket_id, text in kept.items()],
    )


COMPUTE_TIMEOUT = 30.0
"""Seconds a prediction may run before its process is taken for hung."""
_POOL: list[ProcessPoolExecutor] = []
_QUEUED = [0]
"""Refreshes handed to the predictor process and not yet back."""
"""The one predictor process of this server process, started on first use."""


def _process_pool() -> ProcessPoolExecutor:
    if not _POOL:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["queue_server.service.eta_worker"])
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
