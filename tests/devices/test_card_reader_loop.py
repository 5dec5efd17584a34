"""The kiosk read loop: every placement once, typed errors, recovery after unplugging."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncGenerator, Callable
from pathlib import Path

import pytest

from devices.bench import run_read_loop_bench
from devices.card_reader import samples
from devices.card_reader.model import CardData
from devices.card_reader.reader import CardReader
from devices.card_reader.simulator import CardReaderSimConfig, CardReaderSimulator
from devices.errors import CardReadFailed, DeviceError, DeviceUnavailable
from devices.sim.hosts import PtyHost, SimLink, TcpHost
from devices.transport import SerialTransport

FAST = CardReaderSimConfig(find_latency=0.001, select_latency=0.001, read_latency=0.005)


@pytest.mark.slow
def test_thousand_placements_without_miss_or_double() -> None:
    result = run_read_loop_bench(1000)
    assert (result["missed"], result["doubled"], result["unexpected"]) == (0, 0, 0)
    assert result["cards_reported"] == 1000
    assert result["overhead_ms"]["p50"] < 50


@pytest.mark.parametrize("rearm", [True, False])
def test_card_left_on_the_reader_is_reported_once(rearm: bool) -> None:
    result = run_read_loop_bench(20, transport="inprocess", rearm_requires_lift=rearm)
    assert (result["missed"], result["doubled"]) == (0, 0)


async def _next(loop: AsyncGenerator[CardData | DeviceError, None]) -> CardData | DeviceError:
    return await asyncio.wait_for(anext(loop), 5.0)


async def _wait_for(predicate: Callable[[], bool]) -> None:
    """Poll a simulator counter (it lives in another thread, so there is no event to await)."""
    async with asyncio.timeout(5.0):
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.005)


@pytest.mark.parametrize("kind", ["tcp", "pty"])
async def test_unplug_mid_read_then_recover(kind: str, tmp_path: Path) -> None:
    config = CardReaderSimConfig(find_latency=0.001, select_latency=0.001, read_latency=0.5)
    sim = CardReaderSimulator(config)
    host = TcpHost(sim) if kind == "tcp" else PtyHost(sim, link=str(tmp_path / "reader"))
    reader = CardReader(SerialTransport(host.url), poll_interval=0.01, reconnect_interval=0.05)
    try:
        async with contextlib.aclosing(reader.read_loop()) as loop:
            first = asyncio.ensure_future(_next(loop))
            await asyncio.sleep(0.05)
            sim.place(samples.resident(1))
            await _wait_for(lambda: sim.reads_served == 1)
            host.unplug()
            error = await first
            assert isinstance(error, DeviceUnavailable)
            await asyncio.sleep(0.2)
            sim.set_knobs({"read_latency": 0.005})
            host.replug()
            card = await _next(loop)
            assert isinstance(card, CardData)
            assert card.id_number == samples.resident(1).id_number
    finally:
        await reader.close()
        host.stop()


async def _collect(reader: CardReader, items: list[CardData | DeviceError]) -> None:
    async for item in reader.read_loop():
        items.append(item)


async def test_unreadable_card_is_one_error_per_placement() -> None:
    sim = CardReaderSimulator(FAST)
    reader = CardReader(SimLink(sim), poll_interval=0.005)
    items: list[CardData | DeviceError] = []
    task = asyncio.create_task(_collect(reader, items))
    try:
        sim.set_knobs({"unreadable": True})
        sim.place(samples.resident(2))
        await _wait_for(lambda: len(items) == 1)
        finds = sim.finds
        await _wait_for(lambda: sim.finds > finds + 5)
        sim.remove()
        sim.set_knobs({"unreadable": False})
        await _wait_for(lambda: sim.finds > finds + 8)
        sim.place(samples.resident(2))
        await _wait_for(lambda: len(items) == 2)
        await asyncio.sleep(0.05)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await reader.close()
    assert isinstance(items[0], CardReadFailed)
    assert isinstance(items[1], CardData)
    assert len(items) == 2


async def test_expired_card_is_reported_not_refused() -> None:
    sim = CardReaderSimulator(FAST, card=samples.hmt_permit())
    reader = CardReader(SimLink(sim), poll_interval=0.005, today=lambda: dt.date(2025, 1, 1))
    async with reader:
        card = await reader.read_card(2.0)
    assert card.card_type == "hmt_residence"
    assert card.expired is True


async def test_read_card_times_out_without_a_card() -> None:
    reader = CardReader(SimLink(CardReaderSimulator(FAST)), poll_interval=0.005)
    async with reader:
        with pytest.raises(TimeoutError):
            await reader.read_card(0.1)


async def test_port_that_cannot_open_is_typed() -> None:
    reader = CardReader(SerialTransport("socket://127.0.0.1:1"))
    with pytest.raises(DeviceUnavailable):
        await reader.open()
    await reader.close()
