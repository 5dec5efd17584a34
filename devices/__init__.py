"""Hardware drivers and byte-faithful simulators. Imports nothing else of OneVisit.

The kiosk and counter agents use only what this module exports.
"""

from devices.bus import (
    CallerBus,
    Grade,
    KeyEvent,
    KeypadSimulator,
    LedSimulator,
    OnbonDisplay,
    RatingEvent,
    WindowDisplay,
)
from devices.camera import QrCamera, QrCode, QrRules
from devices.card_reader import CardData, CardReader, CardReaderSimulator
from devices.errors import (
    CardDataError,
    CardNotFound,
    CardReaderError,
    CardReadFailed,
    ConfigError,
    CoverOpen,
    DeviceError,
    DeviceTimeout,
    DeviceUnavailable,
    PaperOut,
    PrinterError,
    PrinterOffline,
    ProtocolError,
    SamFault,
)
from devices.factory import Device, build_device, simulator_of
from devices.printer import (
    SAMPLE_TICKET,
    PrinterSimulator,
    PrinterStatus,
    ReceiptPrinter,
    TicketDoc,
    render_ticket,
)

__all__ = [
    "SAMPLE_TICKET",
    "CallerBus",
    "CardData",
    "CardDataError",
    "CardNotFound",
    "CardReadFailed",
    "CardReader",
    "CardReaderError",
    "CardReaderSimulator",
    "ConfigError",
    "CoverOpen",
    "Device",
    "DeviceError",
    "DeviceTimeout",
    "DeviceUnavailable",
    "Grade",
    "KeyEvent",
    "KeypadSimulator",
    "LedSimulator",
    "OnbonDisplay",
    "PaperOut",
    "PrinterError",
    "PrinterOffline",
    "PrinterSimulator",
    "PrinterStatus",
    "ProtocolError",
    "QrCamera",
    "QrCode",
    "QrRules",
    "RatingEvent",
    "ReceiptPrinter",
    "SamFault",
    "TicketDoc",
    "WindowDisplay",
    "build_device",
    "render_ticket",
    "simulator_of",
]
