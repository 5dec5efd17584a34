"""Signage, window screen and evaluator in Chromium: screenshots at both TV sizes, no overflow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, expect

from tests.screens.helpers import Server, make_app, overflowing

pytestmark = pytest.mark.browser

SIZES = [(1920, 1080), (1366, 768)]
SIGNAGE_BOXES = [
    "body",
    ".bar",
    ".hall-name",
    ".now",
    ".now-call",
    ".now-main",
    ".waits",
    ".wait-table tbody th",
    ".previous",
    ".prev",
]
WINDOW_BOXES = ["body", ".win-head", ".win-body", ".win-foot", ".win-number"]
EVALUATOR_BOXES = ["body", ".ev-main", ".ev-levels", ".ev-level", ".ev-tags"]


async def busy_hall(server: Server) -> None:
    """Tickets waiting for every service, eight calls, a recall and a notice."""
    for service in ("s-a", "s-b", "s-c", "s-d", "s-e", "s-f") * 4:
        await server.issue(service)
    for window in ("w4", "w5", "w6", "w7", "w8", "w9", "w10", "w12"):
        await server.call_next(window)
    await server.post("manager", "/api/v1/windows/w12/recall")
    await server.post(
        "manager",
        "/api/v1/halls/h1/notices",
        {
            "text": "今日 12:00-13:30 午间不休，公积金业务请到二楼办理。",
            "text_en": "Open through lunch today; provident fund on the 2nd floor.",
        },
    )


async def test_signage_window_and_evaluator_screenshots(
    browser: Browser, aiohttp_server: Any, tmp_path: Path, artifacts: Path
) -> None:
    server = await aiohttp_server(make_app(tmp_path))
    base = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as session:
        hall = Server(base, session)
        await busy_hall(hall)
        serving = await hall.call_next("w1")
        assert serving
        await hall.post("manager", "/api/v1/windows/w1/start")
        await hall.post("manager", "/api/v1/windows/w2/pause", {"confirm": True})
        await hall.post("manager", "/api/v1/windows/w3/close", {"confirm": True})
        counter = await hall.post("manager", "/api/v1/windows/w11/devices", {"role": "counter"})
        await hall.call_next("w11")
        await hall.post("manager", "/api/v1/windows/w11/finish")
        async with session.get(f"{base}/api/v1/halls/h1/board") as response:
            latest = (await response.json())["calls"][0]["number"]
        problems: list[str] = []
        for width, height in SIZES:
            page = await browser.new_page(viewport={"width": width, "height": height})
            for lang in ("zh", "zh-en"):
                await page.goto(f"{base}/signage?hall=h1&lang={lang}&voice=off")
                await expect(page.locator("#now-number")).to_have_text(latest)
                await expect(page.locator(".prev")).to_have_count(6)
                await page.wait_for_timeout(300)
                await page.screenshot(path=str(artifacts / f"signage-{lang}-{width}x{height}.png"))
                problems += [
                    f"signage {lang} {width}: {p}" for p in await overflowing(page, SIGNAGE_BOXES)
                ]
            for window, state in (("w1", "serving"), ("w2", "paused"), ("w3", "closed")):
                await page.goto(f"{base}/window?window={window}")
                await expect(page.locator("body")).to_have_attribute(
                    "data-state", {"serving": "open"}.get(state, state)
                )
                if state == "serving":
                    await expect(page.locator("#win-ticket")).to_have_text(serving["number"])
                await page.screenshot(path=str(artifacts / f"window-{state}-{width}x{height}.png"))
                problems += [
                    f"window {state} {width}: {p}" for p in await overflowing(page, WINDOW_BOXES)
                ]
            await page.goto(f"{base}/evaluator?window=w11&lang=zh-en#token={counter['token']}")
            await expect(page.locator("#ev-ticket")).to_contain_text("号")
            await page.locator("[data-level='2']").click()
            await page.locator("[data-tag='efficiency.slow']").click()
            await page.screenshot(path=str(artifacts / f"evaluator-{width}x{height}.png"))
            problems += [
                f"evaluator {width}: {p}" for p in await overflowing(page, EVALUATOR_BOXES)
            ]
            await page.close()
        assert not problems, problems
