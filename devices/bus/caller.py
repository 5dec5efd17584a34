"""The RS-485 caller keypad / evaluator bus: ``FF 68 L L 68 ADDR FUNC DATA… CS 16``.

L = 2 + len(DATA) (sent twice), CS = (ADDR + FUNC + ΣDATA) mod 256. Pure codec,
plus the mapping of keys and evaluator grades to events.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

START = b"\xff\x68"
END = 0x16
BLANK = 0x0A

FUNC_KEY = 0x01
FUNC_SHOW = 0x02
FUNC_BEEP = 0x03
FUNC_RATING = 0x11
START_EVALUATION = 0x0B
SHOW_STARS = 0x05

KEYS = {0x0C: "call", 0x0D: "recall", 0x0B: "evaluate", 0x0E: "cancel", 0x12: "pause",
        0x13: "transfer", 0x0F: "confirm"}  # fmt: skip
KEY_CODES = {name: code for code, name in KEYS.items()}
# "digit then OK" shortcuts of the deployed keypads.
CONFIRM_SHORTCUTS = {0x06: "give_up", 0x00: "hold", 0x03: "call_back"}


class Grade(IntEnum):
    """The national five-level 好差评 scale."""

    VERY_SATISFIED = 0
    SATISFIED = 1
    BASICALLY_SATISFIED = 2
    DISSATISFIED = 3
    VERY_DISSATISFIED = 4

    @property
    def label(self) -> str:
        return ("非常满意", "满意", "基本满意", "不满意", "非常不满意")[self]


# Legacy four-key evaluators: key → grade (their host stores 0→1, 1→0, 2→3, 3→4).
FOUR_KEY = {0: Grade.SATISFIED, 1: Grade.VERY_SATISFIED, 2: Grade.DISSATISFIED,
            3: Grade.VERY_DISSATISFIED}  # fmt: skip
FOUR_KEY_CODES = {grade: key for key, grade in FOUR_KEY.items()}
PROFILES = ("five", "four")


@dataclass(frozen=True)
class BusFrame:
    address: int
    func: int
    data: bytes


@dataclass(frozen=True)
class KeyEvent:
    """A keypad key: ``key`` is a name from :data:`KEYS` or a shortcut; ``digits`` typed before."""

    address: int
    key: str
    digits: str = ""


@dataclass(frozen=True)
class RatingEvent:
    address: int
    grade: Grade


def encode(frame: BusFrame) -> bytes:
    length = 2 + len(frame.data)
    checksum = (frame.address + frame.func + sum(frame.data)) & 0xFF
    return (
        START
        + bytes([length, length, 0x68, frame.address, frame.func])
        + frame.data
        + bytes([checksum, END])
    )


class Decoder:
    """Incremental decoder; damaged frames are dropped and counted."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self.dropped = 0

    def feed(self, data: bytes) -> list[BusFrame]:
        self._buf += data
        frames: list[BusFrame] = []
        while (start := self._buf.find(START)) >= 0:
            del self._buf[:start]
            if len(self._buf) < 5:
                break
            length = self._buf[2]
            if length < 2 or self._buf[3] != length or self._buf[4] != 0x68:
                self._drop(2)
                continue
            total = 5 + length + 2
            if len(self._buf) < total:
                break
            frame = bytes(self._buf[:total])
            body = frame[5 : 5 + length]
            if frame[-1] != END or sum(body) & 0xFF != frame[-2]:
                self._drop(2)
                continue
            del self._buf[:total]
            frames.append(BusFrame(body[0], body[1], body[2:]))
        return frames

    def _drop(self, count: int) -> None:
        self.dropped += 1
        del self._buf[:count]


def to_event(frame: BusFrame, profile: str = "five") -> KeyEvent | RatingEvent | None:
    """Interpret a device→host frame (keypads: last byte is the key)."""
    if not frame.data:
        return None
    if frame.func == FUNC_RATING:
        raw = frame.data[0]
        grade = FOUR_KEY.get(raw) if profile == "four" else _grade(raw)
        return RatingEvent(frame.address, grade) if grade is not None else None
    *typed, key = frame.data
    digits = "".join(str(d) for d in typed if d <= 9)
    if key == KEY_CODES["confirm"] and len(typed) == 1 and typed[0] in CONFIRM_SHORTCUTS:
        return KeyEvent(frame.address, CONFIRM_SHORTCUTS[typed[0]], digits)
    return KeyEvent(frame.address, KEYS.get(key, f"key_{key:02x}"), digits)


def _grade(raw: int) -> Grade | None:
    try:
        return Grade(raw)
    except ValueError:
        return None


def ack_for(frame: BusFrame) -> BusFrame:
    """The host's acknowledgement: an echo, or FUNC 01 with the data for a rating."""
    if frame.func == FUNC_RATING:
        return BusFrame(frame.address, FUNC_KEY, frame.data)
    return frame


def show_frame(address: int, waiting: int | None, ticket: str) -> BusFrame:
    """Keypad LCD: three digits of waiting count, three of the ticket (0A = blank)."""
    left = [BLANK] * 3 if waiting is None else [int(d) for d in f"{min(waiting, 999):03d}"]
    digits = [int(d) for d in ticket if d.isdigit()][-3:]
    right = [BLANK] * (3 - len(digits)) + digits
    return BusFrame(address, FUNC_SHOW, bytes(left + right))


def key_frame(address: int, key: str, digits: str = "") -> BusFrame:
    """What a keypad sends for ``key`` (a name or a shortcut) after typing ``digits``."""
    shortcut = {name: code for code, name in CONFIRM_SHORTCUTS.items()}
    if key in shortcut:
        return BusFrame(address, FUNC_KEY, bytes([shortcut[key], KEY_CODES["confirm"]]))
    return BusFrame(address, FUNC_KEY, bytes(int(d) for d in digits) + bytes([KEY_CODES[key]]))
