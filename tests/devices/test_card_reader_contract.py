"""One suite for the card reader: simulator, recorded replay, and (opt-in) hardware."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os

import pytest

from devices.card_reader import codec, samples
from devices.card_reader.codec import Command
from devices.card_reader.protocol import SamProtocol, Timeouts
from devices.card_reader.reader import CardReader
from devices.errors import (
    CardReadFailed,
    CardSelectFailed,
    FrameRejected,
    ProtocolError,
    SamFault,
)
from tests.devices.conftest import Rig

TODAY = dt.date(2025, 6, 1)
CARD = dataclasses.replace(samples.resident(7), new_address="北京市西城区西长安街2号")
FAST = Timeouts(short=0.5, find=0.5, read=1.0, fingerprint=1.0)


def _card_on_real_reader(rig: Rig, wanted: bool) -> None:
    """On hardware, ONEVISIT_HW_CARD_PRESENT=1 says a test card lies on the reader."""
    present = os.environ.get("ONEVISIT_HW_CARD_PRESENT") == "1"
    if rig.backend == "hardware" and present != wanted:
        pytest.skip("needs a card on the reader" if wanted else "needs an empty reader")


def _protocol(rig: Rig) -> SamProtocol:
    rig.transport.open()
    return SamProtocol(rig.transport, FAST)


def test_module_commands(card_rig: Rig) -> None:
    sam = _protocol(card_rig)
    sam.reset()
    sam.sam_status()
    assert sam.sam_id().count("-") == 3
    sam.transact(Command.SET_MAX_RF_BYTES, 0.5, b"\x50")


def test_no_card(card_rig: Rig) -> None:
    _card_on_real_reader(card_rig, wanted=False)
    card_rig.act(lambda sim: sim.remove())
    sam = _protocol(card_rig)
    assert sam.find() is False
    with pytest.raises(CardSelectFailed) as err:
        sam.select()
    assert err.value.sw3 == 0x81


def test_read_every_block(card_rig: Rig) -> None:
    _card_on_real_reader(card_rig, wanted=True)
    card_rig.act(lambda sim: sim.place(CARD))
    sam = _protocol(card_rig)
    sam.reset()
    assert sam.find() is True
    card = sam.read_card(TODAY)
    assert card.photo[:2] == b"WL"
    assert len(card.photo) == 1024
    if card_rig.checks_world:
        assert card == dataclasses.replace(CARD, new_address=None)
    assert sam.find() is False, "a read card is not found again until lifted"
    sam.reset()
    assert sam.find() is True
    full = sam.read_card(TODAY, fingerprint=True, new_address=True)
    assert full.id_number == card.id_number
    if card_rig.checks_world:
        assert full.new_address == CARD.new_address


def test_fault_answers(card_rig: Rig) -> None:
    if card_rig.backend == "hardware":
        pytest.skip("faults are provoked through the simulator")
    card_rig.act(lambda sim: sim.place(dataclasses.replace(CARD, new_address=None)))
    sam = _protocol(card_rig)
    assert sam.find() is True
    sam.select()
    assert sam.read_new_address() is None
    card_rig.act(lambda sim: sim.set_knobs({"unreadable": True}))
    with pytest.raises(CardReadFailed) as read_err:
        sam.read_text_photo()
    assert read_err.value.sw3 == 0x41
    card_rig.act(lambda sim: sim.set_knobs({"sam_fault": True}))
    with pytest.raises(SamFault) as sam_err:
        sam.sam_status()
    assert sam_err.value.sw3 == 0x60
    card_rig.act(lambda sim: sim.set_knobs({"bad_checksum_next": 1}))
    with pytest.raises(ProtocolError):
        sam.find()


@pytest.mark.parametrize(
    ("frame", "sw3"),
    [
        ("AAAAAA96690003200123", 0x10),
        ("AAAAAA9669000420010025", 0x11),
        ("AAAAAA96690200", 0x11),
        ("AAAAAA96690003777703", 0x21),
    ],
)
def test_malformed_frames_are_answered(card_rig: Rig, frame: str, sw3: int) -> None:
    if card_rig.backend == "hardware":
        pytest.skip("not sent to real readers")
    sam = _protocol(card_rig)
    answer = sam.exchange(bytes.fromhex(frame), 0.5)
    assert answer.sw3 == sw3
    with pytest.raises(FrameRejected):
        raise codec.status_error(answer.sw3)


async def test_async_read_card(card_rig: Rig) -> None:
    _card_on_real_reader(card_rig, wanted=True)
    card_rig.act(lambda sim: sim.place(CARD))
    async with CardReader(card_rig.transport, poll_interval=0.01, today=lambda: TODAY) as reader:
        card = await reader.read_card(5.0)
    assert card.card_type == "resident"
    assert card.expired is False
