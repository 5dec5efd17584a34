"""A GA/T 467 reader simulator that answers the same bytes a reader does."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, fields, replace
from typing import Any

from devices.card_reader import codec
from devices.card_reader.cardtext import TEXT_LEN, encode_text
from devices.card_reader.codec import BadFrame, Command, FrameDecoder, Status
from devices.card_reader.model import CardData
from devices.card_reader.protocol import ADDRESS_LEN, PHOTO_LEN
from devices.card_reader.samples import wlt_blob
from devices.sim.base import SimDevice

SAM_ID = bytes.fromhex("05000100E803000015CD5B07A1B2C300")
_DATA_LEN = {Command.SET_MAX_RF_BYTES: 1}


@dataclass
class CardReaderSimConfig:
    """Timing and fault knobs (seconds; see docs/devices.md)."""

    find_latency: float = 0.01
    select_latency: float = 0.01
    read_latency: float = 0.2
    other_latency: float = 0.005
    chunk_size: int = 64
    chunk_gap: float = 0.0
    rearm_requires_lift: bool = True
    unreadable: bool = False
    pull_mid_read: bool = False
    sam_fault: bool = False
    bad_checksum_next: int = 0
    silent: bool = False


class CardReaderSimulator(SimDevice):
    """State machine of a reader: SAM health, the card on the antenna, selection."""

    kind = "card-reader"

    def __init__(
        self, config: CardReaderSimConfig | None = None, card: CardData | None = None
    ) -> None:
        super().__init__()
        self.config = replace(config) if config else CardReaderSimConfig()
        self.changed = threading.Condition(self.lock)
        self._decoder = FrameDecoder(min_len=2, max_len=0x100)
        self._card = card
        self._selected = False
        self._latched = False
        self.finds = 0
        self.reads_served = 0
        self.found_at = 0.0
        self.read_log: deque[tuple[str, float]] = deque(maxlen=10_000)

    @property
    def card(self) -> CardData | None:
        return self._card

    def place(self, card: CardData) -> None:
        """Put a card on the antenna (replacing any other)."""
        with self.changed:
            self._card, self._selected, self._latched = card, False, False
            self.changed.notify_all()

    def remove(self) -> None:
        """Lift the card."""
        with self.changed:
            self._card, self._selected, self._latched = None, False, False
            self.changed.notify_all()

    def receive(self, data: bytes) -> None:
        with self.changed:
            for item in self._decoder.feed(data):
                if isinstance(item, BadFrame):
                    self._answer(item.status, latency=self.config.other_latency)
                else:
                    self._dispatch(item.command, item.data(2))
            self.changed.notify_all()

    def _answer(self, sw3: int, data: bytes = b"", latency: float = 0.0) -> None:
        if self.config.silent:
            return
        frame = bytearray(codec.encode_response(sw3, data))
        if self.config.bad_checksum_next > 0:
            self.config.bad_checksum_next -= 1
            frame[-1] ^= 0xFF
        self.emit_chunks(bytes(frame), latency, self.config.chunk_size, self.config.chunk_gap)

    def _dispatch(self, command: int, data: bytes) -> None:
        try:
            cmd = Command(command)
        except ValueError:
            self._answer(Status.BAD_COMMAND, latency=self.config.other_latency)
            return
        if len(data) != _DATA_LEN.get(cmd, 0):
            self._answer(Status.BAD_LENGTH, latency=self.config.other_latency)
            return
        handler = getattr(self, f"_on_{cmd.name.lower()}")
        handler()

    def _on_reset(self) -> None:
        self._selected = self._latched = False
        self._answer(Status.OK, latency=self.config.other_latency)

    def _on_sam_status(self) -> None:
        status = Status.SAM_SELF_TEST_FAILED if self.config.sam_fault else Status.OK
        self._answer(status, latency=self.config.other_latency)

    def _on_sam_id(self) -> None:
        self._answer(Status.OK, SAM_ID, latency=self.config.other_latency)

    def _on_set_max_rf_bytes(self) -> None:
        self._answer(Status.OK, latency=self.config.other_latency)

    def _on_find(self) -> None:
        self.finds += 1
        if self._card is None or self._latched:
            self._answer(Status.FIND_FAILED, latency=self.config.find_latency)
            return
        self.found_at = time.monotonic()
        self._answer(Status.FOUND, bytes(4), latency=self.config.find_latency)

    def _on_select(self) -> None:
        if self._card is None or self._latched:
            self._answer(Status.SELECT_FAILED, latency=self.config.select_latency)
            return
        self._selected = True
        self._answer(Status.OK, bytes(8), latency=self.config.select_latency)

    def _card_blocks(self) -> tuple[bytes, bytes, bytes] | None:
        """Text, photo and fingerprint of the selected card, or None after a failure."""
        latency = self.config.read_latency
        if self._card is None or not self._selected or self.config.unreadable:
            self._answer(Status.READ_FAILED, latency=latency)
            return None
        if self.config.pull_mid_read:
            self.config.pull_mid_read = False
            self._card = None
            self._answer(Status.READ_FAILED, latency=latency)
            return None
        card = self._card
        self._selected = False
        self._latched = self.config.rearm_requires_lift
        self.reads_served += 1
        self.read_log.append((card.id_number, self.found_at))
        photo = card.photo or wlt_blob(card.id_number)
        return encode_text(card), photo, card.fingerprint

    def _on_read_text_photo(self) -> None:
        blocks = self._card_blocks()
        if blocks is not None:
            text, photo, _ = blocks
            head = TEXT_LEN.to_bytes(2, "big") + PHOTO_LEN.to_bytes(2, "big")
            self._answer(Status.OK, head + text + photo, latency=self.config.read_latency)

    def _on_read_with_fingerprint(self) -> None:
        blocks = self._card_blocks()
        if blocks is not None:
            text, photo, fp = blocks
            head = b"".join(len(part).to_bytes(2, "big") for part in (text, photo, fp))
            self._answer(Status.OK, head + text + photo + fp, latency=self.config.read_latency)

    def _on_read_new_address(self) -> None:
        card = self._card
        if card is None or not card.new_address:
            self._answer(Status.NO_CONTENT, latency=self.config.other_latency)
            return
        encoded = card.new_address.encode("utf-16-le")[:ADDRESS_LEN]
        data = encoded + " ".encode("utf-16-le") * ((ADDRESS_LEN - len(encoded)) // 2)
        self._answer(Status.OK, data, latency=self.config.other_latency)

    def control(self, command: dict[str, Any]) -> dict[str, Any]:
        """``place`` (with ``card``), ``remove``, ``set`` (knobs) or ``state``."""
        action = command.get("cmd")
        if action == "place":
            self.place(CardData.from_json(command["card"]))
        elif action == "remove":
            self.remove()
        elif action == "set":
            self.set_knobs({k: v for k, v in command.items() if k != "cmd"})
        elif action != "state":
            raise ValueError(f"unknown command {action!r}")
        with self.lock:
            return {"ok": True, "card_present": self._card is not None, "reads": self.reads_served}

    def set_knobs(self, knobs: dict[str, Any]) -> None:
        """Change fault knobs by name; unknown names raise ValueError."""
        names = {f.name: f.type for f in fields(CardReaderSimConfig)}
        with self.lock:
            for key, value in knobs.items():
                if key not in names:
                    raise ValueError(f"unknown knob {key!r}")
                setattr(self.config, key, value)
