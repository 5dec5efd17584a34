"""The mobile pages in a 360x740 phone viewport: search, hall, remote ticket, lapse, outbox."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, expect

from tests.browser import browser  # noqa: F401 - fixture
from tests.queue_server.site import test_site
from tests.remote.phone_rig import PhoneRig, phone_rig

PHONE = "13812345678"


def two_halls() -> dict[str, Any]:
    """The test hall plus a second hall that closes at 10:40 (issuing stops at 10:25)."""
    site = test_site()
    other = copy.deepcopy(site["halls"][0])
    other.update(
        id="h2",
        name="西湖区行政服务中心",
        name_en="Xihu service centre",
        address="文三路 2 号",
        lat=30.28,
        lon=120.12,
    )
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    other["schedule"] = {
        "timezone": "Asia/Shanghai",
        "weekly": {key: [["08:30", "10:40"]] for key in days},
    }
    for service in other["services"]:
        service["id"] = service["id"].replace("s-", "x-")
    for window in other["windows"]:
        window["id"] = "x" + window["id"]
        window["profile"] = {"x-a": 1, "x-b": 1}
    other["windows"] = other["windows"][:1]
    site["halls"].append(other)
    site["staff"][0]["halls"] = ["h1", "h2"]
    return site


BUZZ = "window.__buzz = []; navigator.vibrate = (p) => { window.__buzz.push(p); return true; };"


class Site(PhoneRig):
    """The rig for two halls, with a located phone that records its vibrations."""


@pytest.fixture
async def site(
    browser: Browser,  # noqa: F811
    aiohttp_server: Any,
    aiohttp_client: Any,
    tmp_path: Path,
) -> AsyncIterator[Site]:
    located = {
        "geolocation": {"latitude": 30.27, "longitude": 120.13},
        "permissions": ["geolocation"],
    }
    rig = phone_rig(browser, aiohttp_server, aiohttp_client, tmp_path, two_halls(), **located)
    async with rig as (server, client, clock, context):
        await context.add_init_script(BUZZ)
        yield Site(server, client, clock, context, {})


async def test_service_first_search_ranks_halls_and_hall_page(site: Site, artifacts: Path) -> None:
    for _ in range(3):
        await site.as_("kiosk", "POST", "/api/v1/halls/h1/tickets", {"service_id": "s-b"})
    sizes: list[int] = []
    page = await site.context.new_page()

    async def count(response: Any) -> None:
        try:
            sizes.append(len(await response.body()))
        except Exception:  # redirects and aborted bodies count as nothing
            sizes.append(0)

    page.on("response", count)
    await page.goto(site.url("/mobile"))
    await expect(page.locator("#results .card").first).to_be_visible()
    await page.wait_for_load_state("networkidle")
    assert 0 < sum(sizes) < 100_000, f"first page transferred {sum(sizes)} bytes"
    initials = await page.evaluate(
        "import('/static/mobile/pinyin.js').then(m => ['不动产登记','公积金提取','户籍证明开具']"
        ".map(m.initials))"
    )
    assert initials == ["BDCDJ", "GJJTQ", "HJZMKJ"]
    await page.fill("#q", "gjj")
    await expect(page.locator("#results .card")).to_have_count(1)
    await expect(page.locator("#results .card h3")).to_have_text("公积金提取")
    await page.fill("#q", "330100-001")
    await expect(page.locator("#results .card h3")).to_have_text("不动产登记")
    await page.screenshot(path=str(artifacts / "mobile-search.png"), full_page=True)
    await page.fill("#q", "GJJ")
    await page.locator("#results .card").first.click()
    await expect(page.locator("#offer-h1")).to_contain_text("3 人等候")
    await expect(page.locator("#offer-h2")).to_contain_text("即将停止取号 · 25 分钟")
    await page.click("#locate")
    await expect(page.locator("#offer-h1")).to_contain_text("公里")
    await page.screenshot(path=str(artifacts / "mobile-service-halls.png"), full_page=True)
    text = await page.content()
    assert PHONE not in text
    await page.locator("#offer-h1 h3 a").click()
    await expect(page.locator("h1")).to_have_text("测试大厅")
    await expect(page.locator("#crowd svg")).to_be_visible()
    href = await page.locator("#map").get_attribute("href")
    assert href is not None and href.startswith("https://uri.amap.com/marker?position=120.16,30.25")
    await page.screenshot(path=str(artifacts / "mobile-hall.png"), full_page=True)
    await page.click("#lang")
    await page.click("#big")
    await expect(page.locator("h1")).to_have_text("Test hall")
    await page.screenshot(path=str(artifacts / "mobile-hall-en-large.png"), full_page=True)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, "nothing overflows a 360 px phone"


async def test_remote_ticket_through_check_in_to_being_called(site: Site, artifacts: Path) -> None:
    for _ in range(4):
        await site.as_("kiosk", "POST", "/api/v1/halls/h1/tickets", {"service_id": "s-b"})
    page = await site.page("/mobile#/take/h1/s-b")
    await page.fill("#phone", PHONE)
    await page.click("#send")
    await expect(page.locator("#sent")).to_contain_text("138****5678")
    await page.fill("#code", await site.code())
    await page.screenshot(path=str(artifacts / "mobile-take.png"), full_page=True)
    await page.click("#submit")
    await expect(page.locator("#number")).to_have_text("B005")
    await expect(page.locator("#status")).to_have_text("已取号，未到场")
    await expect(page.locator("#ahead")).to_have_text("4 人")
    code = await page.locator("#checkin-code").inner_text()
    await page.screenshot(path=str(artifacts / "mobile-ticket-not-arrived.png"), full_page=True)
    ticket_id = page.url.split("#/ticket/")[1].split("/")[0]

    # Checking in at a kiosk with the code; the page follows over SSE.
    r = await site.as_("kiosk", "POST", f"/api/v1/tickets/{ticket_id}/check-in", {"code": code})
    assert r.status == 200
    await expect(page.locator("#status")).to_have_text("排队中")
    await site.as_("manager", "POST", "/api/v1/windows/w1/call-next")
    await expect(page.locator("#ahead")).to_have_text("3 人")

    # Three ahead is the hall's reminder threshold: the reminder goes out while it still waits.
    outbox = await site.context.new_page()
    near = outbox.locator(".msg", has_text="前面还有")
    for _ in range(50):
        await outbox.goto(site.url("/m-outbox"))
        if await near.count():
            break
        await outbox.wait_for_timeout(100)
    await expect(near).to_have_count(1)

    for window in ("w2", "w3", "w1", "w2"):
        await site.as_("manager", "POST", f"/api/v1/windows/{window}/call-next")
    await expect(page.locator("#called")).to_have_text("请到 2 号窗口办理")
    assert await page.evaluate("window.__buzz.length") == 1, "vibrates once when called"
    await page.screenshot(path=str(artifacts / "mobile-ticket-called.png"), full_page=True)

    await outbox.goto(site.url("/m-outbox"))
    await expect(outbox.locator(".msg").first).to_be_visible()
    await expect(near).to_have_count(1)
    await expect(near).to_contain_text("138****5678")
    await outbox.screenshot(path=str(artifacts / "mobile-outbox.png"), full_page=True)
    assert PHONE not in await outbox.content()


async def test_remote_ticket_lapses_when_not_arrived(site: Site, artifacts: Path) -> None:
    await site.as_("kiosk", "POST", "/api/v1/halls/h1/tickets", {"service_id": "s-b"})
    await site.client.post("/api/v1/remote/otp", json={"phone": PHONE})
    r = await site.client.post(
        "/api/v1/halls/h1/remote-tickets",
        json={"service_id": "s-b", "phone": PHONE, "code": await site.code()},
    )
    ticket = (await r.json())["ticket"]
    page = await site.page(f"/mobile?t={ticket['id']}&token={ticket['track_token']}")
    await expect(page.locator("#status")).to_have_text("已取号，未到场")
    await expect(page.locator("#ahead")).to_have_text("1 人")
    await site.as_("manager", "POST", "/api/v1/windows/w1/call-next")
    await expect(page.locator("#ahead")).to_have_text("0 人")
    await page.wait_for_timeout(300)
    site.clock.advance(10.5)
    await expect(page.locator("#status")).to_have_text("已作废（未按时到场）", timeout=5000)
    await page.screenshot(path=str(artifacts / "mobile-ticket-lapsed.png"), full_page=True)


async def test_phone_checks_in_with_the_entrance_code_and_cancels_another(
    site: Site, artifacts: Path
) -> None:
    page = await site.page("/mobile#/take/h1/s-a")
    await page.click("#lang")
    await page.fill("#phone", PHONE)
    await page.click("#send")
    await expect(page.locator("#sent")).to_contain_text("138****5678")
    await page.fill("#code", await site.code())
    await page.click("#submit")
    await expect(page.locator("#status")).to_have_text("Taken, not yet arrived")
    await page.fill("#entrance", "000000")
    await page.click("#do-checkin")
    await expect(page.locator("#err")).to_contain_text("entrance")
    await site.as_("kiosk", "GET", "/api/v1/halls/h1/entrance-code")
    screen = await site.page(f"/m-entrance?hall=h1#token={site.tokens['kiosk']}")
    await expect(screen.locator("#qr svg")).to_be_visible()
    code = await screen.locator("#code").inner_text()
    assert len(code) == 6
    await screen.screenshot(path=str(artifacts / "mobile-entrance-screen.png"), full_page=True)
    entrance = await (await site.as_("kiosk", "GET", "/api/v1/halls/h1/entrance-code")).json()
    assert entrance["code"] == code
    assert entrance["checkin_url"].endswith(f"/mobile#/checkin/h1/{code}")
    await page.goto(entrance["checkin_url"])
    await expect(page.locator("#status")).to_have_text("Waiting")
    await page.screenshot(path=str(artifacts / "mobile-checked-in-en.png"), full_page=True)
    # Cancel it with a fresh code of the same phone.
    site.clock.advance(1.5)
    await page.locator("details summary").click()
    await page.fill("#cphone", PHONE)
    await page.click("#csend")
    await expect(page.locator("#err")).to_contain_text("138****5678")
    await page.fill("#ccode", await site.code())
    await page.click("#do-cancel")
    await expect(page.locator("#status")).to_have_text("Cancelled")
