"""The manager console's wait-estimate accuracy panel in a real browser, on a constructed day:
service B's citizens were all told a short wait and waited ten minutes, so B drifts and the
floor raises the alarm; service A has a few good estimates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession
from playwright.async_api import Browser, expect

from queue_server.app import create_app
from queue_server.config import Settings
from tests.browser import browser  # noqa: F401 - fixture
from tests.consoles.conftest import console_site
from tests.consoles.pages import Site
from tests.queue_server.conftest import FakeClock

pytestmark = pytest.mark.browser


async def wait_and_call(site: Site, clock: FakeClock, service_id: str, minutes: float) -> None:
    await site.issue(service_id)
    clock.advance(minutes)
    called = await site.call("manager", "POST", "/api/v1/windows/w1/call-next", {})
    assert called["ticket"]["service_id"] == service_id


async def test_the_panel_shows_the_day_and_the_drift(
    aiohttp_server: Any,
    tmp_path: Path,
    browser: Browser,  # noqa: F811
    artifacts: Path,
) -> None:
    site_file = tmp_path / "site.json"
    site_file.write_text(json.dumps(console_site(), ensure_ascii=False), encoding="utf-8")
    clock = FakeClock()
    app = create_app(Settings(data_dir=tmp_path / "data", site_file=site_file), clock=clock)
    server = await aiohttp_server(app)
    site = Site(str(server.make_url("")).rstrip("/"), ClientSession())
    try:
        for _ in range(3):
            await wait_and_call(site, clock, "s-a", 0.5)
        for _ in range(20):
            await wait_and_call(site, clock, "s-b", 10.0)

        boss = await site.open_page(browser, "/manager", "manager")
        await expect(boss.locator("#alarms li[data-kind='eta_drift']")).to_contain_text(
            "公积金提取: 等候预估失准"
        )
        await boss.click("#tab-accuracy")
        panel = boss.locator("#eta-panel")
        await expect(panel.locator("h2")).to_contain_text("等候预估准确度 Wait estimate accuracy")
        service_b = panel.locator("tr[data-service='s-b']")
        await expect(service_b.locator(".count")).to_have_text("20")
        await expect(service_b).to_have_class("drifting")
        await expect(service_b.locator(".coverage")).to_have_text("0%")
        await expect(service_b.locator(".verdict")).to_contain_text("偏差 drifting")
        service_a = panel.locator("tr[data-service='s-a']")
        await expect(service_a.locator(".count")).to_have_text("3")
        await expect(service_a.locator(".verdict")).to_contain_text("样本少")
        await expect(panel.locator("#eta-overall .count")).to_have_text("23")
        await expect(panel.locator("#eta-predictor")).to_contain_text("预估方式")
        await boss.screenshot(path=str(artifacts / "manager-eta-accuracy.png"), full_page=True)

        # a call is a new outcome: the panel follows the hall's events
        await wait_and_call(site, clock, "s-a", 0.5)
        await expect(service_a.locator(".count")).to_have_text("4")

        await boss.fill("#eta-date", "2026-11-01")
        await boss.dispatch_event("#eta-date", "change")
        await expect(panel.locator("#eta-overall .count")).to_have_text("0")
    finally:
        await site.http.close()
