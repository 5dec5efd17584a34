"""``build_device(spec)``: configuration picks the real port or an in-process simulator.

A spec is a dict such as::

    {"kind": "card_reader", "backend": "serial", "port": "/dev/serial/by-id/usb-…"}
    {"kind": "printer", "backend": "sim", "sim": {"paper": "near_end"}}
    {"kind": "camera", "backend": "opencv", "source": 0}

Unknown kinds, backends or keys fail here, at start-up, not at first use.
"""

from __future__ import annotations

from typing import Any

from devices.bus.callerbus import CallerBus, KeypadSimConfig, KeypadSimulator
from devices.bus.led import LedSimulator, OnbonDisplay
from devices.camera.frames import ArraySource, FrameSource, open_source
from devices.camera.reader import QrCamera
from devices.camera.synthetic import qr_frame
from devices.card_reader.model import CardData
from devices.card_reader.reader import CardReader
from devices.card_reader.simulator import CardReaderSimulator
from devices.errors import ConfigError
from devices.printer.printer import ReceiptPrinter
from devices.printer.simulator import PrinterSimulator
from devices.sim.base import SimDevice
from devices.sim.hosts import SimLink
from devices.transport import SerialTransport, Transport

Device = CardReader | ReceiptPrinter | OnbonDisplay | CallerBus | QrCamera
BAUDRATES = {"card_reader": 115200, "printer": 9600, "led": 9600, "caller_bus": 9600}
_COMMON_KEYS = {"kind", "backend", "port", "baudrate", "sim", "options"}


def _simulator(kind: str, knobs: dict[str, Any]) -> SimDevice:
    knobs = dict(knobs)
    if kind == "card_reader":
        card = knobs.pop("card", None)
        reader = CardReaderSimulator()
        reader.set_knobs(knobs)
        if card is not None:
            reader.place(CardData.from_json(card))
        return reader
    if kind == "printer":
        printer = PrinterSimulator()
        printer.set_knobs(knobs)
        return printer
    if kind == "led":
        led = LedSimulator()
        led.control({"cmd": "set", **knobs})
        return led
    evaluators = {int(k): v for k, v in knobs.get("evaluators", {}).items()}
    return KeypadSimulator(KeypadSimConfig(knobs.get("keypads", [1]), evaluators))


def _transport(spec: dict[str, Any], kind: str) -> Transport:
    backend = spec.get("backend")
    if backend == "serial":
        port = spec.get("port")
        if not isinstance(port, str) or not port:
            raise ConfigError(f"{kind}: backend 'serial' needs a 'port' URL")
        return SerialTransport(port, baudrate=int(spec.get("baudrate", BAUDRATES[kind])))
    if backend == "sim":
        return SimLink(_simulator(kind, spec.get("sim", {})))
    raise ConfigError(f"{kind}: backend must be 'serial' or 'sim', not {backend!r}")


def _camera(spec: dict[str, Any]) -> QrCamera:
    options = spec.get("options", {})
    if spec.get("backend") == "opencv":
        source = spec.get("source", 0)
        return QrCamera(lambda: open_source(source), **options)
    if spec.get("backend") == "sim":
        texts = spec.get("sim", {}).get("codes", [])

        def frames() -> FrameSource:
            return ArraySource([qr_frame(text) for text in texts])

        return QrCamera(frames, **options)
    raise ConfigError("camera: backend must be 'opencv' or 'sim'")


def build_device(spec: dict[str, Any]) -> Device:
    """Build (not open) the device ``spec`` describes; ``options`` go to its constructor."""
    kind = spec.get("kind")
    unknown = set(spec) - _COMMON_KEYS - {"source"}
    if unknown:
        raise ConfigError(f"unknown device keys: {sorted(unknown)}")
    try:
        if kind == "camera":
            return _camera(spec)
        if kind not in BAUDRATES:
            raise ConfigError(f"unknown device kind {kind!r}")
        transport = _transport(spec, kind)
        options = spec.get("options", {})
        if kind == "card_reader":
            return CardReader(transport, **options)
        if kind == "printer":
            return ReceiptPrinter(transport, **options)
        if kind == "led":
            return OnbonDisplay(transport, **options)
        return CallerBus(transport, **options)
    except (TypeError, ValueError) as err:
        if isinstance(err, ConfigError):
            raise
        raise ConfigError(f"{kind}: {err}") from err


def simulator_of(device: Device) -> SimDevice | None:
    """The in-process simulator behind a ``backend: sim`` device (for demos and tests)."""
    transport = getattr(device, "transport", None)
    return transport.device if isinstance(transport, SimLink) else None
