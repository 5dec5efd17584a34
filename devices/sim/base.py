"""The base of every simulator: a device model that eats bytes and emits bytes.

A simulator never touches a port. Its host (a pty, a TCP listener, or the
in-process :class:`~devices.sim.hosts.SimLink`) feeds it what the driver wrote
and carries what it emits back, after the delay the model asks for. This keeps
the model identical whichever way it is reached.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from typing import Any


class LinkClosed(Exception):
    """The outbox was closed: the simulated cable is unplugged."""


class Outbox:
    """Bytes a simulator has emitted, each released at its due time, in order."""

    def __init__(self) -> None:
        self._items: deque[tuple[float, bytes]] = deque()
        self._cond = threading.Condition()
        self._last_due = 0.0
        self._closed = False

    def put(self, data: bytes, delay: float) -> None:
        """Queue ``data`` to leave ``delay`` seconds after the previous chunk (or now)."""
        with self._cond:
            due = max(time.monotonic(), self._last_due) + delay
            self._last_due = due
            self._items.append((due, data))
            self._cond.notify_all()

    def clear(self) -> None:
        """Forget everything not yet delivered."""
        with self._cond:
            self._items.clear()
            self._last_due = 0.0

    def close(self) -> None:
        """Wake every reader with :class:`LinkClosed`."""
        with self._cond:
            self._closed = True
            self._items.clear()
            self._cond.notify_all()

    def reopen(self) -> None:
        """Accept and deliver bytes again after :meth:`close`."""
        with self._cond:
            self._closed = False
            self._last_due = 0.0

    def take(self, max_size: int, timeout: float) -> bytes:
        """Return the bytes already due (at most ``max_size``), waiting up to ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if self._closed:
                    raise LinkClosed
                now = time.monotonic()
                if self._items and self._items[0][0] <= now:
                    return self._pop_due(max_size, now)
                if now >= deadline:
                    return b""
                wake = self._items[0][0] if self._items else deadline
                self._cond.wait(min(wake, deadline) - now)

    def _pop_due(self, max_size: int, now: float) -> bytes:
        out = bytearray()
        while self._items and self._items[0][0] <= now and len(out) < max_size:
            due, data = self._items.popleft()
            room = max_size - len(out)
            if len(data) > room:
                self._items.appendleft((due, data[room:]))
                data = data[:room]
            out += data
        return bytes(out)


class SimDevice(ABC):
    """A byte-level device model with fault knobs and a control interface."""

    kind = "device"

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._outbox: Outbox | None = None

    def attach(self, outbox: Outbox | None) -> None:
        """Connect the model's output to a host (``None`` detaches it)."""
        with self.lock:
            self._outbox = outbox

    def emit(self, data: bytes, delay: float = 0.0) -> None:
        """Send ``data`` to the host ``delay`` seconds after the previous output."""
        outbox = self._outbox
        if outbox is not None and data:
            outbox.put(data, delay)

    def emit_chunks(self, data: bytes, latency: float, size: int, gap: float) -> None:
        """Emit ``data`` after ``latency`` in ``size``-byte pieces, as USB bridges do."""
        size = max(size, 1)
        for start in range(0, len(data), size):
            self.emit(data[start : start + size], latency if start == 0 else gap)

    @abstractmethod
    def receive(self, data: bytes) -> None:
        """Handle bytes the driver wrote."""

    @abstractmethod
    def control(self, command: dict[str, Any]) -> dict[str, Any]:
        """Apply one control command (place a card, set paper, press a key...)."""
