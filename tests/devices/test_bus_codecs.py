"""Onbon LED frames and the caller/evaluator bus: vectors and round-trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.bus import caller, onbon
from devices.bus.caller import BusFrame, Grade, KeyEvent, RatingEvent
from devices.errors import ProtocolError


def test_onbon_ping_and_clear_vectors() -> None:
    ping = onbon.Packet(dst=1, src=0x8000, data=onbon.command(onbon.PING))
    assert ping.body().hex() == "010000800000000000 00fe020500a200010000".replace(" ", "")
    assert onbon.encode(ping).endswith(bytes.fromhex("68F85A"))
    clear = onbon.Packet(dst=1, src=0x8000, data=onbon.command(onbon.CLEAR))
    assert onbon.encode(clear).endswith(bytes.fromhex("51F85A"))
    assert onbon.encode(ping).startswith(b"\xa5" * 8)


def test_crc16_arc_check_value() -> None:
    assert onbon.crc16_arc(b"123456789") == 0xBB3D


@settings(deadline=None)
@given(st.binary(max_size=200))
def test_escape_round_trip(data: bytes) -> None:
    escaped = onbon.escape(data)
    assert not {0xA5, 0x5A} & set(escaped)
    assert onbon.unescape(escaped) == data


@settings(deadline=None)
@given(
    st.integers(0, 0xFFFF),
    st.integers(0, 0xFFFF),
    st.binary(max_size=120),
    st.lists(st.integers(0, 400), max_size=5),
)
def test_onbon_frames_survive_any_chunking(
    dst: int, src: int, data: bytes, cuts: list[int]
) -> None:
    frame = onbon.encode(onbon.Packet(dst=dst, src=src, data=data))
    decoder, out, last = onbon.Decoder(), [], 0
    for cut in [*sorted(c % (len(frame) + 1) for c in cuts), len(frame)]:
        out += decoder.feed(frame[last:cut])
        last = cut
    assert out == [onbon.Packet(dst=dst, src=src, data=data)]


def test_onbon_damaged_frame_is_an_error() -> None:
    frame = bytearray(onbon.encode(onbon.Packet(dst=1, src=2, data=b"\x01\x02")))
    frame[12] ^= 0x01
    (item,) = onbon.Decoder().feed(bytes(frame))
    assert isinstance(item, ProtocolError)


@settings(deadline=None)
@given(
    st.text(alphabet="请到号窗口0123456789ABC", max_size=20),
    st.sampled_from(["red", "green", "yellow"]),
)
def test_text_command_round_trip(text: str, colour: str) -> None:
    area = onbon.TextArea(area_id=2, x=8, y=0, width=128, height=32)
    assert onbon.parse_text_args(onbon.text_args(area, text, colour)) == (area, text, colour)


def test_caller_vectors() -> None:
    assert (
        caller.encode(BusFrame(1, caller.FUNC_BEEP, b"")).hex(" ") == "ff 68 02 02 68 01 03 04 16"
    )
    show = caller.encode(caller.show_frame(1, None, "012"))
    assert show.hex(" ") == "ff 68 08 08 68 01 02 0a 0a 0a 00 01 02 24 16"
    assert caller.show_frame(1, 7, "A023").data == bytes([0, 0, 7, 0, 2, 3])


@settings(deadline=None)
@given(st.integers(0, 255), st.integers(0, 255), st.binary(max_size=30), st.binary(max_size=10))
def test_caller_round_trip_after_garbage(
    address: int, func: int, data: bytes, garbage: bytes
) -> None:
    frame = BusFrame(address, func, data)
    out = caller.Decoder().feed(garbage.replace(b"\xff", b"") + caller.encode(frame))
    assert out == [frame]


def test_caller_bad_checksum_is_dropped() -> None:
    frame = bytearray(caller.encode(BusFrame(1, 1, b"\x0c")))
    frame[-2] ^= 1
    decoder = caller.Decoder()
    assert decoder.feed(bytes(frame)) == []
    assert decoder.dropped == 1


@pytest.mark.parametrize(
    ("data", "event"),
    [
        (b"\x0c", KeyEvent(3, "call")),
        (b"\x0d", KeyEvent(3, "recall")),
        (b"\x0b", KeyEvent(3, "evaluate")),
        (b"\x12", KeyEvent(3, "pause")),
        (b"\x13", KeyEvent(3, "transfer")),
        (b"\x06\x0f", KeyEvent(3, "give_up", "6")),
        (b"\x00\x0f", KeyEvent(3, "hold", "0")),
        (b"\x03\x0f", KeyEvent(3, "call_back", "3")),
        (b"\x01\x02\x0c", KeyEvent(3, "call", "12")),
    ],
)
def test_key_events(data: bytes, event: KeyEvent) -> None:
    assert caller.to_event(BusFrame(3, caller.FUNC_KEY, data)) == event


@pytest.mark.parametrize("grade", list(Grade))
def test_five_key_grades(grade: Grade) -> None:
    frame = BusFrame(9, caller.FUNC_RATING, bytes([grade]))
    assert caller.to_event(frame, "five") == RatingEvent(9, grade)


def test_four_key_profile_maps_onto_four_grades() -> None:
    got = {
        key: caller.to_event(BusFrame(9, caller.FUNC_RATING, bytes([key])), "four")
        for key in range(4)
    }
    assert {k: e.grade for k, e in got.items() if isinstance(e, RatingEvent)} == {
        0: Grade.SATISFIED,
        1: Grade.VERY_SATISFIED,
        2: Grade.DISSATISFIED,
        3: Grade.VERY_DISSATISFIED,
    }
    assert Grade.BASICALLY_SATISFIED.label == "基本满意"


def test_rating_ack_is_func_01() -> None:
    rating = BusFrame(9, caller.FUNC_RATING, b"\x02")
    ack = caller.encode(caller.ack_for(rating))
    assert ack[-2] == (caller.encode(rating)[-2] - 0x10) & 0xFF
