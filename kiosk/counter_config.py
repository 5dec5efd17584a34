"""The counter agent's configuration file (TOML, ``role = "counter"``).

Example (every key is described in ``docs/devices.md``, "Counter agent")::

    role = "counter"
    server_url = "http://hall.local:8080"
    token_file = "/etc/onevisit/counter-w05.token"   # a counter token bound to the window
    window_id = "civic-w05"

    [devices.keypad]            # the caller keypad's RS-485 bus
    backend = "serial"
    port = "/dev/serial/by-id/usb-1a86_USB_Serial-if00-port0"
    address = 1

    [devices.evaluator]         # no backend/port: on the keypad's bus
    address = 2
    profile = "five"            # or "four" (legacy four-key evaluators)

    [devices.led]               # Onbon BX-5/BX-6 window LED
    backend = "serial"
    port = "/dev/ttyUSB1"
    address = 1

Each device is optional; ``backend = "sim"`` runs its byte-level simulator in process.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.config import ConfigError, read_token, read_toml

PARTS = ("keypad", "evaluator", "led")
PROFILES = ("five", "four")
_KEYS = {
    "role",
    "server_url",
    "token",
    "token_file",
    "window_id",
    "host",
    "port",
    "sim_panel",
    "heartbeat_seconds",
    "request_timeout",
    "devices",
}
_LINK_KEYS = {"backend", "port", "baudrate"}
_PART_KEYS = {
    "keypad": _LINK_KEYS | {"address"},
    "evaluator": _LINK_KEYS | {"address", "profile"},
    "led": _LINK_KEYS | {"address"},
}


@dataclass(frozen=True)
class Link:
    """A serial line (or a simulator): what ``devices.build_device`` opens."""

    backend: str
    port: str = ""
    baudrate: int = 9600


@dataclass(frozen=True)
class CounterConfig:
    """A parsed, checked counter agent configuration."""

    server_url: str
    token: str
    window_id: str
    host: str = "127.0.0.1"
    port: int = 8091
    sim_panel: bool = False
    heartbeat_seconds: float = 30.0
    request_timeout: float = 4.0
    keypad: Link | None = None
    keypad_address: int = 1
    evaluator: Link | None = None
    """The evaluator's own line; ``None`` with an address: it shares the keypad's bus."""
    evaluator_address: int | None = None
    evaluator_profile: str = "five"
    led: Link | None = None
    led_address: int = 1

    @property
    def simulated(self) -> bool:
        """Whether any part runs on a simulator (the panel is then served)."""
        links = (self.keypad, self.evaluator, self.led)
        return any(link is not None and link.backend == "sim" for link in links)


def _address(spec: dict[str, Any], name: str, default: int | None) -> int:
    value = spec.get("address", default)
    if not isinstance(value, int) or not 1 <= value <= 255:
        raise ConfigError(f"devices.{name}.address is a bus address 1..255")
    return value


def _link(spec: dict[str, Any], name: str) -> Link | None:
    if "backend" not in spec:
        if "port" in spec:
            raise ConfigError(f"devices.{name}: a port needs a backend")
        return None
    backend = spec["backend"]
    if backend not in ("serial", "sim"):
        raise ConfigError(f"devices.{name}.backend is 'serial' or 'sim'")
    port = spec.get("port", "")
    if backend == "serial" and (not isinstance(port, str) or not port):
        raise ConfigError(f"devices.{name}: backend 'serial' needs a 'port' URL")
    return Link(backend, str(port), int(spec.get("baudrate", 9600)))


def _devices(raw: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(raw, dict):
        raise ConfigError("devices is a table")
    for name, spec in raw.items():
        if name not in PARTS:
            raise ConfigError(f"devices.{name}: a counter has {PARTS}")
        if not isinstance(spec, dict):
            raise ConfigError(f"devices.{name} is a table")
        unknown = set(spec) - _PART_KEYS[name]
        if unknown:
            raise ConfigError(f"devices.{name}: unknown keys {sorted(unknown)}")
    return {name: dict(spec) for name, spec in raw.items()}


def parse(data: dict[str, Any], base: Path) -> CounterConfig:
    """Check a loaded TOML document; relative paths are relative to ``base``."""
    unknown = set(data) - _KEYS
    if unknown:
        raise ConfigError(f"unknown keys: {sorted(unknown)}")
    if data.get("role") != "counter":
        raise ConfigError('a counter agent\'s file says role = "counter"')
    for key in ("server_url", "window_id"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise ConfigError(f"{key} is required")
    devices = _devices(data.get("devices", {}))
    keypad = devices.get("keypad", {})
    evaluator = devices.get("evaluator")
    led = devices.get("led", {})
    keypad_link = _link(keypad, "keypad")
    if "keypad" in devices and keypad_link is None:
        raise ConfigError("devices.keypad needs a backend")
    evaluator_link = _link(evaluator, "evaluator") if evaluator is not None else None
    if evaluator is not None and evaluator_link is None and keypad_link is None:
        raise ConfigError("devices.evaluator: give it a backend, or configure the keypad's bus")
    profile = (evaluator or {}).get("profile", "five")
    if profile not in PROFILES:
        raise ConfigError(f"devices.evaluator.profile is one of {PROFILES}")
    keypad_address = _address(keypad, "keypad", 1)
    evaluator_address = _address(evaluator, "evaluator", None) if evaluator is not None else None
    if evaluator_link is None and evaluator_address == keypad_address:
        raise ConfigError("the keypad and the evaluator on one bus need different addresses")
    led_link = _link(led, "led")
    if "led" in devices and led_link is None:
        raise ConfigError("devices.led needs a backend")
    try:
        return CounterConfig(
            server_url=data["server_url"],
            token=read_token(data, base),
            window_id=data["window_id"],
            host=str(data.get("host", "127.0.0.1")),
            port=int(data.get("port", 8091)),
            sim_panel=bool(data.get("sim_panel", False)),
            heartbeat_seconds=float(data.get("heartbeat_seconds", 30.0)),
            request_timeout=float(data.get("request_timeout", 4.0)),
            keypad=keypad_link,
            keypad_address=keypad_address,
            evaluator=evaluator_link,
            evaluator_address=evaluator_address,
            evaluator_profile=profile,
            led=led_link,
            led_address=_address(led, "led", 1),
        )
    except (TypeError, ValueError) as err:
        raise ConfigError(str(err)) from err


def load(path: Path) -> CounterConfig:
    """Read and check a counter agent's configuration file."""
    return parse(read_toml(path), path.resolve().parent)
