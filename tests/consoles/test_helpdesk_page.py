"""The help desk page in a real browser: desk tickets, reprints, kiosk help requests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, expect

from tests.browser import browser  # noqa: F401 - fixture
from tests.consoles.helpers import VALID_ID
from tests.consoles.pages import start_site

pytestmark = pytest.mark.browser


async def test_help_desk_issues_reprints_and_answers_kiosks(
    browser: Browser,  # noqa: F811
    aiohttp_server: Any,
    tmp_path: Path,
    artifacts: Path,
) -> None:
    site, _ = await start_site(aiohttp_server, tmp_path)
    try:
        desk = await site.open_page(browser, "/helpdesk", "desk")
        boss = await site.open_page(browser, "/manager", "manager")

        # someone without an ID card or phone
        await desk.select_option("#issue-service", "s-a")
        await desk.click("#issue-submit")
        await expect(desk.locator("#slip-number")).to_have_text("A001")

        # a proxy (代办人) with the holder's ID number
        await desk.fill("#issue-id", VALID_ID)
        await desk.check("#issue-proxy")
        await desk.click("#issue-submit")
        await expect(desk.locator("#slip-number")).to_have_text("A002")
        await expect(desk.locator("#slip")).to_contain_text("代办")

        # the same ID again: no second ticket, a reprint instead
        await desk.fill("#issue-id", VALID_ID)
        await desk.click("#issue-submit")
        await expect(desk.locator("#issue-result")).to_contain_text("已取 A002")
        await desk.click("#issue-reprint")
        await expect(desk.locator("#slip-number")).to_have_text("A002")
        await expect(desk.locator("#slip")).to_contain_text("补打")

        # green channel: the certificate kind is required
        await desk.select_option("#issue-service", "s-b")
        await desk.check("#issue-green")
        await desk.click("#issue-submit")
        await expect(desk.locator("#issue-result")).to_contain_text("请选择已核验的证件类别")
        await desk.select_option("#issue-reason", "military")
        await desk.click("#issue-submit")
        await expect(desk.locator("#slip-number")).to_have_text("B001")
        await expect(desk.locator("#slip")).to_contain_text("绿色通道")
        await desk.screenshot(path=str(artifacts / "helpdesk-green.png"))

        # a lost ticket found by its number, and by the holder's ID number
        await desk.fill("#lookup-query", "a001")
        await desk.press("#lookup-query", "Enter")
        await expect(desk.locator("#lookup-result li")).to_have_count(1)
        await desk.locator("#lookup-result button").click()
        await expect(desk.locator("#lookup-result .slip")).to_contain_text("A001")
        await desk.fill("#lookup-query", VALID_ID)
        await desk.press("#lookup-query", "Enter")
        await expect(desk.locator("#lookup-result li")).to_contain_text("A002")

        # a kiosk asks for help: it shows on the desk and on the manager's alarms, live
        await site.call("kiosk", "POST", "/api/v1/halls/h1/help-requests", {"kind": "no_id_card"})
        await expect(desk.locator("#help-requests li.open")).to_have_count(1, timeout=1000)
        await expect(desk.locator("#help-requests")).to_contain_text("1 号自助机")
        await expect(boss.locator("#alarms li[data-kind='help_request']")).to_have_count(
            1, timeout=1000
        )
        await desk.screenshot(path=str(artifacts / "helpdesk-help-request.png"))
        await desk.locator("#help-requests button", has_text="受理").click()
        await expect(desk.locator("#help-requests li.acknowledged")).to_contain_text("desk 已受理")
        await boss.screenshot(path=str(artifacts / "manager-help-alarm.png"))
        await boss.locator("#alarms li[data-kind='help_request'] button").click()
        await expect(desk.locator("#help-requests")).to_contain_text("暂无求助", timeout=1000)
        await expect(boss.locator("#alarms li[data-kind='help_request']")).to_have_count(0)

        tickets = await site.call("manager", "GET", "/api/v1/windows/w1/queue")
        numbers = {t["number"]: t for t in tickets["queue"]}
        assert numbers["A002"]["flags"] == ["proxy"]
        assert numbers["B001"]["class"] == "green"
        assert all(t["channel"] == "help_desk" for t in tickets["queue"])
    finally:
        await site.http.close()
