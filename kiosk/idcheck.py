"""Checking an ID number while it is typed on the kiosk keypad, and ages for the green channel.

The server checks again; this is for immediate feedback under the citizen's finger:
``check_partial`` says, after every key, whether what is there can still become a valid
number (GB 11643-1999 layout, ISO 7064 MOD 11-2 check character).
"""

from __future__ import annotations

from datetime import date

_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHECK = "10X98765432"
LENGTH = 18


def check_character(first17: str) -> str:
    """The 18th character for 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def birth_date(number: str) -> date | None:
    """The birth date of an 18-character number (None when the digits are not a date)."""
    if len(number) < 14 or not number[6:14].isdigit():
        return None
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None
    return born if born.year >= 1900 else None


def check_partial(text: str) -> str:
    """``typing``, ``ok``, or why the digits typed so far cannot be a number.

    Reasons: ``characters`` (only digits, and X last), ``region`` (no province starts
    with 0), ``birth_date`` (not a real date), ``check_digit`` (18 characters, wrong last one).
    """
    text = text.upper()
    if len(text) > LENGTH:
        return "length"
    body, last = text[:17], text[17:]
    if not body.isdigit() and body:
        return "characters"
    if last and last not in "0123456789X":
        return "characters"
    if text[:1] == "0":
        return "region"
    if len(text) >= 14 and birth_date(text) is None:
        return "birth_date"
    if len(text) == LENGTH:
        return "ok" if check_character(body) == last else "check_digit"
    return "typing"


def age_on(born: date, today: date) -> int:
    """Completed years on ``today``."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def mask_name(name: str) -> str:
    """``张*``, ``欧阳**``: the first character only (two for a four-character name)."""
    name = name.strip()
    if not name:
        return ""
    keep = 2 if len(name) >= 4 else 1
    return name[:keep] + "*" * (len(name) - keep)
