"""The queue ticket, rendered to ESC/POS bytes through python-escpos.

Rendering is pure: the same :class:`TicketDoc` always gives the same bytes
(pinned by a snapshot test), so what the kiosk prints can be reviewed as data.
"""

from __future__ import annotations

from dataclasses import dataclass

from escpos.constants import QR_ECLEVEL_M
from escpos.escpos import Escpos

from devices.printer import textimage

PROFILE = "TM-T20II"
CHINESE_MODE = b"\x1c\x26"
FONT_PX = 24


@dataclass(frozen=True)
class TicketDoc:
    """What a queue ticket says. ``eta_low``/``eta_high`` None: no estimate available;
    ``people_ahead`` None: issued offline, nobody knows the head count yet."""

    hall_name: str
    service_name: str
    number: str
    people_ahead: int | None
    eta_low: int | None
    eta_high: int | None
    issued_at: str
    no_show_rule: str
    track_url: str
    name_line: str | None = None


SAMPLE_TICKET = TicketDoc(
    hall_name="市民中心政务服务大厅",
    service_name="社保卡申领",
    number="A023",
    people_ahead=5,
    eta_low=10,
    eta_high=20,
    issued_at="2025-03-14 09:30",
    no_show_rule="过号请重新取号",
    track_url="https://hall.example.cn/t/8f3k2m9q",
    name_line="张*",
)


OFFLINE_AHEAD = "脱机取号：联网后扫码查看排队人数"


def ahead_text(people_ahead: int | None) -> str:
    """The head-count line; offline tickets point to the QR instead of guessing."""
    if people_ahead is None:
        return OFFLINE_AHEAD
    return f"前面还有 {people_ahead} 人等候"


class BufferEscpos(Escpos):  # type: ignore[misc]
    """An escpos printer whose output stays in memory."""

    def __init__(self, profile: str = PROFILE) -> None:
        super().__init__(profile=profile)
        self.output = bytearray()

    def _raw(self, msg: bytes) -> None:
        self.output += msg


def cn_line(printer: Escpos, text: str, scale: int = 1, font_path: str | None = None) -> None:
    """Print one line of Chinese text: GB18030 bytes, or an image for rare characters."""
    text = text.replace("¥", "￥")
    if textimage.printer_can_print(text):
        printer._raw(text.encode("gb18030") + b"\n")
        return
    font = textimage.load_font(FONT_PX * scale, font_path)
    if font is None:
        printer._raw(text.encode("gb18030") + b"\n")
        return
    printer.image(textimage.render_line(text, font))


def eta_text(low: int | None, high: int | None) -> str:
    """``预计等候 10-20 分钟``, or a plain statement when there is no estimate."""
    if low is None or high is None:
        return "暂无法估计等候时间"
    if low == high:
        return f"预计等候约 {low} 分钟"
    return f"预计等候 {low}-{high} 分钟"


def write_ticket(printer: Escpos, doc: TicketDoc, font_path: str | None = None) -> None:
    """Issue the ticket's commands on any escpos printer object."""
    printer.hw("INIT")
    printer._raw(CHINESE_MODE)
    printer.set(align="center", bold=True, double_width=True, double_height=True)
    cn_line(printer, doc.hall_name, 2, font_path)
    printer.set(normal_textsize=True, bold=False, double_height=True)
    cn_line(printer, doc.service_name, 1, font_path)
    printer.set(normal_textsize=True)
    cn_line(printer, "您的号码", 1, font_path)
    printer.set(custom_size=True, width=4, height=4, bold=True)
    cn_line(printer, doc.number, 4, font_path)
    printer.set(normal_textsize=True, bold=False)
    cn_line(printer, ahead_text(doc.people_ahead), 1, font_path)
    cn_line(printer, eta_text(doc.eta_low, doc.eta_high), 1, font_path)
    if doc.name_line:
        cn_line(printer, doc.name_line, 1, font_path)
    cn_line(printer, f"取号时间 {doc.issued_at}", 1, font_path)
    cn_line(printer, doc.no_show_rule, 1, font_path)
    cn_line(printer, "请留意屏幕和语音叫号", 1, font_path)
    printer.qr(doc.track_url, ec=QR_ECLEVEL_M, size=6, native=True)
    cn_line(printer, "扫码查看排队进度", 1, font_path)
    printer.cut()


def render_ticket(doc: TicketDoc, font_path: str | None = None) -> bytes:
    """The complete byte stream for ``doc``: ESC @ … GS V."""
    buffer = BufferEscpos()
    write_ticket(buffer, doc, font_path)
    return bytes(buffer.output)
