"""One suite for the receipt printer: simulator, recorded replay, and (opt-in) hardware."""

from __future__ import annotations

import pytest

from devices.errors import CoverOpen, DeviceUnavailable, PaperOut
from devices.printer import SAMPLE_TICKET, PrinterSimulator, ReceiptPrinter, render_ticket
from devices.sim.hosts import TcpHost
from devices.transport import SerialTransport
from tests.devices.conftest import Rig


def _printer(rig: Rig) -> ReceiptPrinter:
    return ReceiptPrinter(rig.transport, status_timeout=0.3)


@pytest.mark.parametrize(
    ("knobs", "expected"),
    [
        ({}, {"online": True, "paper": "ok", "cover_open": False}),
        ({"paper": "near_end"}, {"online": True, "paper": "near_end", "cover_open": False}),
        ({"paper": "out"}, {"online": False, "paper": "out", "cover_open": False}),
        ({"cover_open": True}, {"online": False, "paper": "ok", "cover_open": True}),
        ({"silent": True}, {"online": None, "paper": "unknown", "cover_open": None}),
    ],
)
async def test_status(
    printer_rig: Rig, knobs: dict[str, object], expected: dict[str, object]
) -> None:
    printer_rig.act(lambda sim: sim.set_knobs(knobs))
    async with _printer(printer_rig) as printer:
        got = (await printer.status()).to_json()
    if printer_rig.backend == "hardware":
        assert set(got) == set(expected)
    else:
        assert got == expected


async def test_print_ticket(printer_rig: Rig) -> None:
    async with _printer(printer_rig) as printer:
        before = await printer.print_ticket(SAMPLE_TICKET)
        assert before.paper != "out"
        await printer.status()
    if printer_rig.checks_world:
        sim = printer_rig.sim
        assert sim.raw.endswith(
            render_ticket(SAMPLE_TICKET) + b"\x10\x04\x01\x10\x04\x02\x10\x04\x04"
        )
        (receipt,) = sim.receipts
        assert receipt.cut
        assert receipt.lines[3] == SAMPLE_TICKET.number
        assert receipt.qr == [SAMPLE_TICKET.track_url]


@pytest.mark.parametrize(
    ("knobs", "error"), [({"paper": "out"}, PaperOut), ({"cover_open": True}, CoverOpen)]
)
async def test_refuses_when_it_cannot_print(
    printer_rig: Rig, knobs: dict[str, object], error: type[Exception]
) -> None:
    if printer_rig.backend == "hardware":
        pytest.skip("needs the fault provoked by hand")
    printer_rig.act(lambda sim: sim.set_knobs(knobs))
    async with _printer(printer_rig) as printer:
        with pytest.raises(error):
            await printer.print_ticket(SAMPLE_TICKET)
    if printer_rig.checks_world:
        assert printer_rig.sim.receipts == []


async def test_paper_runs_low_while_printing(printer_rig: Rig) -> None:
    if printer_rig.backend == "hardware":
        pytest.skip("needs a nearly empty roll")
    printer_rig.act(lambda sim: sim.set_knobs({"paper_lines": 60, "near_end_lines": 50}))
    async with _printer(printer_rig) as printer:
        await printer.print_ticket(SAMPLE_TICKET)
        assert (await printer.status()).paper == "near_end"


async def test_printer_comes_back_after_unplugging() -> None:
    sim = PrinterSimulator()
    host = TcpHost(sim)
    printer = ReceiptPrinter(SerialTransport(host.url), status_timeout=0.3)
    try:
        async with printer:
            assert (await printer.status()).paper == "ok"
            host.unplug()
            with pytest.raises(DeviceUnavailable):
                await printer.status()
            host.replug()
            assert (await printer.status()).online is True
            await printer.print_ticket(SAMPLE_TICKET)
    finally:
        host.stop()
    assert len(sim.receipts) == 1
