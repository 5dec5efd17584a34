"""One suite each for the window LED screen and the caller/evaluator bus."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from devices.bus import CallerBus, Grade, KeyEvent, OnbonDisplay, RatingEvent
from devices.errors import DeviceTimeout
from tests.devices.conftest import Rig


async def test_led_commands(led_rig: Rig) -> None:
    async with OnbonDisplay(led_rig.transport, address=1) as display:
        await display.ping()
        await display.show("请A023号到3号窗口", "green")
        if led_rig.checks_world:
            assert led_rig.sim.areas[0] == {"text": "请A023号到3号窗口", "colour": "green"}
        await display.brightness(8)
        await display.clear()
    if led_rig.checks_world:
        assert led_rig.sim.areas == {}
        assert led_rig.sim.brightness == 8


async def test_led_silent_controller_times_out(led_rig: Rig) -> None:
    if led_rig.backend == "hardware":
        pytest.skip("needs a controller at an unused address")
    led_rig.act(lambda sim: sim.control({"cmd": "set", "silent": True}))
    async with OnbonDisplay(led_rig.transport, address=1, timeout=0.2) as display:
        with pytest.raises(DeviceTimeout):
            await display.ping()


async def _events(bus: CallerBus, count: int) -> list[object]:
    got: list[object] = []
    async with contextlib.aclosing(bus.events()) as stream:
        async for event in stream:
            got.append(event)
            if len(got) == count:
                return got
    return got


async def test_keypad_and_evaluators(bus_rig: Rig) -> None:
    if bus_rig.backend == "hardware":
        pytest.skip("needs someone at the keypad")
    bus = CallerBus(bus_rig.transport, evaluators={9: "five", 10: "four"}, poll_interval=0.02)
    async with bus:
        await bus.show(1, 4, "A023")
        await bus.beep(1)
        await bus.start_evaluation(9)
        await asyncio.sleep(0.1)
        bus_rig.act(lambda sim: sim.press(1, "call"))
        first = await asyncio.wait_for(_events(bus, 1), 5)
        bus_rig.act(lambda sim: sim.press(2, "give_up"))
        bus_rig.act(lambda sim: sim.rate(9, Grade.BASICALLY_SATISFIED))
        bus_rig.act(lambda sim: sim.rate(10, Grade.VERY_SATISFIED))
        rest = await asyncio.wait_for(_events(bus, 3), 5)
        await asyncio.sleep(0.1)
    assert first == [KeyEvent(1, "call")]
    assert rest == [
        KeyEvent(2, "give_up", "6"),
        RatingEvent(9, Grade.BASICALLY_SATISFIED),
        RatingEvent(10, Grade.VERY_SATISFIED),
    ]
    if bus_rig.checks_world:
        sim = bus_rig.sim
        assert sim.lcd_text(1) == "004023"
        assert sim.beeps == {1: 1}
        assert sim.evaluating == {9: False, 10: False}
        assert sim.unacked == []
