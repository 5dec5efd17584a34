"""The counter agent: one window's caller keypad, window LED and evaluator, driven over HTTP.

It follows the window on the hall's event stream (resuming by ``Last-Event-ID``) and shows
the window screen's content on the LED and the waiting count and current ticket on the
keypad's LCD; keypad keys become the window actions of the clerk signed in there (the server
refuses them with ``no_clerk`` when nobody is); after a finish it asks the evaluator for a
rating and posts it, once per ticket; and it reports each part's health in heartbeats, at
once when one changes. The server decides everything; the agent only carries bytes and
requests. Nothing personal passes through it: numbers and counts only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from devices import (
    CallerBus,
    DeviceError,
    DeviceTimeout,
    KeyEvent,
    OnbonDisplay,
    RatingEvent,
    build_device,
)
from kiosk.client import Backoff, parse_time
from kiosk.counter_client import ApiError, CounterClient, StreamEvent, Unreachable
from kiosk.counter_config import CounterConfig, Link
from kiosk.counter_keys import key_action, level_of

_LOG = logging.getLogger(__name__)
NO_CLERK_LCD = "000"
"""The keypad LCD's ticket digits while nobody is signed in (no ticket is ever numbered 000)."""
RENDER_GAP = 0.05
"""Seconds between two state reads, so a burst of events costs one read."""
CLOSE_SECONDS = 3.0
"""How long closing one part may take at shutdown."""
REFUSED_ATTEMPT = 6
"""Backoff step after the server refuses the token: about the cap, not every half second."""
EVALUATE_WITHIN = timedelta(minutes=2)
"""A finish seen later than this (replayed after an outage) does not start the evaluator:
the citizen now at the counter is probably somebody else."""


def _bus_spec(link: Link, keypads: list[int], evaluators: dict[int, str]) -> dict[str, Any]:
    spec: dict[str, Any] = {"kind": "caller_bus", "backend": link.backend,
                            "options": {"evaluators": evaluators}}  # fmt: skip
    if link.backend == "serial":
        spec.update(port=link.port, baudrate=link.baudrate)
    else:
        spec["sim"] = {"keypads": keypads, "evaluators": {str(a): p for a, p in evaluators.items()}}
    return spec


def _led_spec(link: Link, address: int) -> dict[str, Any]:
    spec: dict[str, Any] = {"kind": "led", "backend": link.backend, "options": {"address": address}}
    if link.backend == "serial":
        spec.update(port=link.port, baudrate=link.baudrate)
    else:
        spec["sim"] = {"address": address}
    return spec


def _health_of(err: DeviceError) -> tuple[str, str]:
    if isinstance(err, DeviceTimeout):
        return ("fault", "no_answer")
    if err.code == "unavailable":
        return ("offline", "unavailable")
    return ("fault", err.code)


