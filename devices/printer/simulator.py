"""An ESC/POS receipt printer simulator: captures jobs, answers DLE EOT."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from devices.printer import status as st
from devices.printer.escpos_stream import EscposStream, Event
from devices.sim.base import SimDevice

PAPER_STATES = ("ok", "near_end", "out")


@dataclass
class PrinterSimConfig:
    """Fault knobs: paper state, cover, offline, silence, status latency, roll length."""

    paper: str = "ok"
    cover_open: bool = False
    offline: bool = False
    silent: bool = False
    status_latency: float = 0.002
    paper_lines: int | None = None
    near_end_lines: int = 50


@dataclass
class Receipt:
    """What came out of the printer between two cuts."""

    lines: list[str] = field(default_factory=list)
    qr: list[str] = field(default_factory=list)
    images: list[tuple[int, int]] = field(default_factory=list)
    cut: bool = False
    lost_lines: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class PrinterSimulator(SimDevice):
    """Parses the byte stream into receipts and keeps a paper counter."""

    kind = "printer"

    def __init__(self, config: PrinterSimConfig | None = None) -> None:
        super().__init__()
        self.config = replace(config) if config else PrinterSimConfig()
        self.changed = threading.Condition(self.lock)
        self.raw = bytearray()
        self.receipts: list[Receipt] = []
        self.current = Receipt()
        self._stream = EscposStream()
        self._qr_pending = b""

    def receive(self, data: bytes) -> None:
        with self.changed:
            self.raw += data
            for event in self._stream.feed(data):
                self._handle(event)
            self.changed.notify_all()

    def _can_print(self) -> bool:
        cfg = self.config
        return not (cfg.cover_open or cfg.offline or cfg.paper == "out")

    def _handle(self, event: Event) -> None:
        if event.kind == "status":
            self._answer_status(event.value)
        elif event.kind == "line":
            self._print_line(event.text)
        elif event.kind == "feed":
            self._consume(event.value)
        elif event.kind == "qr_data":
            self._qr_pending = event.data
        elif event.kind == "qr_print" and self._can_print():
            self.current.qr.append(self._qr_pending.decode("utf-8", errors="replace"))
        elif event.kind == "image" and self._can_print():
            self.current.images.append((event.value, event.height))
            self._consume(max(event.height // 24, 1))
        elif event.kind == "cut":
            self.current.cut = True
            self.receipts.append(self.current)
            self.current = Receipt()

    def _print_line(self, text: str) -> None:
        if self._can_print():
            self.current.lines.append(text)
            self._consume(1)
        else:
            self.current.lost_lines += 1

    def _consume(self, lines: int) -> None:
        cfg = self.config
        if cfg.paper_lines is None:
            return
        cfg.paper_lines = max(cfg.paper_lines - lines, 0)
        if cfg.paper_lines == 0:
            cfg.paper = "out"
        elif cfg.paper_lines <= cfg.near_end_lines:
            cfg.paper = "near_end"

    def _answer_status(self, n: int) -> None:
        cfg = self.config
        if cfg.silent:
            return
        answers = st.encode(not (cfg.offline or cfg.cover_open or cfg.paper == "out"),
                            cfg.cover_open, cfg.paper)  # fmt: skip
        if n in answers:
            self.emit(bytes([answers[n]]), cfg.status_latency)

    def control(self, command: dict[str, Any]) -> dict[str, Any]:
        """``set`` (knobs), ``receipts``, ``clear`` or ``state``."""
        action = command.get("cmd")
        with self.lock:
            if action == "set":
                self.set_knobs({k: v for k, v in command.items() if k != "cmd"})
            elif action == "clear":
                self.receipts.clear()
                self.raw.clear()
            elif action == "receipts":
                return {"ok": True, "receipts": [r.to_json() for r in self.receipts]}
            elif action != "state":
                raise ValueError(f"unknown command {action!r}")
            return {"ok": True, "config": asdict(self.config), "receipts": len(self.receipts)}

    def set_knobs(self, knobs: dict[str, Any]) -> None:
        """Change knobs by name; unknown names or paper states raise ValueError."""
        names = {f.name for f in fields(PrinterSimConfig)}
        with self.lock:
            for key, value in knobs.items():
                if key not in names:
                    raise ValueError(f"unknown knob {key!r}")
                if key == "paper" and value not in PAPER_STATES:
                    raise ValueError(f"paper must be one of {PAPER_STATES}")
                setattr(self.config, key, value)
