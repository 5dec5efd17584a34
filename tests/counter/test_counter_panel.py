"""The simulator panel in a real browser: keys pressed on the page reach the server as bus
bytes, and the page shows what the LED and the keypad's LCD show."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from kiosk.counter import CounterAgent
from kiosk.counter_config import CounterConfig, Link
from kiosk.counter_panel import serve
from tests.browser import browser
from tests.counter.harness import Counter, settle

__all__ = ["browser"]


@pytest.fixture
def rig(counter: Counter) -> Counter:
    return counter


async def simulated_agent(rig: Counter) -> CounterAgent:
    status, body = await rig.call(
        "manager", "POST", "/api/v1/windows/w1/devices", {"role": "counter"}
    )
    assert status == 201, body
    config = CounterConfig(
        server_url=str(rig.server.make_url("")).rstrip("/"),
        token=body["token"],
        window_id="w1",
        port=0,
        heartbeat_seconds=0.3,
        keypad=Link("sim"),
        evaluator_address=2,
        led=Link("sim"),
    )
    rig.agent = CounterAgent(config)
    await rig.agent.start()
    return rig.agent


async def test_the_panel_presses_keys_and_shows_the_led(
    rig: Counter, browser: Browser, artifacts: Path
) -> None:
    agent = await simulated_agent(rig)
    runner, url = await serve(agent)
    try:
        await rig.sign_in()
        await rig.issue()
        page = await browser.new_page(viewport={"width": 1100, "height": 700})
        await page.goto(f"{url}/sim")
        await expect(page.get_by_test_id("lcd")).to_have_text("001   ")
        await page.get_by_role("button", name="呼叫 Call").click()
        await expect(page.get_by_test_id("led")).to_have_text("请B001号到1号窗口办理")
        await expect(page.get_by_test_id("lcd")).to_have_text("000001")
        await page.get_by_role("button", name="评价 Finish").click()
        await expect(page.get_by_text("请评价 waiting for a rating")).to_be_visible()
        await page.screenshot(path=str(artifacts / "counter-sim.png"))
        await page.get_by_role("button", name="非常满意", exact=True).click()
        await expect(page.get_by_text("请评价 waiting for a rating")).to_be_hidden()

        await page.get_by_role("button", name="拔 keypad").click()
        await expect(page.get_by_text("keypad: offline (unavailable)")).to_be_visible()
        await settle(lambda: device_health(rig, "offline"), "the manager sees the keypad offline")
        await page.get_by_role("button", name="插 keypad").click()
        await expect(page.get_by_text("keypad: ok")).to_be_visible()
        await page.close()
    finally:
        await runner.cleanup()


async def device_health(rig: Counter, status: str) -> bool:
    return bool((await rig.counter_device())["health"] == status)
