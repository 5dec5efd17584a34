"""Window LED screens: a small interface, the Onbon adapter and its simulator."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any, Protocol

from devices.bus import onbon
from devices.errors import DeviceTimeout, ProtocolError
from devices.sim.base import SimDevice
from devices.transport import Transport
from devices.worker import DeviceWorker

HOST_ADDRESS = 0x8000


class WindowDisplay(Protocol):
    """What the counter agent needs from any vendor's window screen."""

    async def show(self, text: str, colour: str = "red") -> None: ...

    async def clear(self) -> None: ...


class OnbonDisplay:
    """A BX-5/BX-6 controller at ``address`` on a serial line or TCP port."""

    def __init__(
        self,
        transport: Transport,
        *,
        address: int = 1,
        area: onbon.TextArea | None = None,
        timeout: float = 1.0,
    ) -> None:
        self.transport = transport
        self.address = address
        self.area = area or onbon.TextArea()
        self.timeout = timeout
        self._worker = DeviceWorker(f"led-{address}")

    async def __aenter__(self) -> OnbonDisplay:
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

    async def ping(self) -> None:
        await self._worker.run(self._transact, onbon.PING, b"")

    async def show(self, text: str, colour: str = "red") -> None:
        args = onbon.text_args(self.area, text, colour)
        await self._worker.run(self._transact, onbon.TEXT, args)

    async def clear(self) -> None:
        await self._worker.run(self._transact, onbon.CLEAR, b"")

    async def brightness(self, level: int) -> None:
        await self._worker.run(self._transact, onbon.BRIGHTNESS, bytes([level]))

    def _transact(self, op: tuple[int, int], args: bytes) -> None:
        if not self.transport.is_open:
            self.transport.open()
        packet = onbon.Packet(dst=self.address, src=HOST_ADDRESS, data=onbon.command(op, args))
        self.transport.discard_input()
        self.transport.write(onbon.encode(packet))
        reply = self._read_reply(time.monotonic() + self.timeout)
        if reply.data[:2] != bytes(op) or len(reply.data) < 3 or reply.data[2] != 0:
            raise ProtocolError(f"controller refused {bytes(op).hex()}: {reply.data.hex()}")

    def _read_reply(self, deadline: float) -> onbon.Packet:
        decoder = onbon.Decoder()
        while (remaining := deadline - time.monotonic()) > 0:
            for item in decoder.feed(self.transport.read(1, remaining)):
                if isinstance(item, ProtocolError):
                    raise item
                if item.dst == HOST_ADDRESS:
                    return item
        raise DeviceTimeout(f"LED controller {self.address} did not answer")


@dataclass
class LedSimConfig:
    """Knobs: the controller's address, answer latency, and silence."""

    address: int = 1
    latency: float = 0.005
    silent: bool = False


class LedSimulator(SimDevice):
    """An Onbon controller: keeps the text of each area and acknowledges commands."""

    kind = "led"

    def __init__(self, config: LedSimConfig | None = None) -> None:
        super().__init__()
        self.config = replace(config) if config else LedSimConfig()
        self.changed = threading.Condition(self.lock)
        self.areas: dict[int, dict[str, str]] = {}
        self.brightness = 16
        self.bad_frames = 0
        self._decoder = onbon.Decoder()

    def receive(self, data: bytes) -> None:
        with self.changed:
            for item in self._decoder.feed(data):
                if isinstance(item, ProtocolError):
                    self.bad_frames += 1
                elif item.dst in (self.config.address, 0xFFFE):
                    self._handle(item)
            self.changed.notify_all()

    def _handle(self, packet: onbon.Packet) -> None:
        op, args = (packet.data[0], packet.data[1]), packet.data[5:]
        result = 0
        if op == onbon.TEXT:
            area, text, colour = onbon.parse_text_args(args)
            self.areas[area.area_id] = {"text": text, "colour": colour}
        elif op == onbon.CLEAR:
            self.areas.clear()
        elif op == onbon.BRIGHTNESS and args:
            self.brightness = args[0]
        elif op != onbon.PING:
            result = 1
        if packet.data[2] and not self.config.silent:
            reply = onbon.Packet(dst=packet.src, src=self.config.address, data=bytes([*op, result]))
            self.emit(onbon.encode(reply), self.config.latency)

    def control(self, command: dict[str, Any]) -> dict[str, Any]:
        """``state`` returns what the screen shows; ``set`` changes knobs."""
        action = command.get("cmd")
        with self.lock:
            if action == "set":
                for key, value in command.items():
                    if key != "cmd":
                        if not hasattr(self.config, key):
                            raise ValueError(f"unknown knob {key!r}")
                        setattr(self.config, key, value)
            elif action != "state":
                raise ValueError(f"unknown command {action!r}")
            areas = {str(k): v for k, v in self.areas.items()}
            return {"ok": True, "areas": areas, "brightness": self.brightness}
