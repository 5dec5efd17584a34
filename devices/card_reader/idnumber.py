"""GB 11643-1999 citizen identity number check digit (ISO 7064 MOD 11-2).

The same rule covers HK/Macao/Taiwan residence-permit numbers (810000…,
820000…, 830000…) and the 18-character 2023 foreigner numbers.
"""

from __future__ import annotations

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_digit(first17: str) -> str:
    """The 18th character for the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit() or not first17.isascii():
        raise ValueError("expected 17 ASCII digits")
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def is_valid(number: str) -> bool:
    """Whether an 18-character number has the right check digit (``x`` accepted)."""
    if len(number) != 18:
        return False
    try:
        return check_digit(number[:17]) == number[17].upper()
    except ValueError:
        return False


def mask(number: str, head: int = 6, tail: int = 4) -> str:
    """``110105********002X``: for logs and screens, never the full number."""
    if len(number) <= head + tail:
        return "*" * len(number)
    return number[:head] + "*" * (len(number) - head - tail) + number[-tail:]
