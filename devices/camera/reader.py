"""The async QR camera a kiosk uses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from types import TracebackType

from devices.camera.frames import FrameSource
from devices.camera.qr import QrCode, QrDecoder, QrRules, classify
from devices.worker import DeviceWorker


class QrCamera:
    """Grabs and decodes frames in its worker thread; reports each code once per showing.

    A code held in front of the camera is reported once; it is reported again
    only after ``forget_after`` consecutive frames without it.
    """

    def __init__(
        self,
        open_source: Callable[[], FrameSource],
        *,
        interval: float = 0.1,
        forget_after: int = 5,
        rules: QrRules | None = None,
    ) -> None:
        self._open_source = open_source
        self.interval = interval
        self.forget_after = forget_after
        self.rules = rules or QrRules()
        self._source: FrameSource | None = None
        self._decoder: QrDecoder | None = None
        self._worker = DeviceWorker("camera")

    async def __aenter__(self) -> QrCamera:
        await self._worker.run(self._open_blocking)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def _open_blocking(self) -> tuple[FrameSource, QrDecoder]:
        if self._source is None or self._decoder is None:
            self._source = self._open_source()
            self._decoder = QrDecoder()
        return self._source, self._decoder

    async def close(self) -> None:
        await self._worker.run(self._close_blocking)
        self._worker.shutdown()

    def _close_blocking(self) -> None:
        source, self._source = self._source, None
        if source is not None:
            source.close()

    def _grab_blocking(self) -> list[str] | None:
        """Decoded payloads of the next frame, or None when the source has ended."""
        source, decoder = self._open_blocking()
        frame = source.read()
        if frame is None:
            return None
        return decoder.decode(frame)

    async def codes(self) -> AsyncGenerator[QrCode, None]:
        """Yield codes as they appear; ends when a file or folder source runs out."""
        misses: dict[str, int] = {}
        while (texts := await self._worker.run(self._grab_blocking)) is not None:
            for text in texts:
                if text not in misses:
                    yield classify(text, self.rules)
                misses[text] = 0
            for text in [t for t in misses if t not in texts]:
                misses[text] += 1
                if misses[text] >= self.forget_after:
                    del misses[text]
            await asyncio.sleep(self.interval)

    async def scan(self) -> QrCode | None:
        """The first code seen, or None if the source ends without one."""
        async for code in self.codes():
            return code
        return None
