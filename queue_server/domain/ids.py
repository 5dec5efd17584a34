"""Identity document numbers: parsing, check digits, masking and ages.

Accepted numbers (layouts from GB 11643-1999 and the National Immigration Administration's
machine-readable rules for permanent residence cards):

* ``resident`` - 18 characters: 6-digit address code (first two digits a mainland province),
  birth date YYYYMMDD, 3-digit sequence, ISO 7064 MOD 11-2 check character (``0-9`` or ``X``).
* ``hmt_residence`` - Hong Kong / Macao / Taiwan residence permits: the same 18-character
  layout with address code 810000 / 820000 / 830000.
* ``foreign_permanent`` (2023 card) - 18 characters starting with ``9`` (then the accepting
  province, a 3-digit numeric nationality code), birth date YYYYMMDD at the same place as a
  resident number, and the same check character.
* ``foreign_permanent`` (2017 card and earlier) - 15 characters: 3-letter nationality code
  (ISO 3166-1 alpha-3), 4-digit accepting-office code, birth date YYMMDD, two more
  characters. Its last character is not checked: no published rule for it was verifiable.

Nothing here reads a clock, so a birth date is only checked to be a real calendar date not
before 1900-01-01; whether it lies in the future is for the caller, who owns the clock.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class IdKind(StrEnum):
    """Which document a number belongs to."""

    RESIDENT = "resident"
    FOREIGN_PERMANENT = "foreign_permanent"
    HMT_RESIDENCE = "hmt_residence"


@dataclass(frozen=True)
class IdNumber:
    """A validated, normalised document number."""

    value: str
    kind: IdKind
    birth: date | None


class InvalidIdNumber(ValueError):
    """A number that cannot be a valid document number.

    ``reason`` is a short machine code: ``length``, ``characters``, ``check_digit``,
    ``region`` or ``birth_date``; the message is a sentence a clerk can read.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


_CHECK_CHARS = "10X98765432"
# Weight of position i (0-based, left to right) is 2**(17 - i) mod 11 (ISO 7064 MOD 11-2).
_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_HMT_PREFIXES = ("810000", "820000", "830000")
# First two digits of mainland address codes (GB/T 2260 provinces).
_PROVINCES = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
    }
)  # fmt: skip
_EIGHTEEN = re.compile(r"[0-9]{17}[0-9X]")
_FIFTEEN_FOREIGN = re.compile(r"[A-Z]{3}[0-9]{12}")
_FIFTEEN_DIGITS = re.compile(r"[0-9]{15}")
_EARLIEST_BIRTH = date(1900, 1, 1)
# The last 15-character cards were issued in November 2023, so a two-digit birth year up to
# 23 can only mean 20xx for a living card holder; 24..99 mean 19xx. (People born 1900-1923
# with such a card would read as 2000-2023; the card chip carries the full year.)
_LAST_15_CHAR_YEAR = 23

_COMPOUND_SURNAMES = frozenset(
    {
        "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙",
        "慕容", "令狐", "长孙", "宇文", "司徒", "夏侯", "端木", "独孤",
    }
)  # fmt: skip
_KEPT_IN_NAMES = frozenset({" ", "·", "•", "-"})
_MAINLAND_MOBILE = re.compile(r"1[0-9]{10}")


def normalise_id_number(text: str) -> str:
    """Fold full-width characters, drop all whitespace and upper-case the letters.

    Kiosk keyboards and pasted text produce ``１１０１０５…ｘ`` or ``110105 1949…``; all mean
    the same number.
    """
    folded = unicodedata.normalize("NFKC", text)
    return "".join(folded.split()).upper()


