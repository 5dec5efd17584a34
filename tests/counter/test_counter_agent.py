"""End to end: key bytes on the bus → the real server → the LED's and LCD's bytes."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime
from typing import Any

import aiohttp
import aiohttp.web

from devices import Grade
from kiosk.counter_client import StreamEvent
from tests.counter.harness import EVALUATOR, KEYPAD, Counter, settle
from tests.screens.proxy import CuttableProxy


async def evaluations(counter: Counter) -> list[dict[str, str]]:
    _, text = await counter.call("manager", "GET", "/api/v1/halls/h1/evaluations.csv")
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


async def test_a_day_at_the_counter_from_the_keypad(counter: Counter) -> None:
    await counter.start_agent()
    await settle(lambda: counter.lcd() == "   000", "the LCD says nobody is signed in")
    counter.keypad.press(KEYPAD, "call")
    await settle(lambda: counter.beeps() == 1, "a refused key beeps")
    assert await counter.current() is None

    await counter.sign_in()
    await settle(lambda: counter.led_text() == "1号窗口 欢迎办理", "the LED welcomes")
    first = await counter.issue()
    await counter.issue()
    await settle(lambda: counter.lcd() == "002   ", "the LCD counts two waiting")

    counter.keypad.press(KEYPAD, "call")
    await settle(lambda: counter.led_text() == "请B001号到1号窗口办理", "the LED calls B001")
    current = await counter.current()
    assert current is not None
    assert (current["id"], current["status"]) == (first["id"], "called")
    await settle(lambda: counter.lcd() == "001001", "the LCD shows one waiting and B001")

    counter.keypad.press(KEYPAD, "confirm")
    await settle(lambda: counter.led_text() == "1号窗口 B001 办理中", "the LED shows serving")
    counter.keypad.press(KEYPAD, "evaluate")
    await settle(counter.evaluating, "the evaluator asks for a rating after the finish")
    assert await counter.current() is None

    counter.keypad.rate(EVALUATOR, Grade.VERY_SATISFIED)
    rows = await settle(lambda: evaluations(counter), "the rating reaches the server")
    assert [(r["ticketNumber"], r["satisfaction"], r["handleUserName"]) for r in rows] == [
        ("B001", "5", "clerk1")
    ]
    counter.keypad.rate(EVALUATOR, Grade.VERY_DISSATISFIED)
    counter.keypad.press(KEYPAD, "pause")
    await settle(lambda: counter.led_text() == "1号窗口 暂停服务", "the LED shows the pause")
    assert len(await evaluations(counter)) == 1, "a second rating of one ticket is dropped"

    counter.keypad.press(KEYPAD, "pause")
    await settle(lambda: counter.led_text() == "1号窗口 欢迎办理", "resumed")
    _, audit = await counter.call("manager", "GET", "/api/v1/halls/h1/audit")
    calls = [a for a in audit["audit"] if a["action"] == "counter.call_next"]
    assert calls[0]["actor"] == "clerk1"
    assert calls[0]["detail"]["device"] == "窗口1呼叫器"


async def test_the_counter_follows_the_console_and_rates_its_finishes(counter: Counter) -> None:
    agent = await counter.start_agent()
    await counter.sign_in()
    ticket = await counter.issue()
    status, _ = await counter.call("clerk1", "POST", "/api/v1/windows/w1/call-next")
    assert status == 200
    await settle(
        lambda: counter.led_text() == "请B001号到1号窗口办理", "the LED follows the console"
    )
    status, _ = await counter.call("clerk1", "POST", "/api/v1/windows/w1/finish")
    assert status == 200
    await settle(counter.evaluating, "a finish at the console starts the evaluator")
    assert agent.pending_rating == ticket["id"]
    counter.keypad.rate(EVALUATOR, Grade.BASICALLY_SATISFIED)
    rows = await settle(lambda: evaluations(counter), "the rating reaches the server")
    assert rows[0]["satisfaction"] == "3"

    status, _ = await counter.call("clerk1", "POST", "/api/v1/windows/w1/close", {"confirm": True})
    assert status == 200
    await settle(
        lambda: counter.led_text() == "1号窗口 暂停办理", "the LED shows the window closed"
    )
    await settle(lambda: counter.lcd() == "   000", "the LCD says nobody is signed in")


async def test_unplugging_the_bus_shows_on_the_managers_floor(counter: Counter) -> None:
    await counter.start_agent()

    async def health(status: str) -> bool:
        device = await counter.counter_device()
        parts = {p["kind"]: p["status"] for p in device["parts"]}
        return device["health"] == status and parts.get("keypad") == status

    await settle(lambda: health("ok"), "the counter reports itself healthy")
    counter.keypad_host.unplug()
    await settle(lambda: health("offline"), "an unplugged keypad bus shows offline")
    device = await counter.counter_device()
    assert {p["kind"]: p["status"] for p in device["parts"]}["evaluator"] == "offline"
    counter.keypad_host.replug()
    await settle(lambda: health("ok"), "the keypad is back once its port opens again")


async def test_a_silent_led_controller_shows_as_faulty(counter: Counter) -> None:
    await counter.start_agent()
    await counter.sign_in()
    await settle(lambda: counter.led_text() == "1号窗口 欢迎办理", "the LED welcomes")
    counter.led.control({"cmd": "set", "silent": True})

    async def led_fault() -> bool:
        device = await counter.counter_device()
        return {p["kind"]: p["detail"] for p in device["parts"]}.get("led") == "no_answer"

    await settle(led_fault, "a controller that stops answering is reported")
    assert (await counter.counter_device())["health"] == "fault"


async def test_after_an_outage_the_missed_events_are_replayed(
    counter: Counter, aiohttp_server: Any
) -> None:
    proxy = CuttableProxy(str(counter.server.make_url("")).rstrip("/"))
    front = await aiohttp_server(proxy.app)
    agent = await counter.start_agent(str(front.make_url("")).rstrip("/"))
    await counter.sign_in()
    first = await counter.issue()
    await counter.issue()
    counter.keypad.press(KEYPAD, "call")
    await settle(lambda: counter.led_text() == "请B001号到1号窗口办理", "the LED calls B001")

    proxy.cut()
    status, _ = await counter.call("clerk1", "POST", "/api/v1/windows/w1/call-next")
    assert status == 200, "the clerk works on at the console while the counter is cut off"
    assert counter.led_text() == "请B001号到1号窗口办理"
    proxy.restore()
    await settle(lambda: counter.led_text() == "请B002号到1号窗口办理", "the LED catches up")
    await settle(counter.evaluating, "the finish missed in the outage still asks for a rating")
    assert agent.pending_rating == first["id"]


class GarblingProxy(CuttableProxy):
    """A proxy that, while ``garbling``, answers every request 200 with JSON that is not the
    server's shape (as a misconfigured gateway might) — the agent's loops must survive it."""

    garbling = False

    async def handle(self, request: aiohttp.web.Request) -> aiohttp.web.StreamResponse:
        if self.garbling:
            return aiohttp.web.json_response({"gateway": "maintenance"})
        return await super().handle(request)


async def test_loops_survive_nonsense_answers_and_catch_up(
    counter: Counter, aiohttp_server: Any
) -> None:
    proxy = GarblingProxy(str(counter.server.make_url("")).rstrip("/"))
    front = await aiohttp_server(proxy.app)
    proxy.garbling = True
    agent = await counter.start_agent(str(front.make_url("")).rstrip("/"))
    await counter.sign_in()
    await counter.issue()
    await asyncio.sleep(1.5)  # several rounds of nonsense for every loop
    assert len(agent.tasks) == 5, "every loop is still alive"
    proxy.garbling = False
    await settle(lambda: counter.led_text() == "1号窗口 欢迎办理", "the LED catches up")
    counter.keypad.press(KEYPAD, "call")
    await settle(lambda: counter.led_text() == "请B001号到1号窗口办理", "keys work again")


async def test_a_finish_seen_long_after_it_happened_does_not_start_the_evaluator(
    counter: Counter,
) -> None:
    agent = await counter.start_agent()
    stale = StreamEvent(
        7,
        "ticket.finished",
        {"ticket_id": "t-old", "window_id": "w1", "at": "2026-01-01T08:00:00.000000Z"},
    )
    await agent._on_event(stale)
    assert agent.pending_rating is None and not counter.evaluating()
    fresh_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    fresh = StreamEvent(
        8, "ticket.finished", {"ticket_id": "t-new", "window_id": "w1", "at": fresh_at}
    )
    await agent._on_event(fresh)
    assert agent.pending_rating == "t-new"
