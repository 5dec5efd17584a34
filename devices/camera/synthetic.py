"""The camera simulator: frames with QR codes drawn by segno, on disk or in memory."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import segno

from devices.camera.frames import Frame

WIDTH, HEIGHT = 640, 480


def qr_frame(text: str | None, *, scale: int = 6, offset: tuple[int, int] = (40, 40)) -> Frame:
    """A BGR frame, white, with a QR code of ``text`` (none when ``text`` is None)."""
    frame = np.full((HEIGHT, WIDTH), 255, np.uint8)
    if text is not None:
        matrix = np.array(segno.make(text, micro=False, error="m").matrix, dtype=np.uint8)
        matrix = np.pad(matrix, 4)
        code = np.where(matrix > 0, 0, 255).astype(np.uint8)
        code = np.kron(code, np.ones((scale, scale), np.uint8))
        x, y = offset
        height, width = code.shape
        if x + width > WIDTH or y + height > HEIGHT:
            raise ValueError("QR code does not fit the frame; lower scale")
        frame[y : y + height, x : x + width] = code
    return np.asarray(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR), dtype=np.uint8)


def write_folder(folder: Path, texts: Sequence[str | None]) -> list[Path]:
    """One PNG per text (None: an empty frame), named in order."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, text in enumerate(texts):
        path = folder / f"frame_{index:04d}.png"
        cv2.imwrite(str(path), qr_frame(text))
        paths.append(path)
    return paths


def write_video(path: Path, texts: Sequence[str | None], repeat: int = 3) -> Path:
    """An MJPG AVI that shows each text for ``repeat`` frames."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10, (WIDTH, HEIGHT))
    try:
        for text in texts:
            frame = qr_frame(text)
            for _ in range(repeat):
                writer.write(frame)
    finally:
        writer.release()
    return path
