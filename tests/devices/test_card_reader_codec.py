"""Card reader codecs: the reference's test vectors and hypothesis round-trips."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.card_reader import cardtext, codec, idnumber, samples
from devices.card_reader.codec import BadFrame, Command, Frame, FrameDecoder, Status
from devices.card_reader.model import CardData
from devices.card_reader.tables import GENDERS, NATIONS
from devices.errors import CardDataError, CardNotFound, CardReadFailed, NoContent, SamFault

COMMAND_VECTORS = [
    (Command.RESET, b"", "AAAAAA96690003 10FF EC"),
    (Command.SAM_STATUS, b"", "AAAAAA96690003 11FF ED"),
    (Command.SAM_ID, b"", "AAAAAA96690003 12FF EE"),
    (Command.FIND, b"", "AAAAAA96690003 2001 22"),
    (Command.SELECT, b"", "AAAAAA96690003 2002 21"),
    (Command.READ_TEXT_PHOTO, b"", "AAAAAA96690003 3001 32"),
    (Command.READ_NEW_ADDRESS, b"", "AAAAAA96690003 3003 30"),
    (Command.READ_WITH_FINGERPRINT, b"", "AAAAAA96690003 3010 23"),
    (Command.SET_MAX_RF_BYTES, b"\x50", "AAAAAA96690004 61FF 50 CA"),
]
RESPONSE_VECTORS = [
    (0x90, b"", "AAAAAA9669 0004 000090 94"),
    (0x9F, bytes(4), "AAAAAA9669 0008 00009F 00000000 97"),
    (0x90, bytes(8), "AAAAAA9669 000C 000090 0000000000000000 9C"),
    (0x80, b"", "AAAAAA9669 0004 000080 84"),
    (0x81, b"", "AAAAAA9669 0004 000081 85"),
    (0x41, b"", "AAAAAA9669 0004 000041 45"),
    (0x91, b"", "AAAAAA9669 0004 000091 95"),
    (0x60, b"", "AAAAAA9669 0004 000060 64"),
    (0x10, b"", "AAAAAA9669 0004 000010 14"),
    (0x11, b"", "AAAAAA9669 0004 000011 15"),
    (0x21, b"", "AAAAAA9669 0004 000021 25"),
]


def _hex(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


@pytest.mark.parametrize(("command", "data", "frame"), COMMAND_VECTORS)
def test_command_frames(command: Command, data: bytes, frame: str) -> None:
    assert codec.encode_command(command, data) == _hex(frame)


@pytest.mark.parametrize(("sw3", "data", "frame"), RESPONSE_VECTORS)
def test_response_frames(sw3: int, data: bytes, frame: str) -> None:
    assert codec.encode_response(sw3, data) == _hex(frame)
    (decoded,) = FrameDecoder().feed(_hex(frame))
    assert isinstance(decoded, Frame)
    assert (decoded.sw3, decoded.data(3)) == (sw3, data)


def test_read_answer_is_1295_bytes() -> None:
    payload = b"\x01\x00\x04\x00" + bytes(256) + bytes(1024)
    frame = codec.encode_response(Status.OK, payload)
    assert len(frame) == 1295
    assert frame[5:7] == b"\x05\x08"


@pytest.mark.parametrize(
    ("sw3", "error"),
    [(0x80, CardNotFound), (0x41, CardReadFailed), (0x91, NoContent), (0x60, SamFault),
     (0x66, SamFault), (0x33, CardReadFailed), (0x99, SamFault)],
)  # fmt: skip
def test_every_status_has_a_typed_error(sw3: int, error: type[Exception]) -> None:
    err = codec.status_error(sw3)
    assert isinstance(err, error)
    assert err.sw3 == sw3


def test_every_documented_status_has_a_text() -> None:
    for status in Status:
        assert status in codec.STATUS_TEXT


@settings(deadline=None)
@given(
    command=st.sampled_from(list(Command)),
    data=st.binary(max_size=300),
    garbage=st.binary(max_size=40),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=6),
)
def test_decoder_resyncs_and_reassembles(
    command: int, data: bytes, garbage: bytes, cuts: list[int]
) -> None:
    frame = codec.encode_command(command, data)
    stream = garbage.replace(codec.PREAMBLE[:1], b"") + frame
    decoder = FrameDecoder(min_len=2)
    out = []
    last = 0
    for cut in [*sorted(c % (len(stream) + 1) for c in cuts), len(stream)]:
        out += decoder.feed(stream[last:cut])
        last = cut
    assert out[-1:] == [Frame(frame[7:-1])]
    assert isinstance(out[-1], Frame)
    assert out[-1].command == command


@settings(deadline=None)
@given(st.binary(min_size=1, max_size=50), st.integers(min_value=0, max_value=255))
def test_corrupted_checksum_is_reported(data: bytes, flip: int) -> None:
    frame = bytearray(codec.encode_response(Status.OK, data))
    frame[-1] ^= flip or 1
    assert FrameDecoder().feed(bytes(frame)) == [BadFrame(Status.BAD_CHECKSUM)]


def test_sam_id_format() -> None:
    data = _hex("0500 0100 E8030000 15CD5B07 A1B2C300")
    assert codec.format_sam_id(data) == "05.01-1000-123456789-012825249"


@pytest.mark.parametrize(
    "number",
    ["11010519491231002X", "440524188001010014", "360426199101010071", "110101200001010010"],
)
def test_check_digit_vectors(number: str) -> None:
    assert idnumber.is_valid(number)
    assert not idnumber.is_valid(number[:17] + ("1" if number[17] != "1" else "2"))


def test_mask() -> None:
    assert idnumber.mask("11010519491231002X") == "110105********002X"


def test_tables() -> None:
    assert GENDERS == {"0": "未知", "1": "男", "2": "女", "9": "未说明"}
    assert (NATIONS["01"], NATIONS["05"], NATIONS["46"], NATIONS["56"]) == (
        "汉",
        "维吾尔",
        "德昂",
        "基诺",
    )
    assert len(NATIONS) == 58


def test_resident_block_layout() -> None:
    card = samples.resident(5)
    block = cardtext.encode_text(card)
    assert len(block) == 256
    assert block[248:250] == b" \x00"
    assert block[0:4] == "李小".encode("utf-16-le")
    assert block[30:32] == "2".encode("utf-16-le")
    assert block[122:158] == card.id_number.encode("utf-16-le")


def test_long_term_validity_and_expiry() -> None:
    forever = samples.resident(0)
    assert forever.valid_to == "长期"
    block = cardtext.encode_text(forever)
    assert block[204:208] == bytes.fromhex("7F951F67")
    assert cardtext.decode_text(block, dt.date(2999, 1, 1)).expired is False
    expired = cardtext.decode_text(cardtext.encode_text(samples.hmt_permit()), dt.date(2025, 1, 1))
    assert expired.expired is True


def test_bad_check_digit_is_a_data_error() -> None:
    card = samples.resident(1)
    broken = dataclasses.replace(card, id_number=card.id_number[:17] + "0")
    if idnumber.is_valid(broken.id_number):
        broken = dataclasses.replace(card, id_number=card.id_number[:17] + "1")
    with pytest.raises(CardDataError, match="invalid_id_number"):
        cardtext.decode_text(cardtext.encode_text(broken))


def test_unknown_flag_and_codes() -> None:
    block = bytearray(cardtext.encode_text(samples.resident(1)))
    block[248:250] = "Z".encode("utf-16-le")
    with pytest.raises(CardDataError):
        cardtext.decode_text(bytes(block))
    block = bytearray(cardtext.encode_text(samples.resident(1)))
    block[32:36] = "77".encode("utf-16-le")
    with pytest.raises(CardDataError):
        cardtext.decode_text(bytes(block))


_HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
_RARE = st.sampled_from(["䶮", "𠀋", "鿫"])


def _text(max_len: int, alphabet: st.SearchStrategy[str] = _HAN) -> st.SearchStrategy[str]:
    return st.text(alphabet, min_size=1, max_size=max_len)


_DATES = st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31)).map(dt.date.isoformat)
_DIGITS = st.text("0123456789", min_size=2, max_size=2)
_NUM8 = st.text("0123456789", min_size=8, max_size=8)


@st.composite
def _ids(draw: st.DrawFn, region: str | None = None) -> str:
    first = region or draw(st.text("0123456789", min_size=6, max_size=6))
    birth = draw(st.dates(dt.date(1900, 1, 1), dt.date(2099, 1, 1))).strftime("%Y%m%d")
    return samples.id_number(first, birth, draw(st.integers(0, 999)))


@st.composite
def cards(draw: st.DrawFn) -> CardData:
    kind = draw(st.sampled_from(["resident", "J", "I", "Y"]))
    base = {
        "name": draw(_text(7, st.one_of(_HAN, _RARE))),
        "gender": draw(st.sampled_from(list(GENDERS.values()))),
        "birth": draw(_DATES),
        "valid_from": draw(_DATES),
        "valid_to": draw(st.one_of(_DATES, st.just("长期"))),
    }
    latin = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ ,-", min_size=1).map(str.strip).filter(bool)
    if kind == "resident":
        return CardData(
            card_type="resident",
            nation=draw(st.sampled_from(list(NATIONS.values()))),
            address=draw(_text(35)),
            id_number=draw(_ids()),
            authority=draw(_text(15)),
            **base,
        )
    if kind == "J":
        return CardData(
            card_type="hmt_residence",
            address=draw(_text(35)),
            id_number=draw(_ids(draw(st.sampled_from(["810000", "820000", "830000"])))),
            authority=draw(_text(15)),
            pass_number="H" + draw(_NUM8),
            issue_count=draw(_DIGITS),
            **base,
        )
    if kind == "I":
        return CardData(
            card_type="foreign_permanent",
            layout="2017",
            english_name=draw(latin.filter(lambda s: len(s) <= 60)),
            id_number="USA" + draw(st.text("0123456789", min_size=12, max_size=12)),
            nationality="USA",
            card_version=draw(_DIGITS),
            authority="1100",
            **base,
        )
    return CardData(
        card_type="foreign_permanent",
        layout="2023",
        english_name=draw(latin.filter(lambda s: len(s) <= 46)),
        id_number=draw(_ids("911101")),
        nationality="GBR",
        renewal_count=draw(_DIGITS),
        previous_link="000",
        **base,
    )


@settings(deadline=None)
@given(cards())
def test_text_block_round_trip(card: CardData) -> None:
    block = cardtext.encode_text(card)
    assert len(block) == 256
    assert cardtext.decode_text(block) == card


@settings(deadline=None)
@given(cards())
def test_json_round_trip(card: CardData) -> None:
    assert CardData.from_json(card.to_json()) == card
    for key in ("card_type", "name", "gender", "nation", "birth", "address", "id_number",
                "authority", "valid_from", "valid_to", "expired"):  # fmt: skip
        assert key in card.to_json()
