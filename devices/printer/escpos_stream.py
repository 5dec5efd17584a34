"""A small incremental ESC/POS tokenizer: what the printer simulator understands.

It knows the length of every command our layout and python-escpos emit (and
a few common others), so image and QR payloads are skipped exactly and a
``DLE EOT`` inside them is never mistaken for a status query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

ESC, GS, FS, DLE, LF = 0x1B, 0x1D, 0x1C, 0x10, 0x0A


@dataclass(frozen=True)
class Event:
    """One parsed command: ``kind`` plus its argument, payload, text or image height."""

    kind: str
    value: int = 0
    data: bytes = b""
    text: str = ""
    height: int = 0


# ESC x: number of argument bytes and event kind.
_ESC_ARGS: dict[int, tuple[int, str]] = {
    0x40: (0, "init"), 0x21: (1, "mode"), 0x45: (1, "bold"), 0x61: (1, "align"),
    0x64: (1, "feed"), 0x4A: (1, "feed_dots"), 0x2D: (1, "underline"), 0x4D: (1, "font"),
    0x47: (1, "double_strike"), 0x7B: (1, "upside_down"), 0x74: (1, "code_page"),
    0x32: (0, "line_spacing"), 0x33: (1, "line_spacing"), 0x42: (2, "buzzer"),
    0x70: (3, "drawer"), 0x56: (1, "rotate"), 0x20: (1, "char_spacing"),
    0x52: (1, "charset"), 0x63: (2, "panel"),
}  # fmt: skip
_GS_ARGS: dict[int, tuple[int, str]] = {
    0x21: (1, "size"), 0x68: (1, "barcode_height"), 0x77: (1, "barcode_width"),
    0x66: (1, "barcode_font"), 0x48: (1, "barcode_text"), 0x42: (1, "invert"),
    0x62: (1, "smooth"), 0x4C: (2, "left_margin"), 0x57: (2, "print_width"),
    0x72: (1, "status_nrt"),
}  # fmt: skip
_FS_ARGS: dict[int, tuple[int, str]] = {
    0x26: (0, "chinese_on"),
    0x2E: (0, "chinese_off"),
    0x21: (1, "chinese_mode"),
}
_Parse = Callable[[bytes, int], tuple[Event | None, int] | None]


def _fixed(
    buf: bytes, pos: int, table: dict[int, tuple[int, str]]
) -> tuple[Event | None, int] | None:
    if pos + 2 > len(buf):
        return None
    spec = table.get(buf[pos + 1])
    if spec is None:
        return Event("unknown", buf[pos], buf[pos : pos + 2]), pos + 2
    count, kind = spec
    end = pos + 2 + count
    if end > len(buf):
        return None
    args = buf[pos + 2 : end]
    return Event(kind, args[0] if args else 0, bytes(args)), end


def _gs(buf: bytes, pos: int) -> tuple[Event | None, int] | None:
    if pos + 2 > len(buf):
        return None
    op = buf[pos + 1]
    if op == 0x28:  # GS ( k / GS ( L: pL pH then payload
        return _gs_paren(buf, pos)
    if op == 0x76:  # GS v 0 m xL xH yL yH raster
        return _gs_raster(buf, pos)
    if op == 0x56:  # GS V m [n]
        if pos + 3 > len(buf):
            return None
        mode = buf[pos + 2]
        end = pos + (4 if mode in (0x41, 0x42) else 3)
        return (Event("cut", mode), end) if end <= len(buf) else None
    if op == 0x6B:  # GS k m: NUL-terminated (m <= 6) or counted
        return _gs_barcode(buf, pos)
    return _fixed(buf, pos, _GS_ARGS)


def _gs_paren(buf: bytes, pos: int) -> tuple[Event | None, int] | None:
    if pos + 5 > len(buf):
        return None
    fn = buf[pos + 2]
    size = buf[pos + 3] | buf[pos + 4] << 8
    end = pos + 5 + size
    if end > len(buf):
        return None
    body = bytes(buf[pos + 5 : end])
    if fn == 0x6B and body[:3] == b"1P0":
        return Event("qr_data", data=body[3:]), end
    if fn == 0x6B and body[:3] == b"1Q0":
        return Event("qr_print"), end
    if fn == 0x4C and body[:2] == b"0p":
        return Event("graphics", data=body), end
    return Event("setting", fn, body), end


def _gs_raster(buf: bytes, pos: int) -> tuple[Event | None, int] | None:
    if pos + 8 > len(buf):
        return None
    width = buf[pos + 4] | buf[pos + 5] << 8
    height = buf[pos + 6] | buf[pos + 7] << 8
    end = pos + 8 + width * height
    if end > len(buf):
        return None
    return Event("image", width * 8, height=height), end


def _gs_barcode(buf: bytes, pos: int) -> tuple[Event | None, int] | None:
    if pos + 3 > len(buf):
        return None
    kind = buf[pos + 2]
    if kind <= 6:
        nul = buf.find(b"\x00", pos + 3)
        return (Event("barcode", kind, bytes(buf[pos + 3 : nul])), nul + 1) if nul >= 0 else None
    if pos + 4 > len(buf):
        return None
    end = pos + 4 + buf[pos + 3]
    return (Event("barcode", kind, bytes(buf[pos + 4 : end])), end) if end <= len(buf) else None


def _dle(buf: bytes, pos: int) -> tuple[Event | None, int] | None:
    if pos + 3 > len(buf):
        return None
    if buf[pos + 1] == 0x04:
        return Event("status", buf[pos + 2]), pos + 3
    return Event("unknown", DLE, bytes(buf[pos : pos + 2])), pos + 2


_PARSERS: dict[int, _Parse] = {
    ESC: lambda b, p: _fixed(b, p, _ESC_ARGS),
    GS: _gs,
    FS: lambda b, p: _fixed(b, p, _FS_ARGS),
    DLE: _dle,
}


class EscposStream:
    """Feed bytes in any chunking; get whole events out (text per printed line)."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._text = bytearray()

    def feed(self, data: bytes) -> list[Event]:
        self._buf += data
        events: list[Event] = []
        pos = 0
        buf = bytes(self._buf)
        while pos < len(buf):
            byte = buf[pos]
            parser = _PARSERS.get(byte)
            if parser is not None:
                parsed = parser(buf, pos)
                if parsed is None:
                    break
                event, pos = parsed
                if event is not None:
                    events.append(event)
            elif byte == LF:
                events.append(self._line())
                pos += 1
            else:
                if byte >= 0x20:
                    self._text.append(byte)
                pos += 1
        del self._buf[:pos]
        return events

    def _line(self) -> Event:
        text = self._text.decode("gb18030", errors="replace")
        self._text.clear()
        return Event("line", text=text)
