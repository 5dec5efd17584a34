"""Where a simulator lives: in-process, on a pty pair, or on a loopback TCP port.

``unplug()``/``replug()`` model a cable being pulled and pushed back: the pty
is closed (the driver's next read fails with EIO) and recreated under the same
symlink, or the TCP connection and listener are closed and reopened on the
same port.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import socket
import threading
import time
import tty
from collections.abc import Callable
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from devices.errors import ConfigError, DeviceUnavailable
from devices.sim.base import LinkClosed, Outbox, SimDevice

_LOG = logging.getLogger(__name__)
_POLL_S = 0.05


class SimHost(Protocol):
    """A running simulator endpoint that a driver connects to by URL."""

    device: SimDevice

    @property
    def url(self) -> str:
        """The pyserial URL a driver opens."""
        ...

    def unplug(self) -> None:
        """Pull the cable."""
        ...

    def replug(self) -> None:
        """Push the cable back."""
        ...

    def stop(self) -> None:
        """Stop serving for good."""
        ...


class SimLink:
    """An in-process :class:`~devices.transport.Transport` wired straight to a model."""

    def __init__(self, device: SimDevice) -> None:
        self.device = device
        self.url = f"sim://{device.kind}"
        self._outbox = Outbox()
        self._plugged = True
        self._open = False

    @property
    def is_open(self) -> bool:
        return self._open

    def open(self) -> None:
        if not self._plugged:
            raise DeviceUnavailable(f"{self.url} is unplugged")
        self._outbox.reopen()
        self._outbox.clear()
        self.device.attach(self._outbox)
        self._open = True

    def close(self) -> None:
        self._open = False

    def _check(self) -> None:
        if not self._open or not self._plugged:
            self._open = False
            raise DeviceUnavailable(f"{self.url} went away")

    def write(self, data: bytes) -> None:
        self._check()
        self.device.receive(data)

    def read(self, size: int, timeout: float) -> bytes:
        self._check()
        deadline = time.monotonic() + timeout
        out = bytearray()
        while len(out) < size:
            try:
                out += self._outbox.take(size - len(out), deadline - time.monotonic())
            except LinkClosed as err:
                self._open = False
                raise DeviceUnavailable(f"{self.url} went away") from err
            if time.monotonic() >= deadline:
                break
        return bytes(out)

    def discard_input(self) -> None:
        self._check()
        self._outbox.clear()

    def unplug(self) -> None:
        self._plugged = False
        self.device.attach(None)
        self._outbox.close()

    def replug(self) -> None:
        self._plugged = True

    def stop(self) -> None:
        self.unplug()


class _ThreadedHost:
    """Shared sender thread: moves due bytes from the outbox to the peer."""

    def __init__(self, device: SimDevice) -> None:
        self.device = device
        self._outbox = Outbox()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _send_loop(self) -> None:
        while not self._stop.is_set():
            try:
                data = self._outbox.take(65536, _POLL_S)
            except LinkClosed:
                return
            if data:
                self._deliver(data)

    def _deliver(self, data: bytes) -> None:
        raise NotImplementedError

    def _halt(self) -> None:
        self._stop.set()
        self._outbox.close()
        self.device.attach(None)
        for thread in self._threads:
            thread.join(timeout=2.0)
        self._threads.clear()

    def _resume(self) -> None:
        self._stop.clear()
        self._outbox.reopen()
        self._outbox.clear()
        self.device.attach(self._outbox)
        self._spawn(self._send_loop, f"sim-{self.device.kind}-send")


class PtyHost(_ThreadedHost):
    """Serves a model on the master side of a pty; the driver opens the slave path."""

    def __init__(self, device: SimDevice, link: str | None = None) -> None:
        super().__init__(device)
        self.link = Path(link) if link else None
        self._master = -1
        self._slave = -1
        self._slave_name = ""
        self._start()

    @property
    def url(self) -> str:
        return str(self.link) if self.link else self._slave_name

    def _start(self) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self._slave_name = os.ttyname(self._slave)
        if self.link is not None:
            tmp = self.link.with_name(self.link.name + ".new")
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            tmp.symlink_to(self._slave_name)
            tmp.replace(self.link)
        self._resume()
        self._spawn(self._read_loop, f"sim-{self.device.kind}-pty")

    def _read_loop(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], _POLL_S)
            if not ready:
                continue
            try:
                data = os.read(self._master, 65536)
            except OSError:
                return
            if data:
                self.device.receive(data)

    def _deliver(self, data: bytes) -> None:
        view = memoryview(data)
        while view and not self._stop.is_set():
            try:
                written = os.write(self._master, view)
            except BlockingIOError:
                time.sleep(0.001)
                continue
            except OSError:
                return
            view = view[written:]

    def unplug(self) -> None:
        self._halt()
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._master = self._slave = -1
        if self.link is not None:
            with contextlib.suppress(FileNotFoundError):
                self.link.unlink()

    def replug(self) -> None:
        if self._master < 0:
            self._start()

    def stop(self) -> None:
        self.unplug()


class TcpHost(_ThreadedHost):
    """Serves a model on a loopback TCP port (``socket://`` for pyserial)."""

    def __init__(self, device: SimDevice, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(device)
        self.host = host
        self.port = port
        self._listener: socket.socket | None = None
        self._conn: socket.socket | None = None
        self._conn_lock = threading.Lock()
        self._start()

    @property
    def url(self) -> str:
        return f"socket://{self.host}:{self.port}"

    def _start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(1)
        listener.settimeout(_POLL_S)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._resume()
        self._spawn(self._accept_loop, f"sim-{self.device.kind}-tcp")

    def _accept_loop(self) -> None:
        listener = self._listener
        assert listener is not None
        while not self._stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.settimeout(_POLL_S)
            with self._conn_lock:
                if self._conn is not None:
                    self._conn.close()
                self._conn = conn
            self._outbox.clear()
            self._serve(conn)

    def _serve(self, conn: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                data = conn.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                return
            self.device.receive(data)

    def _deliver(self, data: bytes) -> None:
        with self._conn_lock:
            conn = self._conn
        if conn is None:
            return
        try:
            conn.sendall(data)
        except OSError as err:
            _LOG.debug("simulator peer went away: %s", err)

    def unplug(self) -> None:
        with self._conn_lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        self._halt()

    def replug(self) -> None:
        if self._listener is None:
            self._start()

    def stop(self) -> None:
        self.unplug()


def open_host(device: SimDevice, port: str, link: str | None = None) -> PtyHost | TcpHost:
    """Start ``device`` on ``pty`` or ``tcp://HOST:PORT`` (port 0 picks a free one)."""
    if port == "pty":
        return PtyHost(device, link=link)
    parts = urlsplit(port)
    if parts.scheme == "tcp" and parts.hostname:
        return TcpHost(device, parts.hostname, parts.port or 0)
    raise ConfigError(f"--port must be 'pty' or 'tcp://HOST:PORT', not {port!r}")
