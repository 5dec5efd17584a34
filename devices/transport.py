"""Byte transports: the only place that opens ports.

Every method here blocks; drivers call them from their device worker thread
(:mod:`devices.worker`), never from the event loop. A port is a pyserial URL
(``/dev/ttyUSB0``, ``/dev/serial/by-id/...``, a pty path,
``socket://127.0.0.1:7001``), opened with :func:`serial.serial_for_url`, so
configuration switches between hardware and simulators without code changes.
"""

from __future__ import annotations

import logging
import socket
import time
from typing import Protocol

import serial

from devices.errors import DeviceTimeout, DeviceUnavailable

_LOG = logging.getLogger(__name__)


class Transport(Protocol):
    """A bidirectional byte stream to one device."""

    @property
    def is_open(self) -> bool:
        """Whether the port is currently open."""
        ...

    def open(self) -> None:
        """Open the port; raises :class:`DeviceUnavailable` when it cannot."""
        ...

    def close(self) -> None:
        """Close the port; safe to call twice."""
        ...

    def write(self, data: bytes) -> None:
        """Send all of ``data``."""
        ...

    def read(self, size: int, timeout: float) -> bytes:
        """Return up to ``size`` bytes, waiting at most ``timeout`` seconds for all of them."""
        ...

    def discard_input(self) -> None:
        """Drop bytes that arrived before the next request (stale answers)."""
        ...


def read_exact(transport: Transport, size: int, deadline: float) -> bytes:
    """Read exactly ``size`` bytes before ``deadline`` (a ``time.monotonic`` value)."""
    chunks = bytearray()
    while len(chunks) < size:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DeviceTimeout(f"expected {size} bytes, got {len(chunks)}")
        chunks += transport.read(size - len(chunks), remaining)
    return bytes(chunks)


class _Port(Protocol):
    """The part of a pyserial port object we use (every URL handler has it)."""

    timeout: float | None

    def read(self, size: int = 1) -> bytes: ...
    def write(self, data: bytes) -> int | None: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...
    def reset_input_buffer(self) -> None: ...


class SerialTransport:
    """A pyserial port opened from a URL, with errors translated to ours."""

    def __init__(self, url: str, *, baudrate: int = 115200) -> None:
        self.url = url
        self.baudrate = baudrate
        self._port: _Port | None = None
        self._timeout: float | None = None

    @property
    def is_open(self) -> bool:
        return self._port is not None

    def open(self) -> None:
        if self._port is not None:
            return
        try:
            self._port = serial.serial_for_url(
                self.url, baudrate=self.baudrate, timeout=0.1, write_timeout=5.0
            )
        except (serial.SerialException, OSError, ValueError) as err:
            raise DeviceUnavailable(f"cannot open {self.url}: {err}") from err
        self._timeout = 0.1

    def close(self) -> None:
        port, self._port = self._port, None
        if port is None:
            return
        # pyserial's socket:// handler skips close() when shutdown() fails on a
        # connection the peer already dropped, which would leak the socket.
        sock = getattr(port, "_socket", None)
        try:
            port.close()
        except (serial.SerialException, OSError) as err:
            _LOG.debug("closing %s failed: %s", self.url, err)
        if isinstance(sock, socket.socket):
            sock.close()

    def _require(self) -> _Port:
        if self._port is None:
            raise DeviceUnavailable(f"{self.url} is not open")
        return self._port

    def _lost(self, err: Exception) -> DeviceUnavailable:
        self.close()
        return DeviceUnavailable(f"{self.url} went away: {err}")

    def write(self, data: bytes) -> None:
        port = self._require()
        try:
            port.write(data)
            port.flush()
        except serial.SerialTimeoutException as err:
            raise DeviceTimeout(f"write to {self.url} timed out") from err
        except (serial.SerialException, OSError) as err:
            raise self._lost(err) from err

    def read(self, size: int, timeout: float) -> bytes:
        port = self._require()
        timeout = max(timeout, 0.0)
        try:
            if timeout != self._timeout:
                port.timeout = timeout
                self._timeout = timeout
            data: bytes = port.read(size)
        except (serial.SerialException, OSError) as err:
            raise self._lost(err) from err
        return data

    def discard_input(self) -> None:
        port = self._require()
        try:
            port.reset_input_buffer()
        except (serial.SerialException, OSError) as err:
            raise self._lost(err) from err
