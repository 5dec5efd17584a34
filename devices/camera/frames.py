"""Frame sources for the QR camera: a device index, a video file, a folder of images."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
import numpy.typing as npt

from devices.errors import DeviceUnavailable

Frame = npt.NDArray[np.uint8]
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp"}


class FrameSource(Protocol):
    """Blocking frame reader; ``read()`` returns None when no frame is available."""

    def read(self) -> Frame | None: ...

    def close(self) -> None: ...


class CaptureSource:
    """``cv2.VideoCapture`` on a device index (V4L2) or a video file."""

    def __init__(self, source: int | str) -> None:
        self.source = source
        self._capture = cv2.VideoCapture(source)
        if not self._capture.isOpened():
            self._capture.release()
            raise DeviceUnavailable(f"cannot open camera source {source!r}")

    def read(self) -> Frame | None:
        ok, frame = self._capture.read()
        return np.asarray(frame, dtype=np.uint8) if ok else None

    def close(self) -> None:
        self._capture.release()


class FolderSource:
    """Images of a folder in name order, then None (or again from the start with ``loop``)."""

    def __init__(self, folder: str | Path, *, loop: bool = False) -> None:
        paths = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not paths:
            raise DeviceUnavailable(f"no images in {folder}")
        self._paths = paths
        self._loop = loop
        self._next = 0

    def read(self) -> Frame | None:
        if self._next >= len(self._paths):
            if not self._loop:
                return None
            self._next = 0
        path = self._paths[self._next]
        self._next += 1
        frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
        return None if frame is None else np.asarray(frame, dtype=np.uint8)

    def close(self) -> None:
        self._next = len(self._paths)


class ArraySource:
    """Frames held in memory (the in-process camera simulator)."""

    def __init__(self, frames: Sequence[Frame], *, loop: bool = False) -> None:
        self._frames = list(frames)
        self._loop = loop
        self._next = 0

    def read(self) -> Frame | None:
        if self._next >= len(self._frames):
            if not self._loop or not self._frames:
                return None
            self._next = 0
        frame = self._frames[self._next]
        self._next += 1
        return frame

    def close(self) -> None:
        self._next = len(self._frames)


def open_source(source: int | str | Path) -> FrameSource:
    """A device index (``0`` or ``"0"``), a folder of images, or a video file."""
    if isinstance(source, int) or (isinstance(source, str) and source.isdigit()):
        return CaptureSource(int(source))
    path = Path(source)
    if path.is_dir():
        return FolderSource(path)
    if not path.exists():
        raise DeviceUnavailable(f"camera source {source} does not exist")
    return CaptureSource(str(path))
