"""The kiosk agent's configuration file (TOML).

Example (every key is described in ``docs/kiosk.md``)::

    server_url = "http://hall.local:8080"
    token_file = "/etc/onevisit/kiosk.token"   # or: token = "…"
    hall_id = "civic-center"
    port = 8090                                # 0: any free port
    data_dir = "/var/lib/onevisit-kiosk"

    [devices.card_reader]
    backend = "serial"
    port = "/dev/serial/by-id/usb-…"

    [devices.printer]
    backend = "sim"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEVICE_KINDS = ("card_reader", "printer", "camera")
ROLES = ("kiosk", "counter")
"""``role = "counter"`` makes the file a counter agent's (see :mod:`kiosk.counter_config`)."""
_KEYS = {
    "role",
    "server_url",
    "public_url",
    "token",
    "token_file",
    "hall_id",
    "host",
    "port",
    "data_dir",
    "lease_size",
    "heartbeat_seconds",
    "catalog_seconds",
    "max_clock_offset",
    "request_timeout",
    "sim_panel",
    "voice_dir",
    "devices",
}


class ConfigError(ValueError):
    """The configuration file is not usable; the message says which key."""


@dataclass(frozen=True)
class KioskConfig:
    """A parsed, checked configuration."""

    server_url: str
    token: str
    hall_id: str
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8090
    public_url: str | None = None
    lease_size: int = 20
    heartbeat_seconds: float = 10.0
    catalog_seconds: float = 60.0
    max_clock_offset: float = 30.0
    request_timeout: float = 4.0
    sim_panel: bool = False
    voice_dir: Path | None = None
    devices: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def simulated(self) -> bool:
        """Whether any device is a simulator (the panel may then be served)."""
        return any(spec.get("backend") == "sim" for spec in self.devices.values())


def parse(data: dict[str, Any], base: Path) -> KioskConfig:
    """Check a loaded TOML document; relative paths are relative to ``base``."""
    unknown = set(data) - _KEYS
    if unknown:
        raise ConfigError(f"unknown keys: {sorted(unknown)}")
    if data.get("role", "kiosk") != "kiosk":
        raise ConfigError(f"role is one of {ROLES}; a counter agent's file is read elsewhere")
    for key in ("server_url", "hall_id"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise ConfigError(f"{key} is required")
    token = read_token(data, base)
    devices: dict[str, dict[str, Any]] = {}
    for kind, spec in dict(data.get("devices", {})).items():
        if kind not in DEVICE_KINDS:
            raise ConfigError(f"devices.{kind}: kind is one of {DEVICE_KINDS}")
        if not isinstance(spec, dict) or "backend" not in spec:
            raise ConfigError(f"devices.{kind}: a table with a backend")
        devices[kind] = {"kind": kind, **spec}
    lease_size = int(data.get("lease_size", 20))
    if not 1 <= lease_size <= 500:
        raise ConfigError("lease_size must be 1..500")
    try:
        return KioskConfig(
            server_url=data["server_url"],
            token=token,
            hall_id=data["hall_id"],
            data_dir=base / str(data.get("data_dir", "kiosk-data")),
            host=str(data.get("host", "127.0.0.1")),
            port=int(data.get("port", 8090)),
            public_url=data.get("public_url"),
            lease_size=lease_size,
            heartbeat_seconds=float(data.get("heartbeat_seconds", 10.0)),
            catalog_seconds=float(data.get("catalog_seconds", 60.0)),
            max_clock_offset=float(data.get("max_clock_offset", 30.0)),
            request_timeout=float(data.get("request_timeout", 4.0)),
            sim_panel=bool(data.get("sim_panel", False)),
            voice_dir=base / str(data["voice_dir"]) if "voice_dir" in data else None,
            devices=devices,
        )
    except (TypeError, ValueError) as err:
        raise ConfigError(str(err)) from err


def read_toml(path: Path) -> dict[str, Any]:
    """The file's TOML document."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"{path}: {err}") from err


def read_token(data: dict[str, Any], base: Path) -> str:
    """``token``, or the contents of ``token_file`` (relative to ``base``)."""
    token = data.get("token")
    if token is None and "token_file" in data:
        try:
            token = (base / str(data["token_file"])).read_text(encoding="utf-8").strip()
        except OSError as err:
            raise ConfigError(f"token_file: {err}") from err
    if not isinstance(token, str) or not token:
        raise ConfigError("token or token_file is required")
    return token


def load(path: Path) -> KioskConfig:
    """Read and check a configuration file."""
    return parse(read_toml(path), path.resolve().parent)
