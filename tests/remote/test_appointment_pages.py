"""Appointments on the phone page in a 360x740 viewport: book, see, cancel, check in."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from playwright.async_api import Browser, Page, expect

from devices.camera.qr import QrDecoder
from kiosk.samples import id_number
from tests.browser import browser  # noqa: F401 - fixture
from tests.queue_server.site import test_site
from tests.remote.phone_rig import PhoneRig, phone_rig

pytestmark = pytest.mark.browser

PHONE = "13812345678"
ID_NUMBER = id_number(date(1985, 6, 1), 123)
WEEKDAY = [["08:30", "12:00"], ["13:30", "17:00"]]


def weekday_hall() -> dict[str, Any]:
    """The test hall open Monday to Friday with a lunch break, closed at weekends."""
    site = test_site()
    hours = dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), WEEKDAY)
    site["halls"][0]["schedule"]["weekly"] = {**hours, "sat": [], "sun": []}
    return site


@dataclass
class Phone(PhoneRig):
    """The rig with the appointment helpers."""

    async def rules(self, **service: Any) -> None:
        change = {"services": [{"service_id": "s-a", "enabled": True, **service}]}
        r = await self.as_("manager", "PUT", "/api/v1/halls/h1/appointment-rules", change)
        assert r.status == 200, await r.text()

    async def slots(self) -> list[dict[str, Any]]:
        r = await self.client.get("/api/v1/halls/h1/services/s-a/slots")
        assert r.status == 200, await r.text()
        return [slot for day in (await r.json())["days"] for slot in day["slots"]]

    async def book(self, phone: str, id_no: str, slot_start: str) -> dict[str, Any]:
        """Book over HTTP as another phone would: a fresh one-time code, then the booking."""
        self.clock.advance(1.1)
        r = await self.client.post("/api/v1/remote/otp", json={"phone": phone})
        assert r.status == 202, await r.text()
        body = {
            "service_id": "s-a",
            "slot_start": slot_start,
            "phone": phone,
            "code": await self.code(phone),
            "id_number": id_no,
        }
        r = await self.client.post("/api/v1/halls/h1/appointments", json=body)
        assert r.status == 201, await r.text()
        made: dict[str, Any] = await r.json()
        return made

    async def holding(self, made: dict[str, Any]) -> Page:
        """A phone page that keeps the holder token of ``made``, showing that appointment."""
        a = made["appointment"]
        kept = {a["id"]: {"holder": made["holder_token"], "hall_id": "h1", "code": a["code"]}}
        page = await self.page("/mobile")
        await page.evaluate("(v) => localStorage.setItem('ov.appts', v)", json.dumps(kept))
        await page.goto(self.url(f"/mobile#/appt/{a['id']}"))
        return page


@pytest.fixture
async def phone(
    browser: Browser,  # noqa: F811
    aiohttp_server: Any,
    aiohttp_client: Any,
    tmp_path: Path,
) -> AsyncIterator[Phone]:
    rig = phone_rig(browser, aiohttp_server, aiohttp_client, tmp_path, weekday_hall())
    async with rig as (server, client, clock, context):
        yield Phone(server, client, clock, context, {}, page_timeout_ms=5000)


def qr_text(png: bytes) -> list[str]:
    """What a kiosk camera reads from a screenshot of the code."""
    frame = cv2.imdecode(np.frombuffer(png, dtype=np.uint8), cv2.IMREAD_COLOR)
    return QrDecoder().decode(np.asarray(frame, dtype=np.uint8))


async def shot(page: Page, path: Path) -> None:
    """A full-page screenshot from the top (the header is sticky)."""
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=str(path), full_page=True)


async def no_overflow(page: Page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width} px wide on a 360 px phone"


async def test_book_a_slot_see_the_code_and_check_in(phone: Phone, artifacts: Path) -> None:
    await phone.rules(capacity_per_slot=3, slot_minutes=60)
    await phone.as_("kiosk", "GET", "/healthz")  # registered now: staff sessions end overnight
    page = await phone.page("/mobile#/hall/h1")
    book = page.locator(".bookable[data-service='s-a'] a.book")
    await expect(book).to_be_visible()
    await expect(page.locator(".bookable[data-service='s-b'] a")).to_have_count(0)
    await shot(page, artifacts / "mobile-hall-bookable.png")
    await book.click()

    # Days: only working days; slots: inside the hours, never across lunch.
    await expect(page.locator("#days .chip").first).to_be_visible()
    days = await page.locator("#days .chip").all_inner_texts()
    assert days and not any("周六" in d or "周日" in d for d in days), days
    times = await page.locator("#slots .slot b").all_inner_texts()
    assert times[0] == "08:30–09:30" and "12:30–13:30" not in times, times
    assert all(t < "17:00" for t in times)
    await expect(page.locator("#slots .slot").first).to_contain_text("余 3 / 共 3")
    await page.locator("#slots .slot").nth(1).click()
    await expect(page.locator("#chosen")).to_contain_text("09:30–10:30")
    slot_start = await page.locator("#slots .slot[aria-checked=true]").get_attribute("data-start")

    await page.fill("#phone", PHONE)
    await page.click("#send")
    await expect(page.locator("#sent")).to_contain_text("138****5678")
    await page.fill("#code", await phone.code(PHONE))
    await page.fill("#idno", ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1"))
    await expect(page.locator("#idcheck")).to_have_text("最后一位校验码不对，请核对号码")
    await expect(page.locator("#submit")).to_be_disabled()
    await page.fill("#idno", ID_NUMBER)
    await expect(page.locator("#idcheck")).to_have_text("号码校验通过")
    await shot(page, artifacts / "mobile-book-form.png")
    await no_overflow(page)
    await page.click("#submit")

    await expect(page.locator("#appt-status")).to_have_text("已预约")
    code = (await page.locator("#appt-code").inner_text()).replace(" ", "")
    assert len(code) == 10 and code.isdigit()
    await expect(page.locator("#cutoff")).to_contain_text("前可取消")
    await expect(page.locator("#id-masked")).to_contain_text("*")
    await expect(page.locator("#address")).to_have_text("测试路 1 号")
    href = await page.locator("#map").get_attribute("href")
    assert href is not None and href.startswith("https://uri.amap.com/marker?position=120.16,30.25")
    assert qr_text(await page.locator("#qr svg").screenshot()) == [f"APPT:{code}"]
    await shot(page, artifacts / "mobile-appointment.png")
    await no_overflow(page)
    everything = await page.content() + await page.evaluate("JSON.stringify(localStorage)")
    assert PHONE not in everything and ID_NUMBER not in everything

    # "My appointments" lists it; on the day, the kiosk checks it in and the page follows.
    await page.goto(phone.url("/mobile#/"))
    await page.click("#my-appts")
    await expect(page.locator(f"[data-appt] >> text={'已预约'}")).to_be_visible()
    await page.locator("[data-appt]").first.click()
    await expect(page.locator("#appt-code")).to_be_visible()
    assert slot_start is not None
    start = datetime.fromisoformat(slot_start.replace("Z", "+00:00"))
    phone.clock.now = start - timedelta(minutes=5)
    r = await phone.as_("kiosk", "POST", "/api/v1/halls/h1/appointments/check-in", {"code": code})
    assert r.status == 200, await r.text()
    number = (await r.json())["ticket"]["number"]
    await expect(page.locator("#appt-status")).to_have_text("已签到")
    await expect(page.locator("#checked-in")).to_contain_text(number)
    await shot(page, artifacts / "mobile-appointment-checked-in.png")
    await page.click("#to-ticket")
    await expect(page.locator("#number")).to_have_text(number)


async def test_cancel_before_the_cut_off_and_refused_after(phone: Phone, artifacts: Path) -> None:
    await phone.rules(capacity_per_slot=2)
    slots = await phone.slots()
    first = await phone.book(PHONE, ID_NUMBER, slots[2]["start"])
    page = await phone.holding(first)
    await expect(page.locator("#cutoff")).to_contain_text("前可取消")
    await page.click("#cancel")
    await page.click("#cancel-yes")
    await expect(page.locator("#appt-status")).to_have_text("已取消")
    await expect(page.locator("#cancel")).to_have_count(0)

    # Another booking, and the clock passes its cut-off while the page still offers to cancel.
    later = await phone.book("13900001111", id_number(date(1990, 1, 2), 7), slots[3]["start"])
    page = await phone.holding(later)
    await expect(page.locator("#cancel")).to_be_visible()
    cut_off = datetime.fromisoformat(later["appointment"]["cancel_until"].replace("Z", "+00:00"))
    phone.clock.now = cut_off + timedelta(minutes=1)
    await page.click("#cancel")
    await page.click("#cancel-yes")
    await expect(page.locator("#err")).to_contain_text("已过取消截止时间")
    await expect(page.locator("#appt-status")).to_have_text("已预约")
    await expect(page.locator("#cancel")).to_have_count(0)
    await expect(page.locator("#cutoff")).to_contain_text("不能再取消")
    await shot(page, artifacts / "mobile-appointment-too-late.png")


async def test_a_slot_taken_meanwhile_is_refused_politely(phone: Phone, artifacts: Path) -> None:
    await phone.rules(capacity_per_slot=1)
    page = await phone.page("/mobile#/book/h1/s-a")
    slot = page.locator("#slots .slot").first
    await expect(slot).to_contain_text("余 1 / 共 1")
    start = await slot.get_attribute("data-start")
    assert start is not None
    await slot.click()
    await page.fill("#phone", PHONE)
    await page.click("#send")
    await expect(page.locator("#sent")).to_contain_text("138****5678")
    code = await phone.code(PHONE)
    await phone.book("13900002222", id_number(date(1979, 3, 4), 5), start)
    await page.fill("#code", code)
    await page.fill("#idno", ID_NUMBER)
    await page.click("#submit")
    await expect(page.locator("#slot-err")).to_have_text(
        "抱歉，这个时段刚刚约满了，请选择其他时段。"
    )
    await expect(page.locator("#slot-err")).to_be_visible()
    await expect(page.locator("#book")).to_be_hidden()
    await expect(page.locator(f"#slots .slot[data-start='{start}']")).to_be_disabled()
    await expect(page.locator(f"#slots .slot[data-start='{start}']")).to_contain_text("已约满")
    await shot(page, artifacts / "mobile-book-slot-full.png")


async def test_english_large_text_fits_a_small_phone(phone: Phone, artifacts: Path) -> None:
    await phone.rules(capacity_per_slot=4)
    page = await phone.page("/mobile#/svc/不动产登记")
    await page.click("#lang")
    await page.click("#big")
    await expect(page.locator("#offer-h1 .bookable")).to_contain_text("First free: Tue 24 Nov")
    await shot(page, artifacts / "mobile-service-bookable-en-large.png")
    await page.locator("#offer-h1 a.book").click()
    await expect(page.locator("h1")).to_have_text("Book an appointment")
    await page.locator("#slots .slot").first.click()
    await expect(page.locator("#chosen")).to_contain_text("Your time:")
    await page.fill("#idno", "0")
    await expect(page.locator("#idcheck")).to_have_text("The first digit cannot be 0")
    await shot(page, artifacts / "mobile-book-en-large.png")
    await no_overflow(page)
    slots = await phone.slots()
    made = await phone.book(PHONE, ID_NUMBER, slots[0]["start"])
    page = await phone.holding(made)
    await expect(page.locator("#appt-status")).to_have_text("Booked")
    await expect(page.locator("#cutoff")).to_contain_text("You can cancel until")
    await shot(page, artifacts / "mobile-appointment-en-large.png")
    await no_overflow(page)
    everything = await page.content()
    assert PHONE not in everything and ID_NUMBER not in everything


CONTRACT_ERRORS = [
    "slot_full",
    "slot_not_open",
    "appointments_disabled",
    "daily_limit",
    "weekly_limit",
    "booking_blocked",
    "too_late_to_cancel",
    "not_cancellable",
    "invalid_id_number",
    "invalid_phone",
    "bad_code",
    "code_too_soon",
    "too_many_codes",
    "too_many_phones",
    "rate_limited",
    "not_found",
]


async def test_refusals_are_explained_in_both_languages(phone: Phone) -> None:
    await phone.rules(capacity_per_slot=2)
    slots = await phone.slots()
    await phone.book("13900003333", ID_NUMBER, slots[0]["start"])
    page = await phone.page("/mobile#/book/h1/s-a")
    await page.locator(f"#slots .slot[data-start='{slots[1]['start']}']").click()
    other = "13700001234"
    await page.fill("#phone", other)
    await page.click("#send")
    await expect(page.locator("#sent")).to_contain_text("137****1234")
    await page.fill("#code", await phone.code(other))
    await page.fill("#idno", ID_NUMBER)
    await page.click("#submit")
    await expect(page.locator("#err")).to_have_text(
        "同一身份证号每天最多预约 1 次，您这一天的预约已达上限。"
    )
    texts = await page.evaluate(
        "(codes) => import('/static/mobile/i18n.js').then((m) => codes.map((c) =>"
        " [c, m.TEXT.zh['ap_' + c], m.TEXT.en['ap_' + c]]))",
        CONTRACT_ERRORS,
    )
    missing = [code for code, zh, en in texts if not zh or not en]
    assert not missing, f"no polite message for {missing}"
    # A booking this phone remembers but the server does not know (or a wrong holder token).
    kept = json.dumps({"a-unknown": {"holder": "not-the-token", "hall_id": "h1"}})
    await page.evaluate("(v) => localStorage.setItem('ov.appts', v)", kept)
    await page.goto(phone.url("/mobile#/appt/a-unknown"))
    await expect(page.locator("#err")).to_have_text("没有找到这个预约。")
