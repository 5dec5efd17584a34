"""The async receipt printer: python-escpos driven through our transport."""

from __future__ import annotations

import logging
from types import TracebackType

from escpos.escpos import Escpos

from devices.errors import CoverOpen, PaperOut, PrinterOffline
from devices.printer import status as st
from devices.printer.layout import PROFILE, TicketDoc, render_ticket
from devices.transport import Transport
from devices.worker import DeviceWorker

_LOG = logging.getLogger(__name__)


class TransportEscpos(Escpos):  # type: ignore[misc]
    """python-escpos's own extension point: ``_raw`` writes, ``_read`` reads one status byte."""

    def __init__(self, transport: Transport, read_timeout: float, profile: str = PROFILE) -> None:
        super().__init__(profile=profile)
        self.transport = transport
        self.read_timeout = read_timeout

    def _raw(self, msg: bytes) -> None:
        self.transport.write(msg)

    def _read(self) -> bytes:
        return self.transport.read(1, self.read_timeout)


class ReceiptPrinter:
    """A receipt printer on a serial, USB-serial or network port.

    ``status()`` asks DLE EOT 1, 2 and 4 and treats a silent printer as unknown.
    ``print_ticket()`` refuses (typed error) only when the printer says it cannot
    print; an unknown status does not block printing. A port that went away is
    reopened on the next call.
    """

    def __init__(
        self, transport: Transport, *, status_timeout: float = 1.0, font_path: str | None = None
    ) -> None:
        self.transport = transport
        self.font_path = font_path
        self._escpos = TransportEscpos(transport, status_timeout)
        self._worker = DeviceWorker("printer")

    async def __aenter__(self) -> ReceiptPrinter:
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
        await self._worker.run(self.transport.open)

    async def close(self) -> None:
        await self._worker.run(self.transport.close)
        self._worker.shutdown()

    async def status(self) -> st.PrinterStatus:
        return await self._worker.run(self._status_blocking)

    def _status_blocking(self) -> st.PrinterStatus:
        if not self.transport.is_open:
            self.transport.open()
        self.transport.discard_input()
        replies = [
            self._escpos.query_status(st.DLE_EOT + bytes([n]))
            for n in (st.PRINTER, st.OFFLINE_CAUSE, st.PAPER_SENSOR)
        ]
        return st.decode(*replies)

    async def print_ticket(self, doc: TicketDoc) -> st.PrinterStatus:
        """Check the status, print ``doc`` and cut; returns the status before printing."""
        data = await self._worker.run(render_ticket, doc, self.font_path)
        return await self.print_raw(data)

    async def print_raw(self, data: bytes) -> st.PrinterStatus:
        """Send a prepared ESC/POS job after the same status check."""
        return await self._worker.run(self._print_blocking, data)

    def _print_blocking(self, data: bytes) -> st.PrinterStatus:
        status = self._status_blocking()
        if status.paper == "out":
            raise PaperOut("paper roll is empty")
        if status.cover_open:
            raise CoverOpen("printer cover is open")
        if status.online is False:
            raise PrinterOffline("printer is offline")
        if status.paper == "near_end":
            _LOG.warning("receipt paper is near its end")
        self._escpos._raw(data)
        return status
