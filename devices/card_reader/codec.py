"""GA/T 467 SAM "business terminal" framing: pure functions, no I/O.

Command:  ``AA AA AA 96 69 | LEN_H LEN_L | CMD PARA [DATA] | XOR``
Response: ``AA AA AA 96 69 | LEN_H LEN_L | SW1 SW2 SW3 [DATA] | XOR``

LEN is big-endian and counts every byte after itself, checksum included; the
checksum is the XOR of LEN through the last data byte. The same decoder is used
by the driver (reading responses) and the simulator (reading commands), so the
two ends cannot disagree about framing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from devices import errors

PREAMBLE = bytes.fromhex("AAAAAA9669")
HEADER_LEN = len(PREAMBLE) + 2
MAX_LEN = 0x0A00


class Command(IntEnum):
    """Two-byte commands (CMD << 8 | PARA)."""

    RESET = 0x10FF
    SAM_STATUS = 0x11FF
    SAM_ID = 0x12FF
    FIND = 0x2001
    SELECT = 0x2002
    READ_TEXT_PHOTO = 0x3001
    READ_NEW_ADDRESS = 0x3003
    READ_WITH_FINGERPRINT = 0x3010
    SET_MAX_RF_BYTES = 0x61FF


class Status(IntEnum):
    """SW3 values."""

    OK = 0x90
    FOUND = 0x9F
    BAD_CHECKSUM = 0x10
    BAD_LENGTH = 0x11
    BAD_COMMAND = 0x21
    NOT_PERMITTED = 0x23
    UNKNOWN_ERROR = 0x24
    CARD_AUTH_SAM_FAILED = 0x31
    SAM_AUTH_CARD_FAILED = 0x32
    VERIFY_FAILED = 0x33
    UNKNOWN_CARD_TYPE = 0x40
    READ_FAILED = 0x41
    RANDOM_FAILED = 0x47
    SAM_SELF_TEST_FAILED = 0x60
    SAM_NOT_AUTHORISED = 0x66
    FIND_FAILED = 0x80
    SELECT_FAILED = 0x81
    NO_CONTENT = 0x91


STATUS_TEXT: dict[int, str] = {
    0x90: "操作成功",
    0x9F: "寻找证/卡成功",
    0x10: "接收数据校验和错",
    0x11: "接收数据长度错",
    0x21: "接收数据命令错",
    0x23: "越权操作",
    0x24: "无法识别的错误",
    0x31: "证/卡认证SAM失败",
    0x32: "SAM认证证/卡失败",
    0x33: "信息验证错误",
    0x40: "无法识别的卡类型",
    0x41: "读证/卡操作失败",
    0x47: "取随机数失败",
    0x60: "SAM自检失败",
    0x66: "SAM未经授权",
    0x80: "寻找证/卡失败",
    0x81: "选取证/卡失败",
    0x91: "证/卡中此项无内容",
}

_ERROR_CLASS: dict[int, type[errors.SamStatusError]] = {
    0x10: errors.FrameRejected,
    0x11: errors.FrameRejected,
    0x21: errors.FrameRejected,
    0x23: errors.SamFault,
    0x24: errors.SamFault,
    0x31: errors.CardReadFailed,
    0x32: errors.CardReadFailed,
    0x33: errors.CardReadFailed,
    0x40: errors.CardReadFailed,
    0x41: errors.CardReadFailed,
    0x47: errors.CardReadFailed,
    0x60: errors.SamFault,
    0x66: errors.SamFault,
    0x80: errors.CardNotFound,
    0x81: errors.CardSelectFailed,
    0x91: errors.NoContent,
}


def status_error(sw3: int) -> errors.SamStatusError:
    """The typed error for a non-success SW3 (unknown codes become :class:`SamFault`)."""
    cls = _ERROR_CLASS.get(sw3, errors.SamFault)
    return cls(sw3, STATUS_TEXT.get(sw3, "未定义的状态"))


def xor(data: bytes) -> int:
    """XOR of every byte."""
    value = 0
    for byte in data:
        value ^= byte
    return value


def _frame(head: bytes, data: bytes) -> bytes:
    length = len(head) + len(data) + 1
    body = length.to_bytes(2, "big") + head + data
    return PREAMBLE + body + bytes([xor(body)])


def encode_command(command: int, data: bytes = b"") -> bytes:
    """A complete host→reader frame."""
    return _frame(command.to_bytes(2, "big"), data)


def encode_response(sw3: int, data: bytes = b"", sw1: int = 0, sw2: int = 0) -> bytes:
    """A complete reader→host frame."""
    return _frame(bytes([sw1, sw2, sw3]), data)


@dataclass(frozen=True)
class Frame:
    """A frame whose length and checksum were valid; ``body`` is CMD/SW onward."""

    body: bytes

    @property
    def command(self) -> int:
        return int.from_bytes(self.body[:2], "big")

    @property
    def sw3(self) -> int:
        return self.body[2]

    def data(self, head_len: int) -> bytes:
        return self.body[head_len:]


@dataclass(frozen=True)
class BadFrame:
    """A frame that arrived damaged; ``status`` is the SW3 a reader answers to it."""

    status: Status


class FrameDecoder:
    """Incremental decoder that resynchronises on the preamble after garbage.

    ``wanted()`` says how many bytes complete the current stage, so a blocking
    reader can ask its port for exactly that many and never over-read.
    """

    def __init__(self, min_len: int = 3, max_len: int = MAX_LEN) -> None:
        self._buf = bytearray()
        self._min_len = min_len
        self._max_len = max_len

    def wanted(self) -> int:
        if len(self._buf) < HEADER_LEN:
            return HEADER_LEN - len(self._buf)
        total = HEADER_LEN + int.from_bytes(self._buf[5:7], "big")
        return max(total - len(self._buf), 1)

    def feed(self, data: bytes) -> list[Frame | BadFrame]:
        """Add bytes; return every frame (good or damaged) they complete."""
        self._buf += data
        out: list[Frame | BadFrame] = []
        while True:
            item = self._next()
            if item is None:
                return out
            out.append(item)

    def _sync(self) -> bool:
        start = self._buf.find(PREAMBLE)
        if start < 0:
            keep = len(PREAMBLE) - 1
            del self._buf[: max(len(self._buf) - keep, 0)]
            return False
        del self._buf[:start]
        return True

    def _next(self) -> Frame | BadFrame | None:
        if not self._sync() or len(self._buf) < HEADER_LEN:
            return None
        length = int.from_bytes(self._buf[5:7], "big")
        if not self._min_len + 1 <= length <= self._max_len:
            del self._buf[: len(PREAMBLE)]
            return BadFrame(Status.BAD_LENGTH)
        total = HEADER_LEN + length
        if len(self._buf) < total:
            return None
        frame = bytes(self._buf[:total])
        del self._buf[:total]
        if xor(frame[5:-1]) != frame[-1]:
            return BadFrame(Status.BAD_CHECKSUM)
        return Frame(frame[HEADER_LEN:-1])


def format_sam_id(data: bytes) -> str:
    """The SAM's 16-byte id in the form vendors print on the module label."""
    if len(data) < 16:
        raise errors.ProtocolError("SAM id shorter than 16 bytes")
    parts = [int.from_bytes(data[i : i + 4], "little") for i in (4, 8, 12)]
    return f"{data[0]:02d}.{data[2]:02d}-{parts[0]}-{parts[1]:09d}-{parts[2]:09d}"