class CounterAgent:
    """One counter. ``start()`` opens the parts and starts the loops; ``stop()`` ends them."""

    def __init__(self, config: CounterConfig, client: CounterClient | None = None) -> None:
        self.config = config
        self.client = client or CounterClient(
            config.server_url, config.token, config.window_id, timeout=config.request_timeout
        )
        self.keypad_bus: CallerBus | None = None
        self.evaluator_bus: CallerBus | None = None
        self.led: OnbonDisplay | None = None
        self.state: dict[str, Any] | None = None
        self.health: dict[str, tuple[str, str]] = {}
        self.pending_rating: str | None = None
        self.last_refusal = ""
        self.refused_by_server = ""
        self.tasks: set[asyncio.Task[Any]] = set()
        self._inputs: asyncio.Queue[KeyEvent | RatingEvent] = asyncio.Queue()
        self._dirty = asyncio.Event()
        self._wake = asyncio.Event()
        self._shown_led: tuple[str, str] | None = None
        self._shown_lcd: tuple[int | None, str] | None = None
        self._rated: str | None = None
        self._unsent: tuple[str, int] | None = None
        self._last_event_id: int | None = None

    # -- life cycle -----------------------------------------------------------------------

    def build(self) -> None:
        """Build (not open) the configured parts; ports open on first use and reopen after
        an unplug, so a missing device never stops the agent."""
        cfg = self.config
        address = cfg.evaluator_address
        evaluators = {address: cfg.evaluator_profile} if address is not None else {}
        shared = cfg.evaluator is None and address is not None
        if cfg.keypad is not None:
            on_keypad = evaluators if shared else {}
            self.keypad_bus = self._bus(cfg.keypad, [cfg.keypad_address], on_keypad)
            self.health["keypad"] = ("ok", "")
        if cfg.evaluator is not None and address is not None:
            self.evaluator_bus = self._bus(cfg.evaluator, [], evaluators)
        elif shared:
            self.evaluator_bus = self.keypad_bus
        if self.evaluator_bus is not None:
            self.health["evaluator"] = ("ok", "")
        if cfg.led is not None:
            led = build_device(_led_spec(cfg.led, cfg.led_address))
            assert isinstance(led, OnbonDisplay)
            self.led = led
            self.health["led"] = ("ok", "")

    @staticmethod
    def _bus(link: Link, keypads: list[int], evaluators: dict[int, str]) -> CallerBus:
        bus = build_device(_bus_spec(link, keypads, evaluators))
        assert isinstance(bus, CallerBus)
        return bus

    async def start(self) -> None:
        """Build the parts and start following the window."""
        self.build()
        for bus in {b for b in (self.keypad_bus, self.evaluator_bus) if b is not None}:
            self._spawn(self._supervised("bus", partial(self._bus_loop, bus)))
        self._spawn(self._supervised("follow", self._follow_loop))
        self._spawn(self._supervised("render", self._render_loop))
        self._spawn(self._supervised("input", self._input_loop))
        self._spawn(self._supervised("heartbeat", self._heartbeat_loop))

    async def _supervised(self, name: str, loop: Callable[[], Awaitable[None]]) -> None:
        """Run a loop for the agent's lifetime: an unexpected error is logged and the loop
        starts again (with backoff), so a stale LED never hides behind a running process."""
        backoff = Backoff(base=0.5, cap=30.0)
        attempt = 0
        while True:
            try:
                await loop()
                return
            except Exception:
                _LOG.exception(
                    "window %s: the %s loop failed; restarting", self.config.window_id, name
                )
            await asyncio.sleep(backoff.delay(attempt))
            attempt += 1

    async def stop(self) -> None:
        """Stop the loops and close the parts; a wedged port cannot hold shutdown up."""
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        parts: list[Any] = [self.led, self.keypad_bus]
        if self.evaluator_bus is not self.keypad_bus:
            parts.append(self.evaluator_bus)
        for part in parts:
            if part is not None:
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(CLOSE_SECONDS):
                        await part.close()
        await self.client.close()

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            _LOG.error("counter task failed: %r", task.exception())

    # -- following the window -------------------------------------------------------------

    async def _follow_loop(self) -> None:
        """Read the state, then the event stream from the last event seen; on a drop, wait
        (backoff with jitter) and do both again; the server replays what was missed."""
        backoff = Backoff(base=0.5, cap=8.0)
        attempt = 0
        while True:
            try:
                await self.refresh()
                assert self.state is not None
                if self._last_event_id is None:
                    self._last_event_id = int(self.state["last_event_id"])
                hall_id = str(self.state["hall"]["id"])
                async for event in self.client.events(hall_id, self._last_event_id):
                    attempt = 0
                    await self._on_event(event)
            except ApiError as err:  # a revoked token, or one bound to another window
                if err.code != self.refused_by_server:
                    _LOG.warning("window %s: the server refused: %s", self.config.window_id, err)
                self.refused_by_server = err.code
                attempt = max(attempt, REFUSED_ATTEMPT)  # nothing changes soon: ask rarely
            except Unreachable as err:
                _LOG.info("window %s: %s; reconnecting", self.config.window_id, err)
            await asyncio.sleep(backoff.delay(attempt))
            attempt += 1

    async def _on_event(self, event: StreamEvent) -> None:
        if event.type == "reset":
            self._last_event_id = int(event.data.get("last_event_id", 0))
            self._dirty.set()
            return
        if event.id is not None:
            self._last_event_id = event.id
        mine = event.data.get("window_id") == self.config.window_id
        if event.type == "ticket.finished" and mine and _recent(event.data.get("at")):
            await self._finished(str(event.data["ticket_id"]))
        if event.type.startswith(("ticket.", "window.")) or event.type == "settings.changed":
            self._dirty.set()

    async def refresh(self) -> None:
        """Read the window's state and show it."""
        await self._apply(await self.client.state())

    async def _render_loop(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            with contextlib.suppress(Unreachable, ApiError):
                await self.refresh()
            await asyncio.sleep(RENDER_GAP)

    async def _apply(self, state: dict[str, Any]) -> None:
        self.state = state
        led = state["led"]
        await self._show_led(str(led["text"]), str(led["colour"]))
        ticket = state.get("ticket") or {}
        if state.get("clerk") is None:
            await self._show_lcd(None, NO_CLERK_LCD)
        else:
            await self._show_lcd(int(state["waiting"]), str(ticket.get("number", "")))

    async def _show_led(self, text: str, colour: str) -> None:
        if self.led is None or self._shown_led == (text, colour):
            return
        try:
            await self.led.show(text, colour)
        except DeviceError as err:
            self._shown_led = None
            self._set_health("led", _health_of(err))
            return
        self._shown_led = (text, colour)
        self._set_health("led", ("ok", ""))

    async def _show_lcd(self, waiting: int | None, ticket: str) -> None:
        if self.keypad_bus is None or self._shown_lcd == (waiting, ticket):
            return
        try:
            await self.keypad_bus.show(self.config.keypad_address, waiting, ticket)
        except DeviceError as err:
            self._shown_lcd = None
            self._set_health("keypad", _health_of(err))
            return
        self._shown_lcd = (waiting, ticket)

    def _set_health(self, part: str, health: tuple[str, str]) -> None:
        if self.health.get(part) != health:
            self.health[part] = health
            self._wake.set()  # the manager sees it now, not at the next heartbeat

    # -- keys and ratings -----------------------------------------------------------------

    async def _bus_loop(self, bus: CallerBus) -> None:
        parts = self._parts_on(bus)
        async for item in bus.events():
            if isinstance(item, DeviceError):
                for part in parts:
                    self._set_health(part, _health_of(item))
                self._forget_shown(bus)
                continue
            self._bus_back(bus)
            await self._inputs.put(item)

    def _parts_on(self, bus: CallerBus) -> list[str]:
        parts = ["keypad"] if bus is self.keypad_bus else []
        return parts + (["evaluator"] if bus is self.evaluator_bus else [])

    def _forget_shown(self, bus: CallerBus) -> None:
        if bus is self.keypad_bus:
            self._shown_lcd = None

    def _bus_back(self, bus: CallerBus) -> None:
        """A bus that answers again: its parts are healthy and the LCD is redrawn."""
        for part in self._parts_on(bus):
            if self.health.get(part, ("ok", ""))[0] != "ok":
                self._set_health(part, ("ok", ""))
                self._dirty.set()

    async def _input_loop(self) -> None:
        """Keys and ratings one at a time, in the order they were pressed."""
        while True:
            item = await self._inputs.get()
            if isinstance(item, RatingEvent):
                if item.address == self.config.evaluator_address:
                    await self._rate(item)
            elif item.address == self.config.keypad_address:
                await self.press(item)

    async def press(self, event: KeyEvent) -> None:
        """Carry out one key; a refusal beeps and is kept in ``last_refusal``."""
        window_state = (self.state or {}).get("window", {}).get("state")
        choice = key_action(event.key, event.digits, window_state)
        if choice is None:
            await self._beep()
            return
        try:
            result = await self.client.act(choice.action, choice.number)
        except (ApiError, Unreachable) as err:
            self.last_refusal = err.code if isinstance(err, ApiError) else "unreachable"
            _LOG.info("key %s refused: %s", event.key, self.last_refusal)
            await self._beep()
            self._dirty.set()
            return
        self.last_refusal = ""
        await self._apply(result["counter"])
        ticket = result.get("ticket")
        if choice.action == "finish" and ticket is not None:
            await self._finished(str(ticket["id"]))

    async def _beep(self) -> None:
        if self.keypad_bus is not None:
            with contextlib.suppress(DeviceError):
                await self.keypad_bus.beep(self.config.keypad_address)

    async def _finished(self, ticket_id: str) -> None:
        """Ask the citizen to rate ``ticket_id`` (once, whichever way the finish was seen)."""
        bus, address = self.evaluator_bus, self.config.evaluator_address
        if bus is None or address is None or ticket_id in (self.pending_rating, self._rated):
            return
        self.pending_rating = ticket_id
        try:
            await bus.start_evaluation(address)
        except DeviceError as err:
            self._set_health("evaluator", _health_of(err))

    async def _rate(self, event: RatingEvent) -> None:
        """Post the grade for the ticket being rated; a late or second press is dropped."""
        ticket_id = self.pending_rating
        if ticket_id is None:
            _LOG.info("a rating with no ticket to rate was ignored")
            return
        self.pending_rating, self._rated = None, ticket_id
        await self._send_rating(ticket_id, level_of(int(event.grade)))

    async def _send_rating(self, ticket_id: str, level: int) -> None:
        try:
            await self.client.rate(ticket_id, level)
        except Unreachable:
            self._unsent = (ticket_id, level)  # sent again with the next heartbeat
            return
        except ApiError as err:
            _LOG.info("rating of a ticket refused: %s", err.code)
        self._unsent = None

    # -- health ---------------------------------------------------------------------------

    async def health_parts(self) -> list[dict[str, Any]]:
        """Each part's health; the LED is pinged, so a silent controller shows as faulty, and
        a bus whose port opened again counts as back."""
        for bus in (self.keypad_bus, self.evaluator_bus):
            if bus is not None and bus.transport.is_open:
                self._bus_back(bus)
        if self.led is not None:
            try:
                await self.led.ping()
            except DeviceError as err:
                self._shown_led = None
                self._set_health("led", _health_of(err))
            else:
                if self.health.get("led", ("ok", ""))[0] != "ok":
                    self._set_health("led", ("ok", ""))
                    self._dirty.set()
        return [{"kind": k, "status": s, "detail": d} for k, (s, d) in sorted(self.health.items())]

    async def _heartbeat_loop(self) -> None:
        while True:
            self._wake.clear()
            parts = await self.health_parts()
            with contextlib.suppress(Unreachable, ApiError):
                await self.client.heartbeat(parts)
                if self._unsent is not None:
                    await self._send_rating(*self._unsent)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.config.heartbeat_seconds):
                    await self._wake.wait()

    def wake(self) -> None:
        """Send a heartbeat now."""
        self._wake.set()


def _recent(at: Any) -> bool:
    """Whether an event's ``at`` is within :data:`EVALUATE_WITHIN` of now (unknown: yes)."""
    if not isinstance(at, str):
        return True
    try:
        return datetime.now(UTC) - parse_time(at) <= EVALUATE_WITHIN
    except ValueError:
        return True
