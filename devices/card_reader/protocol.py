"""Blocking SAM reader protocol over a transport (runs in the device worker)."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, replace

from devices.card_reader import codec
from devices.card_reader.cardtext import TEXT_LEN, decode_text
from devices.card_reader.codec import Command, Frame, FrameDecoder, Status
from devices.card_reader.model import CardData
from devices.errors import CardNotFound, DeviceTimeout, NoContent, ProtocolError
from devices.transport import Transport

PHOTO_LEN = 1024
ADDRESS_LEN = 70


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait for each answer (vendor SDKs use 0.3–3.5 s)."""

    short: float = 1.0
    find: float = 1.0
    read: float = 4.0
    fingerprint: float = 5.0


class SamProtocol:
    """One command at a time: write a frame, read the matching answer, map SW3."""

    def __init__(self, transport: Transport, timeouts: Timeouts | None = None) -> None:
        self.transport = transport
        self.timeouts = timeouts or Timeouts()

    def transact(
        self, command: Command, timeout: float, data: bytes = b"", ok: int = Status.OK
    ) -> bytes:
        """Send ``command``; return the answer's data or raise its typed error."""
        frame = self.exchange(codec.encode_command(command, data), timeout)
        if frame.sw3 != ok:
            raise codec.status_error(frame.sw3)
        return frame.data(3)

    def exchange(self, frame: bytes, timeout: float) -> Frame:
        """Write raw bytes (any frame, even a malformed one) and return the answer frame."""
        self.transport.discard_input()
        self.transport.write(frame)
        return self._read_frame(time.monotonic() + timeout)

    def _read_frame(self, deadline: float) -> Frame:
        decoder = FrameDecoder()
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DeviceTimeout("card reader did not answer")
            chunk = self.transport.read(decoder.wanted(), remaining)
            for item in decoder.feed(chunk):
                if isinstance(item, Frame):
                    return item
                raise ProtocolError(f"damaged answer ({item.status.name.lower()})")

    def reset(self) -> None:
        self.transact(Command.RESET, self.timeouts.short)

    def sam_status(self) -> None:
        self.transact(Command.SAM_STATUS, self.timeouts.short)

    def sam_id(self) -> str:
        return codec.format_sam_id(self.transact(Command.SAM_ID, self.timeouts.short))

    def find(self) -> bool:
        """True when a card answers on the antenna (SW3 9F), False for SW3 80."""
        try:
            self.transact(Command.FIND, self.timeouts.find, ok=Status.FOUND)
        except CardNotFound:
            return False
        return True

    def select(self) -> None:
        self.transact(Command.SELECT, self.timeouts.find)

    def read_text_photo(self) -> tuple[bytes, bytes]:
        data = self.transact(Command.READ_TEXT_PHOTO, self.timeouts.read)
        text_len, photo_len = _lengths(data, 2)
        text, photo = _split(data[4:], (text_len, photo_len))
        return text, photo

    def read_with_fingerprint(self) -> tuple[bytes, bytes, bytes]:
        data = self.transact(Command.READ_WITH_FINGERPRINT, self.timeouts.fingerprint)
        text_len, photo_len, fp_len = _lengths(data, 3)
        text, photo, fingerprint = _split(data[6:], (text_len, photo_len, fp_len))
        return text, photo, fingerprint

    def read_new_address(self) -> str | None:
        """The appended address (住址变更), or None when the card has none (SW3 91)."""
        try:
            data = self.transact(Command.READ_NEW_ADDRESS, self.timeouts.short)
        except NoContent:
            return None
        return data.decode("utf-16-le", errors="replace").rstrip(" \x00") or None

    def read_card(
        self, today: dt.date, *, fingerprint: bool = False, new_address: bool = False
    ) -> CardData:
        """Select the found card and read it (call after :meth:`find` returned True)."""
        self.select()
        fp = b""
        if fingerprint:
            text, photo, fp = self.read_with_fingerprint()
        else:
            text, photo = self.read_text_photo()
        card = replace(decode_text(text, today), photo=photo, fingerprint=fp)
        if new_address:
            card = replace(card, new_address=self.read_new_address())
        return card


def _lengths(data: bytes, count: int) -> tuple[int, ...]:
    if len(data) < 2 * count:
        raise ProtocolError("card data answer too short")
    lengths = tuple(int.from_bytes(data[i : i + 2], "big") for i in range(0, 2 * count, 2))
    if lengths[0] != TEXT_LEN or len(data) != 2 * count + sum(lengths):
        raise ProtocolError(f"card data lengths {lengths} do not match the answer")
    return lengths


def _split(data: bytes, lengths: tuple[int, ...]) -> tuple[bytes, ...]:
    parts, start = [], 0
    for length in lengths:
        parts.append(data[start : start + length])
        start += length
    return tuple(parts)
