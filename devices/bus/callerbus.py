"""The counter bus: caller keypads and evaluators sharing one RS-485 line."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from devices.bus import caller
from devices.bus.caller import BusFrame, Grade, KeyEvent, RatingEvent
from devices.errors import DeviceError, DeviceUnavailable
from devices.sim.base import SimDevice
from devices.transport import Transport
from devices.worker import DeviceWorker

_LOG = logging.getLogger(__name__)
BusEvent = KeyEvent | RatingEvent


class CallerBus:
    """Reads key presses and ratings, acknowledges them, and drives keypad LCDs.

    ``evaluators`` maps an evaluator's bus address to its profile: "five" (sends
    grade 0–4) or "four" (legacy keys mapped onto four of the five grades).
    """

    def __init__(
        self,
        transport: Transport,
        *,
        evaluators: dict[int, str] | None = None,
        poll_interval: float = 0.02,
        reconnect_interval: float = 1.0,
    ) -> None:
        self.transport = transport
        self.evaluators = dict(evaluators or {})
        for address, profile in self.evaluators.items():
            if profile not in caller.PROFILES:
                raise ValueError(f"evaluator {address}: profile must be one of {caller.PROFILES}")
        self.poll_interval = poll_interval
        self.reconnect_interval = reconnect_interval
        self._decoder = caller.Decoder()
        self._worker = DeviceWorker("caller-bus")

    async def __aenter__(self) -> CallerBus:
        await self._worker.run(self.transport.open)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self._worker.run(self.transport.close)
        self._worker.shutdown()

    async def show(self, address: int, waiting: int | None, ticket: str) -> None:
        """Show the waiting count and the ticket's digits on a keypad's LCD."""
        await self._send(caller.show_frame(address, waiting, ticket))

    async def beep(self, address: int) -> None:
        await self._send(BusFrame(address, caller.FUNC_BEEP, b""))

    async def start_evaluation(self, address: int) -> None:
        await self._send(BusFrame(address, caller.FUNC_KEY, bytes([caller.START_EVALUATION])))

    async def show_stars(self, address: int) -> None:
        await self._send(BusFrame(address, caller.FUNC_SHOW, bytes([caller.SHOW_STARS])))

    async def _send(self, frame: BusFrame) -> None:
        await self._worker.run(self._write_blocking, caller.encode(frame))

    def _write_blocking(self, data: bytes) -> None:
        if not self.transport.is_open:
            self.transport.open()
        self.transport.write(data)

    def _poll_blocking(self) -> list[BusEvent]:
        if not self.transport.is_open:
            self.transport.open()
        events: list[BusEvent] = []
        for frame in self._decoder.feed(self.transport.read(256, self.poll_interval)):
            self.transport.write(caller.encode(caller.ack_for(frame)))
            event = caller.to_event(frame, self.evaluators.get(frame.address, "five"))
            if event is not None:
                events.append(event)
        return events

    async def events(self) -> AsyncGenerator[BusEvent | DeviceError, None]:
        """Yield key presses and ratings as they come; a failure once per outage."""
        failing = False
        while True:
            try:
                events = await self._worker.run(self._poll_blocking)
            except DeviceUnavailable as err:
                await self._worker.run(self.transport.close)
                if not failing:
                    failing = True
                    yield err
                await asyncio.sleep(self.reconnect_interval)
                continue
            failing = False
            for event in events:
                yield event


@dataclass
class KeypadSimConfig:
    """Which addresses are keypads and which evaluators (with their profile)."""

    keypads: list[int] = field(default_factory=lambda: [1])
    evaluators: dict[int, str] = field(default_factory=dict)


class KeypadSimulator(SimDevice):
    """Keypads and evaluators on one bus: press keys, rate, and record host commands."""

    kind = "keypad"

    def __init__(self, config: KeypadSimConfig | None = None) -> None:
        super().__init__()
        self.config = config or KeypadSimConfig()
        self.changed = threading.Condition(self.lock)
        self.displays: dict[int, bytes] = {}
        self.beeps: dict[int, int] = {}
        self.evaluating: dict[int, bool] = {}
        self.stars: dict[int, int] = {}
        self.unacked: list[bytes] = []
        self._decoder = caller.Decoder()

    def press(self, address: int, key: str, digits: str = "") -> None:
        if address not in self.config.keypads:
            raise ValueError(f"no keypad at address {address}")
        self._send(caller.key_frame(address, key, digits))

    def rate(self, address: int, grade: Grade) -> None:
        profile = self.config.evaluators.get(address)
        if profile is None:
            raise ValueError(f"no evaluator at address {address}")
        raw = caller.FOUR_KEY_CODES.get(grade) if profile == "four" else int(grade)
        if raw is None:
            raise ValueError(f"a four-key evaluator has no key for {grade.label}")
        self._send(BusFrame(address, caller.FUNC_RATING, bytes([raw])))
        with self.changed:
            self.evaluating[address] = False

    def _send(self, frame: BusFrame) -> None:
        with self.changed:
            self.unacked.append(caller.encode(caller.ack_for(frame)))
            self.emit(caller.encode(frame))

    def receive(self, data: bytes) -> None:
        with self.changed:
            for frame in self._decoder.feed(data):
                encoded = caller.encode(frame)
                if encoded in self.unacked:
                    self.unacked.remove(encoded)
                else:
                    self._command(frame)
            self.changed.notify_all()

    def _command(self, frame: BusFrame) -> None:
        address = frame.address
        is_evaluator = address in self.config.evaluators
        if frame.func == caller.FUNC_BEEP:
            self.beeps[address] = self.beeps.get(address, 0) + 1
        elif frame.func == caller.FUNC_SHOW and is_evaluator:
            self.stars[address] = self.stars.get(address, 0) + 1
        elif frame.func == caller.FUNC_SHOW:
            self.displays[address] = frame.data
        elif frame.func == caller.FUNC_KEY and frame.data == bytes([caller.START_EVALUATION]):
            self.evaluating[address] = True

    def lcd_text(self, address: int) -> str:
        """The keypad LCD as text, blanks as spaces."""
        data = self.displays.get(address, bytes([caller.BLANK] * 6))
        return "".join(" " if d == caller.BLANK else str(d) for d in data)

    def control(self, command: dict[str, Any]) -> dict[str, Any]:
        """``press`` (address, key, digits), ``rate`` (address, grade 0–4) or ``state``."""
        action = command.get("cmd")
        if action == "press":
            self.press(int(command["address"]), command["key"], command.get("digits", ""))
        elif action == "rate":
            self.rate(int(command["address"]), Grade(int(command["grade"])))
        elif action != "state":
            raise ValueError(f"unknown command {action!r}")
        with self.lock:
            return {
                "ok": True,
                "lcd": {str(a): self.lcd_text(a) for a in self.displays},
                "beeps": {str(a): n for a, n in self.beeps.items()},
                "evaluating": {str(a): v for a, v in self.evaluating.items()},
                "unacked": len(self.unacked),
            }
