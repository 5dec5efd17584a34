"""The counter console in a real browser: two clerks and a manager, live, keyboard first."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser import browser  # noqa: F401 - fixture
from tests.consoles.conftest import console_site
from tests.consoles.pages import start_site

pytestmark = pytest.mark.browser


async def queue_numbers(page: Page) -> list[str]:
    return await page.locator("#queue tbody tr td.ticket").all_inner_texts()


async def test_a_call_on_one_console_shows_on_the_other_and_the_manager(
    browser: Browser,  # noqa: F811
    aiohttp_server: Any,
    tmp_path: Path,
    artifacts: Path,
) -> None:
    site, _ = await start_site(aiohttp_server, tmp_path)
    try:
        first = await site.issue("s-a")
        await site.issue("s-b")
        await site.issue("s-a")
        one = await site.open_page(browser, "/counter", "clerk1")
        two = await site.open_page(browser, "/counter", "clerk2")
        boss = await site.open_page(browser, "/manager", "manager")
        await expect(one.locator("#window-number")).to_have_text("1 号窗口")
        await expect(two.locator("#window-number")).to_have_text("2 号窗口")
        assert await queue_numbers(two) == ["A001", "B001", "A002"]
        await expect(one.locator("#queue .why").first).to_contain_text("权重×等候+加分")
        await one.screenshot(path=str(artifacts / "counter-before-call.png"))

        started = time.monotonic()
        await one.keyboard.press("Space")
        await expect(one.locator("#current-number")).to_have_text(first["number"], timeout=1000)
        await expect(two.locator("#queue tbody tr")).to_have_count(2, timeout=1000)
        await expect(boss.locator("#win-1-current")).to_have_text("A001", timeout=1000)
        assert time.monotonic() - started < 1.5
        assert await queue_numbers(two) == ["B001", "A002"]
        await expect(one.locator("#current-service")).to_have_text("不动产登记")
        await expect(one.locator("#materials li")).to_have_count(2)
        await expect(one.locator("#recall-count")).to_have_text("0 / 3")

        # the second clerk calls with the big button; the first console follows live
        await two.click("#act-next")
        await expect(two.locator("#current-number")).to_have_text("B001", timeout=1000)
        await expect(one.locator("#queue tbody tr")).to_have_count(1, timeout=1000)
        await expect(boss.locator("#win-2-current")).to_have_text("B001", timeout=1000)
        await one.screenshot(path=str(artifacts / "counter-clerk1.png"))
        await two.screenshot(path=str(artifacts / "counter-clerk2.png"))
        await boss.screenshot(path=str(artifacts / "manager-floor-live.png"))

        # a new ticket appears on both consoles without a reload
        await site.issue("s-b")
        await expect(one.locator("#queue tbody tr")).to_have_count(2, timeout=1000)
        await expect(two.locator("#queue tbody tr")).to_have_count(2, timeout=1000)

        # clerk 2 sends B001 to window 1: it heads window 1's list, pinned, at once
        await two.keyboard.press("t")
        await two.locator("#picker button", has_text="1 号窗口").click()
        await expect(one.locator("#queue tbody tr").first).to_contain_text("B001", timeout=1000)
        await expect(one.locator("#queue tbody tr").first).to_contain_text("转入本窗口")
        await expect(boss.locator("#win-2-current")).to_have_text("—", timeout=1000)
        # clerk 1 finishes A001 and takes B001; clerk 1 pauses, the manager sees it
        await one.keyboard.press("Space")
        await expect(one.locator("#current-number")).to_have_text("B001")
        await expect(boss.locator("#win-1-current")).to_have_text("B001", timeout=1000)
        await one.keyboard.press("h")
        await expect(boss.locator("#win-1-current")).to_have_text("—", timeout=1000)
        await one.keyboard.press("p")
        await expect(boss.locator("#win-1 .state")).to_have_text("暂停", timeout=1000)
        await expect(two.locator("#queue tbody tr")).to_have_count(2)
        await boss.screenshot(path=str(artifacts / "manager-floor-paused.png"))
    finally:
        await site.http.close()


async def test_a_clerk_runs_a_whole_day_with_the_keyboard(
    browser: Browser,  # noqa: F811
    aiohttp_server: Any,
    tmp_path: Path,
    artifacts: Path,
) -> None:
    site_def = console_site()
    for window in site_def["halls"][0]["windows"]:
        window["state"] = "closed"
    site, _ = await start_site(aiohttp_server, tmp_path, site_def)
    try:
        page = await site.open_page(browser, "/counter")
        # log in with the keyboard alone
        await page.keyboard.type("clerk1")
        await page.keyboard.press("Tab")
        await page.keyboard.type("correct-horse-battery")
        await page.keyboard.press("Enter")
        await expect(page.locator("#conn")).to_have_attribute("data-status", "live")
        await expect(page.locator("#window-state")).to_have_text("关闭")
        await page.keyboard.press("o")
        await expect(page.locator("#window-state")).to_have_text("开放")
        for service in ("s-a", "s-b", "s-a", "s-b", "s-a"):
            await site.issue(service)
        await expect(page.locator("#queue tbody tr")).to_have_count(5)

        # call, recall twice, start, finish
        await page.keyboard.press("Space")
        await expect(page.locator("#current-number")).to_have_text("A001")
        await page.keyboard.press("r")
        await expect(page.locator("#recall-count")).to_have_text("1 / 3")
        await page.keyboard.press("r")
        await expect(page.locator("#recall-count")).to_have_text("2 / 3")
        await page.keyboard.press("r")
        await expect(page.locator("#recall-count")).to_have_text("3 / 3")
        await expect(page.locator("#act-recall")).to_be_disabled()
        await page.screenshot(path=str(artifacts / "counter-recall-limit.png"))
        await page.keyboard.press("s")
        await expect(page.locator("#current-status")).to_contain_text("办理中")
        await page.keyboard.press("f")
        await expect(page.locator("#current-number")).to_have_text("—")
        await expect(page.locator("#served-today")).to_have_text("1")

        # no-show
        await page.keyboard.press("n")
        await expect(page.locator("#current-number")).to_have_text("B001")
        await page.keyboard.press("x")
        await expect(page.locator("#current-number")).to_have_text("—")

        # transfer to service B (keeps the arrival time), chosen with a digit
        await page.keyboard.press("Space")
        await expect(page.locator("#current-number")).to_have_text("A002")
        await page.keyboard.press("t")
        await expect(page.locator("#picker")).to_be_visible()
        await page.screenshot(path=str(artifacts / "counter-transfer.png"))
        await page.keyboard.press("1")
        await expect(page.locator("#picker")).to_have_count(0)
        await expect(page.locator("#current-number")).to_have_text("—")
        transferred = await site.call("manager", "GET", "/api/v1/windows/w1/queue")
        moved = next(t for t in transferred["queue"] if t["number"] == "A002")
        assert moved["service_id"] == "s-b"

        # hold, serve someone else, call the held ticket back
        await page.keyboard.press("Space")
        await expect(page.locator("#current-number")).to_have_text("A002")
        await page.keyboard.press("h")
        await expect(page.locator("#held li")).to_have_count(1)
        await page.keyboard.press("Space")
        await expect(page.locator("#current-number")).to_have_text("B002")
        await page.keyboard.press("f")
        await page.keyboard.press("u")
        await expect(page.locator("#current-number")).to_have_text("A002")
        await expect(page.locator("#held li")).to_have_count(0)
        await page.keyboard.press("f")

        # pause and resume, then close (each confirmed: A003 would have no open window)
        await page.keyboard.press("p")
        await expect(page.locator("#picker")).to_contain_text("A003")
        await page.keyboard.press("Enter")
        await expect(page.locator("#window-state")).to_have_text("暂停")
        await expect(page.locator("#act-next")).to_be_disabled()
        await page.keyboard.press("p")
        await expect(page.locator("#window-state")).to_have_text("开放")
        await page.keyboard.press("c")
        await expect(page.locator("#picker")).to_contain_text("A003")
        await page.screenshot(path=str(artifacts / "counter-close-confirm.png"))
        await page.keyboard.press("Enter")
        await expect(page.locator("#window-state")).to_have_text("关闭")
        await page.screenshot(path=str(artifacts / "counter-closed.png"))
        audit = await site.call("manager", "GET", "/api/v1/halls/h1/audit")
        actions = [a["action"] for a in audit["audit"]]
        assert actions.count("window.pause") == 1
        assert "window.close" in actions
    finally:
        await site.http.close()
