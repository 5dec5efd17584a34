"""Synthetic people for the simulator panel, the tests and the benchmark (nobody real)."""

from __future__ import annotations

from datetime import date
from typing import Any

from kiosk.idcheck import check_character


def id_number(birth: date, serial: int, region: str = "330106") -> str:
    """A check-digit-valid resident number for ``birth``."""
    first17 = f"{region}{birth:%Y%m%d}{serial % 1000:03d}"
    return first17 + check_character(first17)


def card(name: str, birth: date, serial: int, gender: str = "男") -> dict[str, Any]:
    """A resident card as ``devices.CardData.from_json`` reads it."""
    return {
        "card_type": "resident",
        "name": name,
        "gender": gender,
        "nation": "汉",
        "birth": birth.isoformat(),
        "address": "浙江省杭州市西湖区示例路1号",
        "id_number": id_number(birth, serial),
        "authority": "杭州市公安局西湖分局",
        "valid_from": "2020-01-01",
        "valid_to": "2040-01-01",
        "expired": False,
    }


PEOPLE: dict[str, dict[str, Any]] = {
    "adult": card("张三", date(1988, 5, 17), 11),
    "elder": card("王秀英", date(1941, 3, 2), 24, "女"),
    "young": card("李小龙", date(2001, 11, 30), 35),
}
"""The people the simulator panel can place on the reader."""
