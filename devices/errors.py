"""Typed errors for every device.

Callers catch :class:`DeviceError` for "the device did not do it" and the
subclasses when they need to react differently (ask the citizen to lift and
re-place the card, call staff for paper, wait for a reconnect).
"""

from __future__ import annotations


class DeviceError(Exception):
    """Base class: a device could not complete an operation."""

    code = "device_error"


class ConfigError(DeviceError, ValueError):
    """A device specification is invalid; raised when devices are built."""

    code = "config_error"


class DeviceUnavailable(DeviceError):
    """The port cannot be opened, or the device went away (unplugged, peer closed)."""

    code = "unavailable"


class DeviceTimeout(DeviceError):
    """The device did not answer in time."""

    code = "timeout"


class ProtocolError(DeviceError):
    """The device answered bytes that do not follow its protocol."""

    code = "protocol_error"


class CardReaderError(DeviceError):
    """Base class of the ID card reader's status errors."""

    code = "card_reader_error"


class SamStatusError(CardReaderError):
    """The reader answered a non-success SW3 status byte."""

    code = "sam_status"

    def __init__(self, sw3: int, text: str) -> None:
        super().__init__(f"SW3 {sw3:02X}: {text}")
        self.sw3 = sw3
        self.text = text


class CardNotFound(SamStatusError):
    """SW3 80: no card on the antenna."""

    code = "no_card"


class CardSelectFailed(SamStatusError):
    """SW3 81: the card could not be selected (moved, or a second card)."""

    code = "select_failed"


class CardReadFailed(SamStatusError):
    """The card was found but could not be read (moved away, damaged, rejected)."""

    code = "read_failed"


class NoContent(SamStatusError):
    """SW3 91: the requested item is empty (e.g. no appended address)."""

    code = "no_content"


class SamFault(SamStatusError):
    """The security module itself failed or is not authorised."""

    code = "sam_fault"


class FrameRejected(SamStatusError):
    """The reader rejected our frame (bad checksum, length or command)."""

    code = "frame_rejected"


class CardDataError(CardReaderError):
    """The card's text block is inconsistent (bad date, unknown code, check digit)."""

    code = "card_data_error"


class PrinterError(DeviceError):
    """Base class of the receipt printer's errors."""

    code = "printer_error"


class PaperOut(PrinterError):
    """The paper roll is empty."""

    code = "paper_out"


class CoverOpen(PrinterError):
    """The printer's cover is open."""

    code = "cover_open"


class PrinterOffline(PrinterError):
    """The printer reports itself offline for another reason."""

    code = "printer_offline"
