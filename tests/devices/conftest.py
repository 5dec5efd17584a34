"""Device rigs: each contract suite runs against the simulator, a replay, or hardware.

- ``sim``: the driver talks to the in-package simulator over a real pty.
- ``replay``: the driver talks to a transcript recorded from the simulator
  (``tests/devices/fixtures/<kind>/<test>.jsonl``). Regenerate transcripts with
  ``ONEVISIT_RECORD_FIXTURES=1 pytest tests/devices -k sim``.
- ``hardware``: with ``--hardware`` (registered in tests/conftest.py), the port
  named by ``ONEVISIT_HW_<KIND>`` (e.g. ``ONEVISIT_HW_CARD_READER=/dev/ttyUSB0``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from devices.bus.callerbus import KeypadSimConfig, KeypadSimulator
from devices.bus.led import LedSimulator
from devices.card_reader.simulator import CardReaderSimConfig, CardReaderSimulator
from devices.printer.simulator import PrinterSimulator
from devices.recording import RecordingTransport, ReplayTransport
from devices.sim.base import SimDevice
from devices.sim.hosts import PtyHost
from devices.transport import SerialTransport, Transport

FIXTURES = Path(__file__).parent / "fixtures"
RECORD = os.environ.get("ONEVISIT_RECORD_FIXTURES") == "1"
BACKENDS = ["sim", "replay", pytest.param("hardware", marks=pytest.mark.hardware)]

SIMULATORS: dict[str, Callable[[], SimDevice]] = {
    "card_reader": lambda: CardReaderSimulator(
        CardReaderSimConfig(find_latency=0.001, select_latency=0.001, read_latency=0.005)
    ),
    "printer": PrinterSimulator,
    "led": LedSimulator,
    "caller_bus": lambda: KeypadSimulator(
        KeypadSimConfig(keypads=[1, 2], evaluators={9: "five", 10: "four"})
    ),
}
BAUDRATES = {"card_reader": 115200, "printer": 9600, "led": 9600, "caller_bus": 9600}


@dataclass
class Rig:
    """What a contract test gets: a transport, and the simulator when there is one."""

    backend: str
    transport: Transport
    sim: Any = None
    cleanups: list[Callable[[], None]] = field(default_factory=list)

    def act(self, action: Callable[[Any], object]) -> None:
        """Change the simulated world (place a card, set paper out); a no-op elsewhere."""
        if self.sim is not None:
            action(self.sim)

    @property
    def checks_world(self) -> bool:
        """Whether assertions on the device's side (the simulator's state) are possible."""
        return self.sim is not None


def _transcript(kind: str, request: pytest.FixtureRequest) -> Path:
    name = request.node.originalname
    params = getattr(request.node, "callspec", None)
    for key, value in params.params.items() if params else []:
        if not key.endswith("_rig"):
            name += "-" + re.sub(r"[^A-Za-z0-9]+", "_", str(value))
    return FIXTURES / kind / f"{name}.jsonl"


def make_rig(kind: str, request: pytest.FixtureRequest) -> Iterator[Rig]:
    backend = request.param
    if backend == "hardware":
        url = os.environ.get(f"ONEVISIT_HW_{kind.upper()}")
        if not url:
            pytest.skip(f"set ONEVISIT_HW_{kind.upper()} to a port URL")
        yield Rig("hardware", SerialTransport(url, baudrate=BAUDRATES[kind]))
        return
    path = _transcript(kind, request)
    if backend == "replay":
        if not path.exists():
            pytest.fail(f"missing transcript {path}; record it with ONEVISIT_RECORD_FIXTURES=1")
        replay = ReplayTransport(path)
        yield Rig("replay", replay)
        assert replay.finished, "the driver did not play the whole transcript"
        return
    sim = SIMULATORS[kind]()
    host = PtyHost(sim)
    transport: Transport = SerialTransport(host.url, baudrate=BAUDRATES[kind])
    if RECORD:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        transport = RecordingTransport(transport, path)
    try:
        yield Rig("sim", transport, sim)
    finally:
        transport.close()
        host.stop()


@pytest.fixture(params=BACKENDS)
def card_rig(request: pytest.FixtureRequest) -> Iterator[Rig]:
    yield from make_rig("card_reader", request)


@pytest.fixture(params=BACKENDS)
def printer_rig(request: pytest.FixtureRequest) -> Iterator[Rig]:
    yield from make_rig("printer", request)


@pytest.fixture(params=BACKENDS)
def led_rig(request: pytest.FixtureRequest) -> Iterator[Rig]:
    yield from make_rig("led", request)


@pytest.fixture(params=BACKENDS)
def bus_rig(request: pytest.FixtureRequest) -> Iterator[Rig]:
    yield from make_rig("caller_bus", request)
