"""Onbon (仰邦) BX-5/BX-6 controller frames for window LED screens: pure codec.

``A5×8 | dst(2 LE) src(2 LE) 00×4 chk_mode disp_mode dev_type proto len(2 LE) data | CRC16 | 5A``

The CRC is CRC-16/ARC over everything between preamble and CRC, little-endian;
after the CRC is appended, every A5/A6/5A/5B in the body is escaped.
"""

from __future__ import annotations

from dataclasses import dataclass

from devices.errors import ProtocolError

PREAMBLE = b"\xa5" * 8
END = 0x5A
_ESCAPES = {0xA5: b"\xa6\x02", 0xA6: b"\xa6\x01", 0x5A: b"\x5b\x02", 0x5B: b"\x5b\x01"}
_UNESCAPES = {bytes(v): k for k, v in _ESCAPES.items()}
HEADER_LEN = 14

PING = (0xA2, 0x00)
CLEAR = (0xA3, 0x10)
BRIGHTNESS = (0xA3, 0x02)
TEXT = (0xA3, 0x06)
COLOURS = {"red": 1, "green": 2, "yellow": 3}


def crc16_arc(data: bytes) -> int:
    """CRC-16/ARC: reflected poly 0xA001, init 0."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def escape(data: bytes) -> bytes:
    return b"".join(_ESCAPES.get(b, bytes([b])) for b in data)


def unescape(data: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(data):
        if data[i] in (0xA6, 0x5B):
            pair = bytes(data[i : i + 2])
            if pair not in _UNESCAPES:
                raise ProtocolError(f"bad escape {pair.hex()}")
            out.append(_UNESCAPES[pair])
            i += 2
        else:
            out.append(data[i])
            i += 1
    return bytes(out)


@dataclass(frozen=True)
class Packet:
    """One controller frame's fields."""

    dst: int
    src: int
    data: bytes
    device_type: int = 0xFE
    protocol: int = 0x02
    checksum_mode: int = 0
    display_mode: int = 0

    def body(self) -> bytes:
        return (
            self.dst.to_bytes(2, "little")
            + self.src.to_bytes(2, "little")
            + bytes(4)
            + bytes([self.checksum_mode, self.display_mode, self.device_type, self.protocol])
            + len(self.data).to_bytes(2, "little")
            + self.data
        )


def encode(packet: Packet) -> bytes:
    body = packet.body()
    return PREAMBLE + escape(body + crc16_arc(body).to_bytes(2, "little")) + bytes([END])


def decode_body(escaped: bytes) -> Packet:
    """Parse what lies between the preamble and the end byte."""
    raw = unescape(escaped)
    if len(raw) < HEADER_LEN + 2:
        raise ProtocolError("frame too short")
    body, crc = raw[:-2], int.from_bytes(raw[-2:], "little")
    if crc16_arc(body) != crc:
        raise ProtocolError("CRC mismatch")
    length = int.from_bytes(body[12:14], "little")
    if length != len(body) - HEADER_LEN:
        raise ProtocolError("length field does not match the frame")
    return Packet(
        dst=int.from_bytes(body[0:2], "little"),
        src=int.from_bytes(body[2:4], "little"),
        checksum_mode=body[8],
        display_mode=body[9],
        device_type=body[10],
        protocol=body[11],
        data=body[HEADER_LEN:],
    )


class Decoder:
    """Incremental: yields packets (or ProtocolError for a damaged frame)."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[Packet | ProtocolError]:
        self._buf += data
        out: list[Packet | ProtocolError] = []
        while True:
            start = self._buf.find(0xA5)
            if start < 0:
                self._buf.clear()
                return out
            del self._buf[:start]
            end = self._buf.find(END)
            if end < 0:
                return out
            frame = bytes(self._buf[:end])
            del self._buf[: end + 1]
            try:
                out.append(decode_body(frame.lstrip(b"\xa5")))
            except ProtocolError as err:
                out.append(err)


def command(op: tuple[int, int], args: bytes = b"", *, reply: bool = True) -> bytes:
    """Command data: group, code, reply-wanted flag, two reserved bytes, arguments."""
    return bytes([op[0], op[1], 1 if reply else 0, 0, 0]) + args


@dataclass(frozen=True)
class TextArea:
    """Geometry and effects of the dynamic area a window screen shows text in."""

    area_id: int = 0
    x: int = 0
    y: int = 0
    width: int = 64
    height: int = 16
    run_mode: int = 0
    align: int = 1
    effect: int = 1
    speed: int = 1
    stay: int = 5


def text_args(area: TextArea, text: str, colour: str = "red") -> bytes:
    """Arguments of the realtime dynamic-area text command (GB2312 with a colour code)."""
    payload = f"\\C{COLOURS[colour]}{text}".encode("gb2312", errors="replace")
    head = bytes([area.area_id])
    for value in (area.x, area.y, area.width, area.height):
        head += value.to_bytes(2, "little")
    head += bytes([area.run_mode, area.align, area.effect, area.speed, area.stay])
    return head + len(payload).to_bytes(4, "little") + payload


def parse_text_args(args: bytes) -> tuple[TextArea, str, str]:
    """Inverse of :func:`text_args` (used by the simulator)."""
    if len(args) < 18:
        raise ProtocolError("text command too short")
    nums = [int.from_bytes(args[i : i + 2], "little") for i in (1, 3, 5, 7)]
    area = TextArea(args[0], *nums, *args[9:14])
    length = int.from_bytes(args[14:18], "little")
    text = args[18 : 18 + length].decode("gb2312", errors="replace")
    colour = "red"
    for name, code in COLOURS.items():
        if text.startswith(f"\\C{code}"):
            colour, text = name, text[3:]
    return area, text, colour
