"""DLE EOT real-time status bytes: pure decoding.

Every answer is one byte ``0xx1xx10`` (bits 1 and 4 set, bits 0 and 7 clear).
A missing or malformed answer means "unknown", never "ok".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DLE_EOT = b"\x10\x04"
PRINTER = 1
OFFLINE_CAUSE = 2
ERROR_CAUSE = 3
PAPER_SENSOR = 4

BASE = 0x12
OFFLINE = 0x08
COVER_OPEN = 0x04
STOPPED_BY_PAPER_END = 0x20
NEAR_END = 0x0C
PAPER_END = 0x60


@dataclass(frozen=True)
class PrinterStatus:
    """``online``/``cover_open`` are None and ``paper`` "unknown" when the printer is silent."""

    online: bool | None
    paper: str
    cover_open: bool | None

    def to_json(self) -> dict[str, Any]:
        return {"online": self.online, "paper": self.paper, "cover_open": self.cover_open}


UNKNOWN = PrinterStatus(online=None, paper="unknown", cover_open=None)


def valid(reply: bytes) -> int | None:
    """The status byte if ``reply`` is exactly one well-formed byte."""
    if len(reply) == 1 and reply[0] & 0x93 == BASE:
        return reply[0]
    return None


def decode(printer: bytes, offline_cause: bytes, paper_sensor: bytes) -> PrinterStatus:
    """Combine the answers to DLE EOT 1, 2 and 4."""
    s1, s2, s4 = valid(printer), valid(offline_cause), valid(paper_sensor)
    online = None if s1 is None else not s1 & OFFLINE
    cover = None if s2 is None else bool(s2 & COVER_OPEN)
    if s4 is not None:
        paper = "out" if s4 & PAPER_END else "near_end" if s4 & NEAR_END else "ok"
    elif s2 is not None and s2 & STOPPED_BY_PAPER_END:
        paper = "out"
    else:
        paper = "unknown"
    return PrinterStatus(online=online, paper=paper, cover_open=cover)


def encode(online: bool, cover_open: bool, paper: str) -> dict[int, int]:
    """The bytes a printer in this state answers to each DLE EOT n (used by the simulator)."""
    s2 = BASE | (COVER_OPEN if cover_open else 0) | (STOPPED_BY_PAPER_END if paper == "out" else 0)
    s4 = BASE | (NEAR_END if paper in ("near_end", "out") else 0)
    s4 |= PAPER_END if paper == "out" else 0
    return {
        PRINTER: BASE | (0 if online else OFFLINE),
        OFFLINE_CAUSE: s2,
        ERROR_CAUSE: BASE,
        PAPER_SENSOR: s4,
    }
