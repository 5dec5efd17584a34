"""What a card read yields: one dataclass for every card type."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

CARD_TYPES = ("resident", "foreign_permanent", "hmt_residence")
BASE_KEYS = (
    "card_type",
    "name",
    "gender",
    "nation",
    "birth",
    "address",
    "id_number",
    "authority",
    "valid_from",
    "valid_to",
    "expired",
)
_BINARY = {"photo", "fingerprint"}


@dataclass(frozen=True, slots=True, repr=False)
class CardData:
    """The machine-readable data of one identity card.

    Fields the card type does not carry are ``None``. ``photo`` is the 1024-byte
    WLT blob: opaque (no open decoder exists), never logged, never stored, and
    left out of :meth:`to_json`. ``repr()`` shows only the type and a masked number.
    """

    card_type: str
    name: str
    gender: str
    birth: str
    id_number: str
    valid_from: str
    valid_to: str
    nation: str | None = None
    address: str | None = None
    authority: str | None = None
    expired: bool = False
    english_name: str | None = None
    nationality: str | None = None
    pass_number: str | None = None
    issue_count: str | None = None
    layout: str | None = None
    card_version: str | None = None
    renewal_count: str | None = None
    previous_link: str | None = None
    new_address: str | None = None
    photo: bytes = field(default=b"", repr=False, compare=False)
    fingerprint: bytes = field(default=b"", repr=False, compare=False)

    def __repr__(self) -> str:
        """Masked, so a card that ends up in a log or traceback does not leak who it is."""
        number = self.id_number
        masked = number[:6] + "*" * max(len(number) - 10, 0) + number[-4:]
        kind = self.card_type
        return f"CardData(card_type={kind!r}, id_number={masked!r}, expired={self.expired})"

    def to_json(self) -> dict[str, Any]:
        """The ``read-card --json`` object: base keys always, others when present."""
        values = asdict(self)
        out = {key: values[key] for key in BASE_KEYS}
        for key, value in values.items():
            if key not in out and key not in _BINARY and value is not None:
                out[key] = value
        return out

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> CardData:
        """Rebuild a card from :meth:`to_json` output (``expired`` is recomputed on read)."""
        known = {f.name for f in fields(cls)} - _BINARY
        unknown = set(obj) - known
        if unknown:
            raise ValueError(f"unknown card keys: {sorted(unknown)}")
        if obj.get("card_type") not in CARD_TYPES:
            raise ValueError(f"card_type must be one of {CARD_TYPES}")
        return cls(**obj)
