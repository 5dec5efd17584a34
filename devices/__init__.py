"""Hardware drivers and byte-faithful simulators. Imports nothing else of OneVisit.

The kiosk and counter agents use only what this module exports. Names are
imported on first use, so a command that needs only the card reader does not
pay for OpenCV and python-escpos.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_LAZY = {
    "CallerBus": "devices.bus",
    "CardData": "devices.card_reader",
    "CardDataError": "devices.errors",
    "CardNotFound": "devices.errors",
    "CardReadFailed": "devices.errors",
    "CardReader": "devices.card_reader",
    "CardReaderError": "devices.errors",
    "CardReaderSimulator": "devices.card_reader",
    "ConfigError": "devices.errors",
    "CoverOpen": "devices.errors",
    "Device": "devices.factory",
    "DeviceError": "devices.errors",
    "DeviceTimeout": "devices.errors",
    "DeviceUnavailable": "devices.errors",
    "Grade": "devices.bus",
    "KeyEvent": "devices.bus",
    "KeypadSimulator": "devices.bus",
    "LedSimulator": "devices.bus",
    "OnbonDisplay": "devices.bus",
    "PaperOut": "devices.errors",
    "PrinterError": "devices.errors",
    "PrinterOffline": "devices.errors",
    "PrinterSimulator": "devices.printer",
    "PrinterStatus": "devices.printer",
    "ProtocolError": "devices.errors",
    "QrCamera": "devices.camera",
    "QrCode": "devices.camera",
    "QrRules": "devices.camera",
    "RatingEvent": "devices.bus",
    "ReceiptPrinter": "devices.printer",
    "SAMPLE_TICKET": "devices.printer",
    "SamFault": "devices.errors",
    "TicketDoc": "devices.printer",
    "WindowDisplay": "devices.bus",
    "build_device": "devices.factory",
    "render_ticket": "devices.printer",
    "simulator_of": "devices.factory",
}

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


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'devices' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
