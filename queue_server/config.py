"""Server settings: defaults, a TOML file, nothing read at import time."""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import Any

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Settings:
    """Everything ``onevisit serve`` can be told; see docs/config.md."""

    data_dir: Path = Path("data")
    host: str = "127.0.0.1"
    port: int = 8080
    synchronous: str = "FULL"
    key_file: Path | None = None
    site_file: Path | None = None
    token_ttl_hours: float = 12.0
    public_rate_per_minute: int = 120
    public_burst: int = 60
    trusted_networks: tuple[str, ...] = ("127.0.0.0/8", "::1/128")
    max_body_bytes: int = 64 * 1024
    event_retention_days: int = 30
    purge_interval_seconds: float = 3600.0
    sse_ping_seconds: float = 15.0
    ws_queue_size: int = 256
    public_base_url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def database_path(self) -> Path:
        """The SQLite file."""
        return self.data_dir / "onevisit.sqlite3"

    @property
    def resolved_key_file(self) -> Path:
        """Where the personal-data keys live (outside the database)."""
        return self.key_file or self.data_dir / "keys.json"

    @cached_property
    def trusted(self) -> tuple[IpNetwork, ...]:
        """Networks whose unauthenticated requests are not rate-limited (parsed once)."""
        return tuple(ipaddress.ip_network(n, strict=False) for n in self.trusted_networks)

    @classmethod
    def from_toml(cls, path: Path) -> Settings:
        """Read a TOML file; relative paths are taken from the file's folder."""
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        section = data.get("server", data)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(section) - known)
        if unknown:
            raise ValueError(f"unknown settings in {path}: {', '.join(unknown)}")
        values: dict[str, Any] = dict(section)
        for key in ("data_dir", "key_file", "site_file"):
            if values.get(key) is not None:
                candidate = Path(values[key])
                values[key] = candidate if candidate.is_absolute() else path.parent / candidate
        if "trusted_networks" in values:
            values["trusted_networks"] = tuple(values["trusted_networks"])
        return cls(**values)