def check_digit(first17: str) -> str:
    """The GB 11643 check character (``0``-``9`` or ``X``) for 17 leading digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("check_digit needs exactly 17 ASCII digits")
    total = sum(int(ch) * weight for ch, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def parse_id_number(text: str) -> IdNumber:
    """Validate and normalise a typed or read document number.

    Raises ``InvalidIdNumber`` with the first problem found.
    """
    value = normalise_id_number(text)
    if len(value) == 18:
        return _parse_eighteen(value)
    if len(value) == 15:
        return _parse_fifteen(value)
    raise InvalidIdNumber("length", f"an ID number has 18 characters, this one has {len(value)}")


def _parse_eighteen(value: str) -> IdNumber:
    if not _EIGHTEEN.fullmatch(value):
        raise InvalidIdNumber(
            "characters", "an 18-character ID number is 17 digits followed by a digit or X"
        )
    if check_digit(value[:17]) != value[17]:
        raise InvalidIdNumber("check_digit", "the last character does not match (check digit)")
    kind = _kind_of_eighteen(value)
    birth = _birth_date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    return IdNumber(value=value, kind=kind, birth=birth)


def _kind_of_eighteen(value: str) -> IdKind:
    if value.startswith(_HMT_PREFIXES):
        return IdKind.HMT_RESIDENCE
    if value.startswith("9"):
        return IdKind.FOREIGN_PERMANENT
    if value[:2] not in _PROVINCES:
        raise InvalidIdNumber("region", f"no province has the address code {value[:6]}")
    return IdKind.RESIDENT


def _parse_fifteen(value: str) -> IdNumber:
    if _FIFTEEN_DIGITS.fullmatch(value):
        raise InvalidIdNumber(
            "length", "15-digit first-generation numbers are no longer valid; use the 18-digit one"
        )
    if not _FIFTEEN_FOREIGN.fullmatch(value):
        raise InvalidIdNumber(
            "characters", "a 15-character permanent residence number is 3 letters and 12 digits"
        )
    two_digit_year = int(value[7:9])
    century = 2000 if two_digit_year <= _LAST_15_CHAR_YEAR else 1900
    birth = _birth_date(century + two_digit_year, int(value[9:11]), int(value[11:13]))
    return IdNumber(value=value, kind=IdKind.FOREIGN_PERMANENT, birth=birth)


def _birth_date(year: int, month: int, day: int) -> date:
    try:
        birth = date(year, month, day)
    except ValueError:
        raise InvalidIdNumber(
            "birth_date", f"{year:04d}-{month:02d}-{day:02d} is not a calendar date"
        ) from None
    if birth < _EARLIEST_BIRTH:
        raise InvalidIdNumber("birth_date", f"birth date {birth.isoformat()} is before 1900")
    return birth


def mask_id_number(value: str, keep_head: int = 6, keep_tail: int = 4) -> str:
    """Replace the middle of a number by ``*``, keeping its length.

    A value too short to keep both ends is masked completely: showing all of it would defeat
    the purpose.
    """
    if keep_head < 0 or keep_tail < 0:
        raise ValueError("keep_head and keep_tail must not be negative")
    text = value.strip()
    hidden = len(text) - keep_head - keep_tail
    if hidden <= 0:
        return "*" * len(text)
    return text[:keep_head] + "*" * hidden + text[len(text) - keep_tail :]


def mask_name(name: str) -> str:
    """Keep the surname (or the first letter) and hide the rest, one ``*`` per character.

    ``张三`` -> ``张*``, ``欧阳娜娜`` -> ``欧阳**``, ``John Smith`` -> ``J*** *****``.
    Spaces and the middle dot of transcribed names stay, so the shape remains readable.
    """
    text = name.strip()
    keep = 2 if len(text) > 2 and text[:2] in _COMPOUND_SURNAMES else 1
    tail = "".join(ch if ch in _KEPT_IN_NAMES else "*" for ch in text[keep:])
    return text[:keep] + tail


def mask_phone(phone: str) -> str:
    """``138****5678`` for an 11-digit mainland mobile number; otherwise only the last 2 stay."""
    text = "".join(ch for ch in phone if ch not in " -")
    if _MAINLAND_MOBILE.fullmatch(text):
        return text[:3] + "****" + text[7:]
    if len(text) <= 2:
        return "*" * len(text)
    return "*" * (len(text) - 2) + text[-2:]


def age_on(birth: date, on: date) -> int:
    """Age in full years (周岁) on a day; a 29 February birthday counts from 1 March."""
    if on < birth:
        raise ValueError("the day is before the birth date")
    before_birthday = (on.month, on.day) < (birth.month, birth.day)
    return on.year - birth.year - int(before_birthday)
