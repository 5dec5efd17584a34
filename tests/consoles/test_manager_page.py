"""The manager console in a real browser: steering applies to the next call, people, devices,
today's charts, the CSV report and the audit log."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser import browser  # noqa: F401 - fixture
from tests.consoles.pages import Site, start_site

pytestmark = pytest.mark.browser


async def queue_numbers(page: Page) -> list[str]:
    return await page.locator("#queue tbody tr td.ticket").all_inner_texts()


async def steer(site: Site, boss: Page, counter: Page, artifacts: Path) -> None:
    await site.issue("s-a")
    await site.issue("s-b")
    await boss.click("#tab-steer")
    # window 1 stops serving A: its next call is B001 although A001 came first
    await boss.fill("#profile-1 input[name='s-a']", "")
    await boss.click("#profile-save-1")
    await expect(counter.locator("#queue tbody tr")).to_have_count(1)
    await counter.keyboard.press("Space")
    await expect(counter.locator("#current-number")).to_have_text("B001")
    await boss.fill("#profile-1 input[name='s-a']", "1")
    await boss.click("#profile-save-1")
    await expect(counter.locator("#queue tbody tr")).to_have_count(1)

    # a green-channel ticket jumps ahead; with no bonus it falls behind again
    await site.call(
        "desk",
        "POST",
        "/api/v1/halls/h1/help-desk/tickets",
        {"service_id": "s-b", "green": True, "green_reason": "elderly"},
    )
    await expect(counter.locator("#queue tbody tr")).to_have_count(2)
    assert await queue_numbers(counter) == ["B002", "A001"]
    await boss.fill("#policy-form input[name='green_bonus']", "0")
    await boss.fill("#policy-form input[name='recall_limit']", "1")
    await boss.click("#policy-form button[type='submit']")
    await expect(counter.locator("#queue tbody tr").first).to_contain_text("A001", timeout=1000)
    await counter.keyboard.press("Space")
    await expect(counter.locator("#current-number")).to_have_text("A001")
    await expect(counter.locator("#recall-count")).to_have_text("0 / 1")

    # quotas and a notice
    row = boss.locator("#service-rules tr[data-service='s-b']")
    await row.locator("input[name='daily_quota']").fill("2")
    await row.locator("button").click()
    await expect(boss.locator("#toasts")).to_contain_text("公积金提取 已保存")
    async with site.http.post(
        f"{site.base}/api/v1/halls/h1/tickets",
        json={"service_id": "s-b"},
        headers={"Authorization": f"Bearer {await site.token('kiosk')}"},
    ) as response:
        assert response.status == 409
        assert (await response.json())["error"]["code"] == "quota_reached"
    await boss.fill("#notice-text", "午间窗口照常服务")
    await boss.click("#notice-form button")
    await expect(boss.locator("#toasts")).to_contain_text("公告已发布")
    await boss.screenshot(path=str(artifacts / "manager-steer.png"), full_page=True)


async def people_and_devices(site: Site, boss: Page, counter: Page, artifacts: Path) -> None:
    await boss.click("#tab-people")
    form = boss.locator("#add-clerk")
    await form.locator("input[name='username']").fill("clerk7")
    await form.locator("input[name='display_name']").fill("李四")
    await form.locator("input[name='password']").fill("a-good-password")
    await form.locator("select[name='window_id']").select_option("w3")
    await form.locator("button").click()
    await expect(boss.locator("#staff tr[data-user='clerk7']")).to_contain_text("李四")
    row = boss.locator("#staff tr[data-user='clerk7']")
    await row.locator("input[type='password']").fill("another-password")
    await row.locator("button").click()
    await expect(boss.locator("#toasts")).to_contain_text("密码已重置")
    async with site.http.post(
        f"{site.base}/api/v1/auth/login",
        json={"username": "clerk7", "password": "another-password"},
    ) as response:
        assert response.status == 200

    # the manager lets clerk 1 call out of order; the console offers it from the next event
    await boss.check("#perm-clerk1")
    await expect(boss.locator("#toasts")).to_contain_text("已授权越序叫号")
    await site.issue("s-a")
    await expect(counter.locator("#queue button", has_text="叫此号").first).to_be_visible()
    await counter.locator("#queue tr[data-ticket='A002'] button").click()
    await expect(counter.locator("#current-number")).to_have_text("A002")

    # a kiosk is registered, reports paper out, shows as a fault, and is revoked
    register = boss.locator("#register-device")
    await register.locator("select[name='role']").select_option("kiosk")
    await register.locator("input[name='label']").fill("2 号自助机")
    await register.locator("button").click()
    token = (await boss.locator("#new-token .token").inner_text()).strip()
    assert len(token) > 20
    async with site.http.post(
        f"{site.base}/api/v1/devices/heartbeat",
        json={"devices": [{"kind": "printer", "status": "fault", "detail": "paper_out"}]},
        headers={"Authorization": f"Bearer {token}"},
    ) as response:
        assert response.status == 200
    await boss.click("#tab-floor")
    await expect(boss.locator("#alarms li[data-kind='device']")).to_contain_text("paper_out")
    await boss.screenshot(path=str(artifacts / "manager-floor-alarms.png"), full_page=True)
    await boss.click("#tab-people")
    device = boss.locator("#devices tr", has_text="2 号自助机")
    await expect(device).to_contain_text("fault")
    await boss.screenshot(path=str(artifacts / "manager-people.png"), full_page=True)
    boss.once("dialog", lambda dialog: dialog.accept())
    await device.locator("button").click()
    await expect(boss.locator("#devices tr", has_text="2 号自助机")).to_contain_text("已吊销")

    # a counter agent's token is bound to the window it serves
    await register.locator("select[name='role']").select_option("counter")
    await register.locator("input[name='label']").fill("1 号窗口呼叫器")
    await register.locator("button").click()
    await expect(boss.locator("#toasts")).to_contain_text("窗口设备须选择窗口")
    await register.locator("select[name='window']").select_option("w1")
    await register.locator("button").click()
    await expect(boss.locator("#new-token .token")).not_to_have_text(token)
    counter_token = (await boss.locator("#new-token .token").inner_text()).strip()
    async with site.http.get(
        f"{site.base}/api/v1/windows/w1/counter",
        headers={"Authorization": f"Bearer {counter_token}"},
    ) as response:
        assert response.status == 200, await response.text()


async def windows_from_the_floor(boss: Page, counter: Page) -> None:
    await boss.click("#tab-floor")
    await boss.locator("#win-3 button[data-move='pause']").click()
    await expect(boss.locator("#win-3 .state")).to_have_text("暂停")
    await boss.locator("#win-3 button[data-move='resume']").click()
    await expect(boss.locator("#win-3 .state")).to_have_text("开放")
    await boss.locator("#win-1 button[data-move='pause']").click()
    await expect(counter.locator("#window-state")).to_have_text("暂停", timeout=1000)
    await boss.locator("#win-1 button[data-move='resume']").click()
    await expect(counter.locator("#window-state")).to_have_text("开放", timeout=1000)


async def today_and_audit(site: Site, boss: Page, artifacts: Path) -> None:
    await boss.click("#tab-today")
    await expect(boss.locator("#issued-today")).to_have_text("4")
    assert await boss.locator("#chart-hourly svg rect").count() >= 2
    assert await boss.locator("#chart-waits svg rect").count() >= 1
    await expect(boss.locator("#chart-noshow svg")).to_be_visible()
    await boss.screenshot(path=str(artifacts / "manager-today.png"), full_page=True)
    async with boss.expect_download() as download_info:
        await boss.click("#export-csv")
    download = await download_info.value
    path = await download.path()
    text = await asyncio.to_thread(Path(path).read_text, encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("number,service_code,service,class")
    assert len(text.strip().splitlines()) == 5
    await boss.click("#tab-audit")
    audit = boss.locator("#audit")
    for action in (
        "window.profile",
        "hall.rules",
        "service.rules",
        "notice.posted",
        "staff.added",
        "staff.password_reset",
        "staff.updated",
        "ticket.call_specific",
        "device.registered",
        "device.revoked",
    ):
        await expect(audit).to_contain_text(action)
    await boss.screenshot(path=str(artifacts / "manager-audit.png"))


async def test_manager_steers_the_hall_live(
    browser: Browser,  # noqa: F811
    aiohttp_server: Any,
    tmp_path: Path,
    artifacts: Path,
) -> None:
    site, _ = await start_site(aiohttp_server, tmp_path)
    try:
        boss = await site.open_page(browser, "/manager", "manager")
        counter = await site.open_page(browser, "/counter", "clerk1")
        await steer(site, boss, counter, artifacts)
        await people_and_devices(site, boss, counter, artifacts)
        await windows_from_the_floor(boss, counter)
        await today_and_audit(site, boss, artifacts)
    finally:
        await site.http.close()
