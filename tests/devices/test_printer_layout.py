"""Ticket layout: pinned bytes for the sample ticket, Chinese text, rare characters."""

from __future__ import annotations

import dataclasses
import os
import textwrap
from pathlib import Path

import pytest

from devices.printer import textimage
from devices.printer.escpos_stream import EscposStream
from devices.printer.layout import SAMPLE_TICKET, eta_text, render_ticket

SNAPSHOT = Path(__file__).parent / "snapshots" / "sample_ticket.hex"


def _hex_lines(data: bytes) -> str:
    return "\n".join(textwrap.wrap(data.hex(" "), 96)) + "\n"


def test_sample_ticket_bytes_are_pinned() -> None:
    """Changes must be deliberate: regenerate with ONEVISIT_UPDATE_SNAPSHOTS=1 and review."""
    actual = _hex_lines(render_ticket(SAMPLE_TICKET))
    if os.environ.get("ONEVISIT_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(actual, encoding="ascii")
    assert actual == SNAPSHOT.read_text(encoding="ascii")


def test_sample_ticket_structure() -> None:
    data = render_ticket(SAMPLE_TICKET)
    assert data.startswith(b"\x1b@\x1c&")
    assert data.endswith(b"\x1bd\x06\x1dV\x00")
    assert "请留意屏幕和语音叫号".encode("gb18030") in data
    assert b"\x1d(k" in data
    assert b"\x1d!\x33\x1bE\x01A023\n" in data


def test_events_of_the_sample_ticket() -> None:
    events = EscposStream().feed(render_ticket(SAMPLE_TICKET))
    lines = [e.text for e in events if e.kind == "line"]
    assert lines[:4] == ["市民中心政务服务大厅", "社保卡申领", "您的号码", "A023"]
    assert "预计等候 10-20 分钟" in lines
    assert [e.data for e in events if e.kind == "qr_data"] == [SAMPLE_TICKET.track_url.encode()]
    assert [e.kind for e in events][-1] == "cut"


def test_no_estimate_is_said_plainly() -> None:
    assert eta_text(None, None) == "暂无法估计等候时间"
    assert eta_text(5, 5) == "预计等候约 5 分钟"
    doc = dataclasses.replace(SAMPLE_TICKET, eta_low=None, eta_high=None, name_line=None)
    assert "暂无法估计等候时间".encode("gb18030") in render_ticket(doc)


def test_offline_ticket_points_to_the_qr_instead_of_a_head_count() -> None:
    doc = dataclasses.replace(SAMPLE_TICKET, people_ahead=None, eta_low=None, eta_high=None)
    data = render_ticket(doc)
    assert "脱机取号：联网后扫码查看排队人数".encode("gb18030") in data
    assert "前面还有".encode("gb18030") not in data
    assert "前面还有 5 人等候".encode("gb18030") in render_ticket(SAMPLE_TICKET)


@pytest.mark.skipif(textimage.load_font(24) is None, reason="no CJK font installed")
def test_rare_name_character_becomes_an_image() -> None:
    doc = dataclasses.replace(SAMPLE_TICKET, name_line="王𠀋*")
    data = render_ticket(doc)
    assert "王𠀋*".encode("gb18030") not in data
    events = EscposStream().feed(data)
    images = [e for e in events if e.kind == "image"]
    assert len(images) == 1
    assert images[0].value <= textimage.MAX_WIDTH


def test_printer_font_coverage() -> None:
    assert textimage.printer_can_print("张三 A023 ￥")
    assert not textimage.printer_can_print("𠀋")
    assert not textimage.printer_can_print("¥")
