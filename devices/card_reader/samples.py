"""Synthetic people for simulators, demos and tests (no real person's data)."""

from __future__ import annotations

import hashlib

from devices.card_reader.idnumber import check_digit
from devices.card_reader.model import CardData
from devices.card_reader.protocol import PHOTO_LEN

WLT_HEADER = bytes.fromhex("574C66007E00320000FF")


def wlt_blob(seed: str) -> bytes:
    """A 1024-byte blob shaped like a WLT photo (header + deterministic noise)."""
    out = bytearray(WLT_HEADER)
    counter = 0
    while len(out) < PHOTO_LEN:
        out += hashlib.sha256(f"{seed}/{counter}".encode()).digest()
        counter += 1
    return bytes(out[:PHOTO_LEN])


def id_number(region: str, birth: str, serial: int) -> str:
    """A check-digit-valid 18-character number: region (6), YYYYMMDD, serial (3)."""
    first17 = f"{region}{birth}{serial % 1000:03d}"
    return first17 + check_digit(first17)


def resident(index: int = 0) -> CardData:
    """The ``index``-th synthetic resident card; each index has its own number."""
    birth = f"{1950 + index % 50}{1 + index % 12:02d}{1 + index % 28:02d}"
    return CardData(
        card_type="resident",
        name="张三" if index % 2 == 0 else "李小龙",
        gender="男" if index % 2 == 0 else "女",
        nation="汉" if index % 3 else "维吾尔",
        birth=f"{birth[:4]}-{birth[4:6]}-{birth[6:]}",
        address="北京市东城区东长安街1号",
        id_number=id_number("110101", birth, index),
        authority="北京市公安局东城分局",
        valid_from="2020-01-01",
        valid_to="2040-01-01" if index % 5 else "长期",
    )


def foreign_2017() -> CardData:
    """A 2017-layout foreigner's permanent residence card."""
    return CardData(
        card_type="foreign_permanent",
        layout="2017",
        name="玛丽",
        english_name="SMITH, MARY JANE",
        gender="女",
        id_number="USA110090101012",
        nationality="USA",
        birth="1990-01-01",
        valid_from="2017-06-01",
        valid_to="2027-06-01",
        card_version="01",
        authority="1100",
    )


def foreign_2023() -> CardData:
    """A 2023-layout foreigner's permanent residence card."""
    return CardData(
        card_type="foreign_permanent",
        layout="2023",
        name="约翰",
        english_name="WILLIAMSON-HARGREAVES, JONATHAN ALEXANDER",
        gender="男",
        renewal_count="00",
        id_number=id_number("911101", "19850315", 7),
        nationality="GBR",
        birth="1985-03-15",
        valid_from="2023-12-01",
        valid_to="2033-12-01",
        previous_link="000",
    )


def hmt_permit() -> CardData:
    """A Hong Kong resident's residence permit."""
    return CardData(
        card_type="hmt_residence",
        name="陈大文",
        gender="男",
        birth="1980-08-08",
        address="广东省深圳市福田区福华路1号",
        id_number=id_number("810000", "19800808", 12),
        authority="深圳市公安局",
        valid_from="2019-01-01",
        valid_to="2024-01-01",
        pass_number="H12345678",  # noqa: S106 - a permit number, not a secret
        issue_count="01",
    )
