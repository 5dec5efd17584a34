"""DLE EOT decoding and the ESC/POS tokenizer."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.printer import status
from devices.printer.escpos_stream import EscposStream
from devices.printer.layout import SAMPLE_TICKET, render_ticket

CASES = [
    ("12", "12", "12", (True, "ok", False)),
    ("12", "12", "1E", (True, "near_end", False)),
    ("1A", "32", "72", (False, "out", False)),
    ("1A", "32", "7E", (False, "out", False)),
    ("1A", "16", "12", (False, "ok", True)),
    ("16", "12", "12", (True, "ok", False)),
    ("", "", "", (None, "unknown", None)),
    ("12", "", "", (True, "unknown", None)),
    ("1A", "32", "", (False, "out", False)),
    ("FF", "00", "01", (None, "unknown", None)),
]


@pytest.mark.parametrize(("s1", "s2", "s4", "expected"), CASES)
def test_decode(s1: str, s2: str, s4: str, expected: tuple[object, ...]) -> None:
    decoded = status.decode(bytes.fromhex(s1), bytes.fromhex(s2), bytes.fromhex(s4))
    assert (decoded.online, decoded.paper, decoded.cover_open) == expected


def test_reference_cross_check_vector() -> None:
    """DLE EOT 1/2/4 = 1A 32 7E: offline, stopped by paper end, near end."""
    assert status.encode(False, False, "out") == {1: 0x1A, 2: 0x32, 3: 0x12, 4: 0x7E}


@settings(deadline=None)
@given(st.booleans(), st.booleans(), st.sampled_from(["ok", "near_end", "out"]))
def test_encode_decode_round_trip(online: bool, cover: bool, paper: str) -> None:
    answers = status.encode(online, cover, paper)
    decoded = status.decode(*(bytes([answers[n]]) for n in (1, 2, 4)))
    assert (decoded.online, decoded.cover_open, decoded.paper) == (online, cover, paper)


@settings(deadline=None)
@given(st.binary(max_size=3), st.binary(max_size=3), st.binary(max_size=3))
def test_garbage_is_never_ok(s1: bytes, s2: bytes, s4: bytes) -> None:
    decoded = status.decode(s1, s2, s4)
    if status.valid(s4) is None:
        assert decoded.paper in ("unknown", "out")


@settings(deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2000), max_size=12))
def test_tokenizer_is_independent_of_chunking(cuts: list[int]) -> None:
    data = render_ticket(SAMPLE_TICKET)
    whole = EscposStream().feed(data)
    stream = EscposStream()
    events, last = [], 0
    for cut in [*sorted(c % (len(data) + 1) for c in cuts), len(data)]:
        events += stream.feed(data[last:cut])
        last = cut
    assert events == whole


def test_status_query_inside_raster_data_is_not_a_query() -> None:
    raster = b"\x1dv0\x00\x01\x00\x03\x00" + b"\x10\x04\x01"
    events = EscposStream().feed(raster + b"\x10\x04\x04")
    assert [(e.kind, e.value) for e in events] == [("image", 8), ("status", 4)]
