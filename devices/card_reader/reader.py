"""The async card reader a kiosk uses: one-shot reads and a placement loop."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncGenerator, Callable
from types import TracebackType

from devices.card_reader.model import CardData
from devices.card_reader.protocol import SamProtocol, Timeouts
from devices.errors import (
    CardReaderError,
    DeviceError,
    DeviceTimeout,
    DeviceUnavailable,
    ProtocolError,
)
from devices.transport import Transport
from devices.worker import DeviceWorker

_LOG = logging.getLogger(__name__)


class CardReader:
    """A GA/T 467 reader behind a transport, driven from one worker thread.

    ``read_loop()`` polls for a card every ``poll_interval`` seconds and yields
    each placed card once, or a typed :class:`DeviceError` once per failure;
    after the port goes away it reopens it every ``reconnect_interval`` seconds,
    so the loop survives unplugging without restarting the process.
    """

    def __init__(
        self,
        transport: Transport,
        *,
        poll_interval: float = 0.3,
        reconnect_interval: float = 1.0,
        timeouts: Timeouts | None = None,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self.transport = transport
        self.poll_interval = poll_interval
        self.reconnect_interval = reconnect_interval
        self._protocol = SamProtocol(transport, timeouts)
        self._today = today
        self._worker = DeviceWorker("card-reader")

    async def __aenter__(self) -> CardReader:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def open(self) -> None:
        """Open the port and reset the module (a card already on it is found again)."""
        await self._worker.run(self._open_blocking)

    def _open_blocking(self) -> None:
        self.transport.open()
        try:
            self._protocol.reset()
        except DeviceError:
            self.transport.close()
            raise

    async def close(self) -> None:
        await self._worker.run(self.transport.close)
        self._worker.shutdown()

    async def sam_id(self) -> str:
        """The security module's id, as printed on its label."""
        return await self._worker.run(self._protocol.sam_id)

    async def status(self) -> None:
        """Raise a typed error unless the security module reports itself healthy."""
        await self._worker.run(self._protocol.sam_status)

    async def read_card(
        self, wait: float = 10.0, *, new_address: bool = False, fingerprint: bool = False
    ) -> CardData:
        """Read the card on the reader now, or the next one placed within ``wait`` seconds.

        Raises :class:`TimeoutError` when no card comes.
        """
        async with asyncio.timeout(wait):
            return await self._wait_for_card(new_address, fingerprint)

    async def _wait_for_card(self, new_address: bool, fingerprint: bool) -> CardData:
        while True:
            card = await self._worker.run(self._poll_blocking, new_address, fingerprint)
            if card is not None:
                return card
            await asyncio.sleep(self.poll_interval)

    def _poll_blocking(
        self, new_address: bool = False, fingerprint: bool = False
    ) -> CardData | None:
        if not self.transport.is_open:
            self._open_blocking()
        if not self._protocol.find():
            return None
        return self._protocol.read_card(
            self._today(), new_address=new_address, fingerprint=fingerprint
        )

    async def read_loop(self) -> AsyncGenerator[CardData | DeviceError, None]:
        """Yield each placed card once, and each failure once, forever."""
        present = False
        failing = False
        while True:
            try:
                if not self.transport.is_open:
                    await self._worker.run(self._open_blocking)
                    failing = present = False
                if present:
                    present = await self._worker.run(self._protocol.find)
                elif (card := await self._worker.run(self._poll_blocking)) is not None:
                    present = True
                    yield card
            except (DeviceUnavailable, DeviceTimeout) as err:
                await self._worker.run(self.transport.close)
                if not failing:
                    failing = True
                    _LOG.warning("card reader unavailable: %s", err)
                    yield err
                await asyncio.sleep(self.reconnect_interval)
                continue
            except CardReaderError as err:
                present = True
                yield err
            except ProtocolError as err:
                yield err
            await asyncio.sleep(self.poll_interval)

    async def cards(self) -> AsyncGenerator[CardData, None]:
        """Like :meth:`read_loop`, but only the cards; failures are logged."""
        async for item in self.read_loop():
            if isinstance(item, CardData):
                yield item
            else:
                _LOG.info("card read failed: %s", item)
