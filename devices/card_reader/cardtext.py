"""The 256-byte text block (GA 490): decode and encode every card layout.

UCS-2 little-endian, each field padded with U+0020. The character at byte 248
selects the layout: ``' '`` resident card, ``'J'`` HK/Macao/Taiwan residence
permit, ``'I'`` 2017 and ``'Y'`` 2023 foreigner's permanent residence card.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from devices.card_reader import idnumber
from devices.card_reader.model import CardData
from devices.card_reader.tables import GENDER_CODES, GENDERS, LONG_TERM, NATION_CODES, NATIONS
from devices.errors import CardDataError

TEXT_LEN = 256
FLAG_OFFSET = 248

_COMMON_TAIL = [("valid_from", 188, 16), ("valid_to", 204, 16)]
LAYOUTS: dict[str, list[tuple[str, int, int]]] = {
    " ": [
        ("name", 0, 30), ("gender", 30, 2), ("nation", 32, 4), ("birth", 36, 16),
        ("address", 52, 70), ("id_number", 122, 36), ("authority", 158, 30),
        *_COMMON_TAIL,
    ],
    "J": [
        ("name", 0, 30), ("gender", 30, 2), ("birth", 36, 16), ("address", 52, 70),
        ("id_number", 122, 36), ("authority", 158, 30), *_COMMON_TAIL,
        ("pass_number", 220, 18), ("issue_count", 238, 4),
    ],
    "I": [
        ("english_name", 0, 120), ("gender", 120, 2), ("id_number", 122, 30),
        ("nationality", 152, 6), ("name", 158, 30), *_COMMON_TAIL,
        ("birth", 220, 16), ("card_version", 236, 4), ("authority", 240, 8),
    ],
    "Y": [
        ("name", 0, 30), ("gender", 30, 2), ("renewal_count", 32, 4), ("birth", 36, 16),
        ("english_name", 52, 70), ("id_number", 122, 36), *_COMMON_TAIL,
        ("english_name_2", 220, 22), ("nationality", 242, 6), ("previous_link", 250, 6),
    ],
}  # fmt: skip
_TYPE_OF_FLAG = {
    " ": ("resident", None),
    "J": ("hmt_residence", None),
    "I": ("foreign_permanent", "2017"),
    "Y": ("foreign_permanent", "2023"),
}
_FLAG_OF_TYPE = {value: flag for flag, value in _TYPE_OF_FLAG.items()}
_Y_NAME_PART1 = 35


def _decode_date(raw: str, what: str) -> str:
    try:
        return dt.datetime.strptime(raw, "%Y%m%d").date().isoformat()
    except ValueError as err:
        raise CardDataError(f"{what} is not a date: {raw!r}") from err


def _encode_date(value: str) -> str:
    if value == LONG_TERM:
        return value
    return dt.date.fromisoformat(value).strftime("%Y%m%d")


def _raw_fields(block: bytes, flag: str) -> dict[str, str]:
    raw = {}
    for name, offset, length in LAYOUTS[flag]:
        chunk = block[offset : offset + length]
        raw[name] = chunk.decode("utf-16-le", errors="replace")
    if "english_name_2" in raw:
        raw["english_name"] += raw.pop("english_name_2")
    return {key: value.rstrip(" \x00") for key, value in raw.items()}


def _check_id(card_type: str, layout: str | None, number: str) -> None:
    if card_type == "foreign_permanent" and layout == "2017":
        return
    if not idnumber.is_valid(number):
        raise CardDataError(f"invalid_id_number: {idnumber.mask(number)}")


def decode_text(block: bytes, today: dt.date | None = None) -> CardData:
    """Parse a text block; ``expired`` is computed against ``today`` when given."""
    if len(block) != TEXT_LEN:
        raise CardDataError(f"text block is {len(block)} bytes, expected {TEXT_LEN}")
    flag = block[FLAG_OFFSET : FLAG_OFFSET + 2].decode("utf-16-le", errors="replace")
    if flag not in _TYPE_OF_FLAG:
        raise CardDataError(f"unknown card type flag {flag!r}")
    card_type, layout = _TYPE_OF_FLAG[flag]
    raw: dict[str, Any] = _raw_fields(block, flag)
    if raw["gender"] not in GENDERS:
        raise CardDataError(f"unknown gender code {raw['gender']!r}")
    raw["gender"] = GENDERS[raw["gender"]]
    if "nation" in raw:
        if raw["nation"] not in NATIONS:
            raise CardDataError(f"unknown nation code {raw['nation']!r}")
        raw["nation"] = NATIONS[raw["nation"]]
    raw["birth"] = _decode_date(raw["birth"], "birth")
    raw["valid_from"] = _decode_date(raw["valid_from"], "valid_from")
    if raw["valid_to"] != LONG_TERM:
        raw["valid_to"] = _decode_date(raw["valid_to"], "valid_to")
    _check_id(card_type, layout, raw["id_number"])
    card = CardData(card_type=card_type, layout=layout, **raw)
    return replace(card, expired=is_expired(card, today)) if today else card


def is_expired(card: CardData, today: dt.date) -> bool:
    """Whether the card's validity ended before ``today`` ("长期" never ends)."""
    if card.valid_to == LONG_TERM:
        return False
    return dt.date.fromisoformat(card.valid_to) < today


def _put(block: bytearray, offset: int, length: int, text: str, name: str) -> None:
    data = text.encode("utf-16-le")
    if len(data) > length:
        raise ValueError(f"{name} is too long for its {length}-byte field")
    block[offset : offset + length] = data + " ".encode("utf-16-le") * ((length - len(data)) // 2)


def _encode_values(card: CardData, flag: str) -> dict[str, str]:
    values: dict[str, Any] = card.to_json()
    values["gender"] = GENDER_CODES[card.gender]
    if flag == " ":
        values["nation"] = NATION_CODES[card.nation or ""]
    for key in ("birth", "valid_from", "valid_to"):
        values[key] = _encode_date(values[key])
    if flag == "Y":
        name = card.english_name or ""
        values["english_name"] = name[:_Y_NAME_PART1].ljust(_Y_NAME_PART1)
        values["english_name_2"] = name[_Y_NAME_PART1:]
    return values


def encode_text(card: CardData) -> bytes:
    """Build the 256-byte block a card carries (used by the simulator)."""
    flag = _FLAG_OF_TYPE.get((card.card_type, card.layout))
    if flag is None:
        raise ValueError(f"no layout for {card.card_type}/{card.layout}")
    try:
        values = _encode_values(card, flag)
    except KeyError as err:
        raise ValueError(f"no code for {err.args[0]!r}") from err
    block = bytearray(" ".encode("utf-16-le") * (TEXT_LEN // 2))
    for name, offset, length in LAYOUTS[flag]:
        value = values.get(name)
        if value is None:
            raise ValueError(f"{name} is required for a {card.card_type} card")
        _put(block, offset, length, str(value), name)
    block[FLAG_OFFSET : FLAG_OFFSET + 2] = flag.encode("utf-16-le")
    return bytes(block)
