"""The manager console's appointments panel in a real browser: capacity edits reach the phone
page, bookings and check-ins show up live."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession
from playwright.async_api import Browser, Page, expect

from kiosk.samples import id_number
from queue_server.app import create_app
from queue_server.config import Settings
from tests.browser import browser  # noqa: F401 - fixture
from tests.consoles.conftest import console_site
from tests.consoles.pages import Site
from tests.queue_server.conftest import FakeClock

pytestmark = pytest.mark.browser

PHONE = "13812345678"
ID_NUMBER = id_number(date(1985, 6, 1), 123)


async def start(aiohttp_server: Any, tmp_path: Path, clock: FakeClock) -> Site:
    """The console test site with a fake clock and the simulated outbox readable."""
    site_file = tmp_path / "site.json"
    site_file.write_text(json.dumps(console_site(), ensure_ascii=False), encoding="utf-8")
    settings = Settings(
        data_dir=tmp_path / "data",
        site_file=site_file,
        extra={"remote": {"outbox_public": True, "sweep_seconds": 0.05}},
        token_ttl_hours=48,  # the test moves the clock to the next working day
    )
    server = await aiohttp_server(create_app(settings, clock=clock))
    return Site(str(server.make_url("")).rstrip("/"), ClientSession())


async def book(site: Site, clock: FakeClock, slot_start: str) -> dict[str, Any]:
    """A citizen books ``slot_start`` of service A over HTTP with a one-time code."""
    clock.advance(1.1)
    async with site.http.post(f"{site.base}/api/v1/remote/otp", json={"phone": PHONE}) as r:
        assert r.status == 202, await r.text()
    async with site.http.get(f"{site.base}/api/v1/remote/outbox") as r:
        code = next(m for m in (await r.json())["messages"] if m["template"] == "otp")
    body = {
        "service_id": "s-a",
        "slot_start": slot_start,
        "phone": PHONE,
        "code": str(code["params"]["code"]),
        "id_number": ID_NUMBER,
    }
    async with site.http.post(f"{site.base}/api/v1/halls/h1/appointments", json=body) as r:
        assert r.status == 201, await r.text()
        made: dict[str, Any] = (await r.json())["appointment"]
        return made


async def phone_slots(browser: Browser, site: Site) -> Page:  # noqa: F811
    context = await browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    page = await context.new_page()
    page.set_default_timeout(5000)
    await page.goto(f"{site.base}/mobile#/book/h1/s-a")
    return page


async def test_capacity_bookings_and_check_in_live(
    browser: Browser,  # noqa: F811
    aiohttp_server: Any,
    tmp_path: Path,
    artifacts: Path,
) -> None:
    clock = FakeClock()
    site = await start(aiohttp_server, tmp_path, clock)
    try:
        boss = await site.open_page(browser, "/manager", "manager")
        await boss.click("#tab-appointments")
        row = boss.locator("#appt-services tr[data-service='s-a']")
        await row.locator("input[name='enabled']").check()
        await row.locator("input[name='capacity_per_slot']").fill("3")
        await row.locator("button").click()
        await expect(boss.locator("#toasts")).to_contain_text("预约设置已生效")

        phone = await phone_slots(browser, site)
        first = phone.locator("#slots .slot").first
        await expect(first).to_contain_text("余 3 / 共 3")
        await row.locator("input[name='capacity_per_slot']").fill("5")
        async with boss.expect_response(lambda r: r.request.method == "PUT") as saved:
            await row.locator("button").click()
        assert (await saved.value).status == 200
        phone = await phone_slots(browser, site)  # another visit (answers are cached 5 s)
        first = phone.locator("#slots .slot").first
        await expect(first).to_contain_text("余 5 / 共 5")
        slot_start = await phone.locator("#slots .slot", has_text="10:00–11:00").get_attribute(
            "data-start"
        )
        assert slot_start is not None
        slot_day = await phone.locator("#days .chip[aria-checked=true]").get_attribute("data-day")
        assert slot_day is not None

        # A bad value is refused by the server and named.
        await row.locator("input[name='slot_minutes']").fill("5")
        await row.locator("button").click()
        await expect(boss.locator("#toasts .toast.error")).to_be_visible()
        await row.locator("input[name='slot_minutes']").fill("60")

        # The day's list, then a booking made meanwhile appears without a reload.
        await boss.fill("#appt-date", slot_day)
        await boss.dispatch_event("#appt-date", "change")
        await expect(boss.locator("#appt-list")).to_contain_text("这一天没有预约")
        made = await book(site, clock, slot_start)
        booking = boss.locator(f"#appt-list tr[data-code='{made['code']}']")
        await expect(booking).to_contain_text("已预约")
        await expect(booking).to_contain_text("138****5678")
        await expect(booking).to_contain_text(made["id_masked"])
        slot_row = boss.locator(f"#appt-slots tr[data-slot='s-a@{slot_start}']")
        await expect(slot_row.locator(".booked")).to_have_text("1 / 5")
        assert ID_NUMBER not in await boss.content()
        await boss.select_option("#appt-service", "s-b")
        await expect(boss.locator("#appt-list")).to_contain_text("这一天没有预约")
        await boss.select_option("#appt-service", "")
        await expect(booking).to_contain_text("已预约")

        # On the day, the kiosk checks it in: the status and ticket number flip live.
        start_at = datetime.fromisoformat(slot_start.replace("Z", "+00:00"))
        clock.now = start_at - timedelta(minutes=5)
        checked = await site.call(
            "kiosk", "POST", "/api/v1/halls/h1/appointments/check-in", {"code": made["code"]}
        )
        await expect(booking).to_contain_text("已签到")
        await expect(booking.locator(".appt-ticket")).to_have_text(checked["ticket"]["number"])
        await boss.screenshot(path=str(artifacts / "manager-appointments.png"), full_page=True)

        # Hall rules are edited in the same panel.
        await boss.fill("#appt-hall-form input[name='cancel_before_minutes']", "60")
        await boss.click("#appt-hall-form button[type='submit']")
        await expect(boss.locator("#toasts")).to_contain_text("预约规则已生效")
        rules = await site.call("manager", "GET", "/api/v1/halls/h1/appointment-rules")
        assert rules["hall"]["cancel_before_minutes"] == 60
    finally:
        await site.http.close()
