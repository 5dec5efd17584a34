"""Byte transcripts: record a session to JSONL once, replay it in tests.

Each line is ``{"dir": "w"|"r", "hex": "…"}``. Replay checks that the driver
writes exactly the recorded bytes (as one stream, however the writes are
split) and returns the recorded answers in order; a read asked for while
recorded writes are still missing returns nothing, like a silent device.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO

from devices.errors import DeviceUnavailable, ProtocolError
from devices.transport import Transport


class ReplayMismatch(ProtocolError):
    """The driver wrote something other than the transcript says."""

    code = "replay_mismatch"


def load(path: Path) -> list[tuple[str, bytes]]:
    """The transcript's entries, consecutive same-direction entries merged."""
    entries: list[tuple[str, bytes]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        direction, data = item["dir"], bytes.fromhex(item["hex"])
        if entries and entries[-1][0] == direction:
            entries[-1] = (direction, entries[-1][1] + data)
        else:
            entries.append((direction, data))
    return entries


class RecordingTransport:
    """Wraps a transport and appends every byte that crosses it to a JSONL file."""

    def __init__(self, inner: Transport, path: Path) -> None:
        self.inner = inner
        self.path = path
        self._file: IO[str] | None = None

    @property
    def is_open(self) -> bool:
        return self.inner.is_open

    def open(self) -> None:
        self.inner.open()
        if self._file is None:
            self._file = self.path.open("a", encoding="utf-8")

    def close(self) -> None:
        self.inner.close()
        if self._file is not None:
            self._file.close()
            self._file = None

    def _log(self, direction: str, data: bytes) -> None:
        if data and self._file is not None:
            self._file.write(json.dumps({"dir": direction, "hex": data.hex()}) + "\n")
            self._file.flush()

    def write(self, data: bytes) -> None:
        self.inner.write(data)
        self._log("w", data)

    def read(self, size: int, timeout: float) -> bytes:
        data = self.inner.read(size, timeout)
        self._log("r", data)
        return data

    def discard_input(self) -> None:
        self.inner.discard_input()


class ReplayTransport:
    """Plays a transcript back in place of the device."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries = load(path)
        self._open = False

    @property
    def is_open(self) -> bool:
        return self._open

    @property
    def finished(self) -> bool:
        """Whether every recorded byte was written and read."""
        return not self._entries

    def open(self) -> None:
        self._open = True

    def close(self) -> None:
        self._open = False

    def _check_open(self) -> None:
        if not self._open:
            raise DeviceUnavailable(f"replay {self.path.name} is not open")

    def write(self, data: bytes) -> None:
        self._check_open()
        view = data
        while view:
            if not self._entries or self._entries[0][0] != "w":
                raise ReplayMismatch(f"unexpected write {view.hex()}")
            expected = self._entries[0][1]
            if not expected.startswith(view[: len(expected)]):
                raise ReplayMismatch(f"wrote {view.hex()}, transcript has {expected.hex()}")
            taken = min(len(expected), len(view))
            self._consume(expected, taken)
            view = view[taken:]

    def read(self, size: int, timeout: float) -> bytes:
        self._check_open()
        if not self._entries or self._entries[0][0] != "r":
            return b""
        data = self._entries[0][1]
        self._consume(data, min(size, len(data)))
        return data[:size]

    def _consume(self, data: bytes, count: int) -> None:
        if count >= len(data):
            self._entries.pop(0)
        else:
            self._entries[0] = (self._entries[0][0], data[count:])

    def discard_input(self) -> None:
        self._check_open()
