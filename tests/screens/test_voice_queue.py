"""The signage's voice queue: a burst is announced in order, once each; after an outage
only calls that are still current are announced (docs/screens.md, "catch-up rule")."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, Page, expect

from tests.screens.helpers import SERVICES, Server, make_app
from tests.screens.proxy import CuttableProxy

pytestmark = pytest.mark.browser

OUTAGE_SECONDS = float(os.environ.get("SCREENS_OUTAGE_SECONDS", "30"))
STALE_SECONDS = max(10, round(OUTAGE_SECONDS / 2))


async def announced(page: Page) -> list[dict[str, Any]]:
    log: list[dict[str, Any]] = await page.evaluate("window.__announced || []")
    return log


async def wait_announced(page: Page, count: int, seconds: float = 20.0) -> list[dict[str, Any]]:
    await expect(page.locator("html")).to_have_attribute(
        "data-announced", str(count), timeout=seconds * 1000
    )
    return await announced(page)


async def test_twenty_calls_in_two_seconds_are_announced_in_order_once_each(
    browser: Browser, aiohttp_server: Any, tmp_path: Path
) -> None:
    server = await aiohttp_server(make_app(tmp_path))
    base = str(server.make_url("")).rstrip("/")
    page = await browser.new_page(viewport={"width": 1366, "height": 768})
    async with aiohttp.ClientSession() as session:
        hall = Server(base, session)
        for n in range(20):
            await hall.issue(SERVICES[n % len(SERVICES)][0])
        await page.goto(f"{base}/signage?hall=h1&voice=silent&clip_ms=25")
        await expect(page.locator("html")).to_have_attribute("data-feed", "live")
        loop = asyncio.get_running_loop()
        started = loop.time()
        calls = []
        for n in range(20):
            ticket = await hall.call_next(f"w{n % 4 + 1}")
            assert ticket is not None
            calls.append(ticket["number"])
            await asyncio.sleep(0.05)
        assert loop.time() - started < 2.0
    log = await wait_announced(page, 20)
    await page.wait_for_timeout(1000)
    log = await announced(page)
    assert [entry["number"] for entry in log] == calls
    ids = [entry["id"] for entry in log]
    assert ids == sorted(ids)
    assert len(set(ids)) == 20
    await page.close()


async def test_outage_then_only_current_calls_are_announced(
    browser: Browser, aiohttp_server: Any, tmp_path: Path, artifacts: Path
) -> None:
    server = await aiohttp_server(make_app(tmp_path))
    upstream = str(server.make_url("")).rstrip("/")
    proxy = CuttableProxy(upstream)
    front = await aiohttp_server(proxy.app)
    base = str(front.make_url("")).rstrip("/")
    page = await browser.new_page(viewport={"width": 1366, "height": 768})
    async with aiohttp.ClientSession() as session:
        hall = Server(upstream, session)
        for n in range(12):
            await hall.issue(SERVICES[n % len(SERVICES)][0])
        await page.goto(
            f"{base}/signage?hall=h1&voice=silent&clip_ms=10&stale={STALE_SECONDS}&retry_ms=1000"
        )
        await expect(page.locator("html")).to_have_attribute("data-feed", "live")
        x = await hall.call_next("w1")
        assert x
        await wait_announced(page, 1)

        proxy.cut()
        await expect(page.locator("#link")).to_be_visible(timeout=5000)
        start = asyncio.get_running_loop().time()

        async def at(second: float) -> None:
            delay = start + second - asyncio.get_running_loop().time()
            await asyncio.sleep(max(0.0, delay))

        await at(1)
        stale = await hall.call_next("w2")  # still current, but old when the screen is back
        await at(2)
        superseded = await hall.call_next("w3")
        await at(OUTAGE_SECONDS - 3)
        current = await hall.call_next("w3")  # finishes `superseded`, is current and fresh
        await at(OUTAGE_SECONDS - 2.5)
        finished = await hall.call_next("w4")
        await hall.post("manager", "/api/v1/windows/w4/finish")  # no longer current
        await at(OUTAGE_SECONDS - 2)
        await hall.post("manager", "/api/v1/windows/w1/recall")  # a recall is announced again
        await at(OUTAGE_SECONDS)
        assert stale and superseded and current and finished
        assert len(await announced(page)) == 1
        await page.screenshot(path=str(artifacts / "signage-reconnecting-1366x768.png"))
        assert proxy.refused > 0

        proxy.restore()
        await expect(page.locator("#link")).to_be_hidden(timeout=10000)
        await wait_announced(page, 3)
        live = await hall.call_next("w5")
        assert live
        log = await wait_announced(page, 4)
        await page.wait_for_timeout(1000)
        log = await announced(page)

    assert [(e["number"], e["kind"]) for e in log] == [
        (x["number"], "called"),
        (current["number"], "called"),
        (x["number"], "recalled"),
        (live["number"], "called"),
    ]
    assert len({e["id"] for e in log}) == len(log)
    reasons = {
        entry["number"]: entry["reason"]
        for entry in await page.evaluate("window.__feed.log")
        if not entry["live"]
    }
    assert reasons[stale["number"]] == "stale"
    assert reasons[superseded["number"]] == "no_longer_current"
    assert reasons[finished["number"]] == "no_longer_current"
    shown = await page.locator(".now, .previous").all_inner_texts()
    text = " ".join(shown)
    for ticket in (stale, superseded, current, finished, live):
        assert ticket["number"] in text, ticket["number"]
    await page.screenshot(path=str(artifacts / "signage-after-outage-1366x768.png"))
    await page.close()
