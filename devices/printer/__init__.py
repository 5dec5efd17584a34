"""ESC/POS receipt printer: ticket layout, driver and simulator."""

from devices.printer.layout import SAMPLE_TICKET, TicketDoc, render_ticket
from devices.printer.printer import ReceiptPrinter
from devices.printer.simulator import PrinterSimConfig, PrinterSimulator, Receipt
from devices.printer.status import PrinterStatus

__all__ = [
    "SAMPLE_TICKET",
    "PrinterSimConfig",
    "PrinterSimulator",
    "PrinterStatus",
    "Receipt",
    "ReceiptPrinter",
    "TicketDoc",
    "render_ticket",
]
