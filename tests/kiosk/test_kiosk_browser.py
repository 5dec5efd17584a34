"""Every citizen flow of the kiosk, end to end: real hall server, real agent on simulated
devices, the real page in Debian's Chromium. Screenshots go to test-artifacts/kiosk-*.png."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page, expect

from kiosk.agent import Agent
from kiosk.samples import id_number
from queue_server.api.http import state_key
from tests.browser import browser  # noqa: F401 - fixture
from tests.kiosk import harness
from tests.queue_server.conftest import FakeClock
from tests.queue_server.site import PASSWORD

pytestmark = pytest.mark.browser
VIEWPORT = {"width": 1080, "height": 1350}
A11Y_JS = (Path(__file__).parent / "a11y.js").read_text(encoding="utf-8")


@dataclass
class Kiosk:
    server: TestServer
    agent: Agent
    page: Page
    http: aiohttp.ClientSession
    shots: Path

    async def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        async with self.http.post(self.agent.url + path, json=body or {}) as response:
            return await response.json()

    async def place(self, person: str = "adult") -> None:
        await self.post("/sim/card", {"person": person})

    async def receipts(self) -> list[dict[str, Any]]:
        async with self.http.get(self.agent.url + "/sim/receipts") as response:
            data: list[dict[str, Any]] = (await response.json())["receipts"]
            return data

    async def manager(self, path: str) -> Any:
        login = await self.http.post(
            self.server.make_url("/api/v1/auth/login"),
            json={"username": "manager", "password": PASSWORD},
        )
        token = (await login.json())["token"]
        async with self.http.get(
            self.server.make_url(path), headers={"Authorization": f"Bearer {token}"}
        ) as response:
            return await response.json()

    async def shot(self, name: str) -> None:
        await self.page.screenshot(path=str(self.shots / f"kiosk-{name}.png"))

    async def tap(self, text: str) -> None:
        await self.page.get_by_role("button", name=text, exact=True).click()


MakeKiosk = Callable[..., Awaitable[Kiosk]]


@pytest.fixture
async def make_kiosk(
    browser: Browser,  # noqa: F811
    aiohttp_server: Any,
    tmp_path: Path,
    artifacts: Path,
) -> AsyncIterator[MakeKiosk]:
    made: list[tuple[Agent, aiohttp.ClientSession]] = []

    async def make(
        site: dict[str, Any] | None = None,
        setup: Callable[[web.Application], None] | None = None,
        **extra: Any,
    ) -> Kiosk:
        site_data = site or harness.kiosk_site()

        async def serve(app: web.Application) -> TestServer:
            if setup is not None:
                setup(app)
            server: TestServer = await aiohttp_server(app)
            return server

        server = await harness.start_server(tmp_path, site_data, serve)
        token = await harness.kiosk_token(server)
        url = str(server.make_url("")).rstrip("/")
        agent = await harness.start_agent(harness.config(url, token, tmp_path / "kiosk", **extra))
        http = aiohttp.ClientSession()
        made.append((agent, http))
        page = await browser.new_page(viewport=VIEWPORT)
        await page.goto(agent.url + "/")
        await expect(page.locator("#hall-name")).to_have_text("测试大厅", timeout=10_000)
        return Kiosk(server, agent, page, http, artifacts)

    yield make
    for agent, http in made:
        await http.close()
        await agent.stop()


async def test_card_flow_greets_lists_services_shows_materials_issues_and_prints(
    make_kiosk: MakeKiosk,
) -> None:
    k = await make_kiosk()
    await expect(k.page.locator("main")).to_contain_text("请将身份证放在感应区")
    await k.shot("idle")
    await k.place("adult")
    await expect(k.page.locator("h1")).to_have_text("您好，张*")
    await expect(k.page.locator("main h2").first).to_have_text("市规划和自然资源局")
    assert "110" not in await k.page.content()  # no ID number on screen
    await k.page.fill("#search", "公积金")
    await expect(k.page.locator("#svc-s-a")).to_have_count(0)
    await k.shot("services-search")
    await k.page.fill("#search", "")
    await k.page.locator("#svc-s-a").click()
    await expect(k.page.locator("ol.materials li")).to_have_count(2)
    await expect(k.page.locator("main")).to_contain_text("一次性告知")
    await k.shot("materials")
    await k.tap("确认取号")
    await expect(k.page.locator("#number")).to_have_text("A021")
    await expect(k.page.locator("#ahead")).to_have_text("前面还有 0 人等候")
    await expect(k.page.locator("#eta")).to_contain_text("预计等候")
    await expect(k.page.locator("main")).to_contain_text("请取走号票")
    await expect(k.page.locator(".qr img")).to_be_visible()
    await k.shot("ticket")
    receipt = (await k.receipts())[-1]
    assert "A021" in receipt["lines"]
    assert receipt["qr"][0].startswith(str(k.server.make_url("/mobile?t=")))
    assert k.agent.flow.person is None  # nothing personal once the ticket exists


async def test_elder_mode_green_channel_and_accessibility_numbers(make_kiosk: MakeKiosk) -> None:
    k = await make_kiosk()
    await k.tap("长辈模式")
    await k.place("elder")
    await expect(k.page.locator(".greet .badge")).to_have_text("绿色通道")
    sizes = await k.page.evaluate(A11Y_JS)
    assert sizes["minFont"] >= 30, sizes
    assert sizes["minTarget"] >= 60, sizes
    assert sizes["minContrast"] >= 4.5, sizes
    await k.shot("elder-services")
    await k.page.locator("#svc-s-a").click()
    await k.tap("确认取号")
    await expect(k.page.locator("#number")).to_have_text("A021")
    await expect(k.page.locator(".ticket .badge")).to_have_text("绿色通道")
    await k.shot("elder-ticket")
    floor = await k.manager("/api/v1/halls/h1/floor")
    assert any(w for w in floor["windows"])  # the hall runs; the ticket is green on the server
    queue = await k.manager("/api/v1/windows/w1/queue")
    assert "green" in str(queue)


async def test_english_typed_id_with_check_digit_validated_as_typed(make_kiosk: MakeKiosk) -> None:
    k = await make_kiosk()
    await k.tap("English")
    await expect(k.page.locator("main h1")).to_have_text("Take a ticket")
    await k.tap("Type my ID number")
    number = id_number(date(1990, 3, 7), 1)
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    for key in wrong:
        await k.page.locator(f'.keypad button[data-value="{key}"]').click()
    await expect(k.page.locator("#check")).to_have_text(
        "The last character does not match: please check"
    )
    await expect(k.page.locator("#submit")).to_be_disabled()
    await k.shot("en-keypad-wrong")
    await k.page.get_by_role("button", name="Delete").click()
    await k.page.locator(f'.keypad button[data-value="{number[17]}"]').click()
    await expect(k.page.locator("#check")).to_have_text("Number looks right")
    await k.page.locator("#submit").click()
    await expect(k.page.locator("main h1")).to_have_text("Choose a service")
    await k.page.locator("#svc-s-b").click()
    await expect(k.page.locator("#online-note")).to_contain_text("Zheliban")
    await k.shot("en-materials")
    await k.tap("Take ticket")
    await expect(k.page.locator("#number")).to_have_text("B021")
    await expect(k.page.locator("#ahead")).to_have_text("0 people ahead of you")
    await k.shot("en-ticket")


async def test_walk_in_without_id_only_offers_services_that_allow_it(
    make_kiosk: MakeKiosk,
) -> None:
    k = await make_kiosk()
    await k.tap("无身份证取号")
    await expect(k.page.locator("#svc-s-a")).to_be_disabled()
    await expect(k.page.locator("#svc-s-a")).to_contain_text("需身份证")
    await k.shot("walk-in")
    await k.page.locator("#svc-s-b").click()
    await k.tap("确认取号")
    await expect(k.page.locator("#number")).to_have_text("B021")


async def test_second_ticket_offers_a_reprint_of_the_same_number(make_kiosk: MakeKiosk) -> None:
    k = await make_kiosk()
    await k.place("young")
    await k.page.locator("#svc-s-a").click()
    await k.tap("确认取号")
    await expect(k.page.locator("#number")).to_have_text("A021")
    await k.tap("完成")
    await k.post("/sim/lift")
    await expect(k.page.locator("main")).to_contain_text("请将身份证放在感应区")
    await k.place("young")
    await k.page.locator("#svc-s-a").click()
    await k.tap("确认取号")
    await expect(k.page.locator("main h1")).to_have_text("您今天已取过该事项的号：A021")
    await k.shot("duplicate")
    await k.tap("重新打印")
    await expect(k.page.locator("#number")).to_have_text("A021")
    await expect(k.page.locator("main")).to_contain_text("补打号票")
    await expect(k.page.locator("main")).to_contain_text("请取走号票")
    receipts = await k.receipts()
    assert len([r for r in receipts if "A021" in r["lines"]]) == 2


async def test_quota_reached_says_when_to_come_back_and_where_else(make_kiosk: MakeKiosk) -> None:
    k = await make_kiosk(site=harness.kiosk_site(quota=1))
    for first in (True, False):
        await k.tap("无身份证取号")
        await k.page.locator("#svc-s-b").click()
        await k.tap("确认取号")
        if first:
            await expect(k.page.locator("#number")).to_have_text("B021")
            await k.tap("完成")
    await expect(k.page.locator("#refusal")).to_have_text("今天该事项的号已经取完了")
    await expect(k.page.locator("#alternatives")).to_contain_text("城西分中心")
    await k.shot("quota")


async def test_closed_hall_says_when_to_come_back(make_kiosk: MakeKiosk) -> None:
    site = harness.kiosk_site()
    site["halls"][0]["schedule"]["weekly"] = {}
    site["halls"][0]["schedule"]["calendar"] = []
    k = await make_kiosk(site=site)
    await k.tap("无身份证取号")
    await k.page.locator("#svc-s-b").click()
    await k.tap("确认取号")
    await expect(k.page.locator("#refusal")).to_have_text("大厅现在不办公")
    await expect(k.page.locator("#alternatives")).to_contain_text("城西分中心")
    await k.shot("closed")


async def test_lifted_card_asks_to_continue_then_clears_everything(make_kiosk: MakeKiosk) -> None:
    k = await make_kiosk()
    k.agent.flow.ask_seconds = 2.0
    await k.place("adult")
    await expect(k.page.locator("h1")).to_have_text("您好，张*")
    await k.post("/sim/lift")
    await expect(k.page.locator("main h1")).to_have_text("还需要继续吗？")
    await expect(k.page.locator("footer")).to_contain_text("还需要继续吗")
    await k.shot("ask-continue")
    await k.tap("继续办理")
    await expect(k.page.locator("h1")).to_have_text("您好，张*")
    await k.place("adult")
    await asyncio.sleep(0.5)
    await k.post("/sim/lift")
    await expect(k.page.locator("main h1")).to_have_text("还需要继续吗？")
    await expect(k.page.locator("main")).to_contain_text("请将身份证放在感应区", timeout=6000)
    assert k.agent.flow.person is None
    k.agent.flow.idle_ask_seconds = 1.0
    await k.tap("输入身份证号取号")
    await expect(k.page.locator("main h1")).to_have_text("还需要继续吗？", timeout=5000)


async def test_help_button_raises_an_alert_on_the_manager_console(make_kiosk: MakeKiosk) -> None:
    k = await make_kiosk()
    await k.tap("呼叫帮助")
    await expect(k.page.locator("#notice")).to_have_text("已通知工作人员，请稍候")
    await k.shot("help")
    floor = await k.manager("/api/v1/halls/h1/floor")
    assert any(a["kind"] == "help_request" for a in floor["alarms"])


async def test_paper_near_end_keeps_working_and_warns_the_manager(make_kiosk: MakeKiosk) -> None:
    k = await make_kiosk(printer={"paper": "near_end"})
    await k.tap("无身份证取号")
    await k.page.locator("#svc-s-b").click()
    await k.tap("确认取号")
    await expect(k.page.locator("main")).to_contain_text("请取走号票")
    assert (await k.receipts())[-1]["cut"]
    await _until(k, lambda d: any("paper_near_end" in a["text"] for a in d["alarms"]))


async def test_paper_out_shows_the_ticket_on_screen_and_alarms_the_manager(
    make_kiosk: MakeKiosk,
) -> None:
    k = await make_kiosk(printer={"paper": "out"})
    await k.tap("无身份证取号")
    await k.page.locator("#svc-s-b").click()
    await k.tap("确认取号")
    await expect(k.page.locator("#print-failed")).to_contain_text("打印机暂时无法出票")
    await expect(k.page.locator("#number")).to_have_text("B021")
    await expect(k.page.locator(".qr img")).to_be_visible()
    await k.shot("paper-out")
    await _until(k, lambda d: any("paper_out" in a["text"] for a in d["alarms"]))


async def test_appointment_qr_check_in_late_becomes_a_normal_ticket(make_kiosk: MakeKiosk) -> None:
    clock = FakeClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))

    def fake_time(app: web.Application) -> None:
        async def use_clock(app: web.Application) -> None:
            app[state_key].clock = clock

        app.on_startup.append(use_clock)

    k = await make_kiosk(setup=fake_time)
    code = await _book_tuesday_ten(k, clock)
    clock.now = datetime(2026, 11, 24, 3, 30, tzinfo=UTC)  # 11:30, after the slot and its grace
    await k.tap("预约签到")
    await expect(k.page.locator("main")).to_contain_text("请将预约二维码对准下方摄像头")
    await k.shot("appointment")
    answer = await k.post("/sim/qr", {"code": f"APPT:{code}"})
    assert answer == {"ok": True, "kind": "appointment"}
    await expect(k.page.locator("main")).to_contain_text("已为您取普通号")
    day = await k.manager("/api/v1/halls/h1/appointments?date=2026-11-24")
    booked = day["appointments"][0]
    assert booked["status"] == "checked_in" and booked["ticket_number"]
    await expect(k.page.locator("#number")).to_have_text(booked["ticket_number"])
    await k.shot("appointment-late")


async def test_appointment_of_another_day_is_refused_with_its_reason(make_kiosk: MakeKiosk) -> None:
    clock = FakeClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))

    def fake_time(app: web.Application) -> None:
        async def use_clock(app: web.Application) -> None:
            app[state_key].clock = clock

        app.on_startup.append(use_clock)

    k = await make_kiosk(setup=fake_time)
    code = await _book_tuesday_ten(k, clock)  # it is Monday
    await k.tap("预约签到")
    answer = await k.post("/sim/qr", {"code": f"APPT:{code}"})
    assert answer == {"ok": True, "kind": "appointment"}
    await expect(k.page.locator("#failure")).to_have_text(
        "这个预约不是今天的，请在预约当天前来签到"
    )
    await k.shot("appointment-wrong-day")


async def _book_tuesday_ten(k: Kiosk, clock: FakeClock) -> str:
    """Enable appointments for s-a and book Tuesday 10:00 over HTTP; the appointment code."""
    login = await k.http.post(
        k.server.make_url("/api/v1/auth/login"),
        json={"username": "manager", "password": PASSWORD},
    )
    staff = {"Authorization": f"Bearer {(await login.json())['token']}"}
    change = {"services": [{"service_id": "s-a", "enabled": True, "capacity_per_slot": 2}]}
    rules = await k.http.put(
        k.server.make_url("/api/v1/halls/h1/appointment-rules"), json=change, headers=staff
    )
    assert rules.status == 200, await rules.text()
    phone = "13812345678"
    await k.http.post(k.server.make_url("/api/v1/remote/otp"), json={"phone": phone})
    outbox = await k.http.get(k.server.make_url("/api/v1/remote/outbox"), headers=staff)
    otp = (await outbox.json())["messages"][0]["params"]["code"]
    booked = await k.http.post(
        k.server.make_url("/api/v1/halls/h1/appointments"),
        json={"service_id": "s-a", "slot_start": "2026-11-24T02:00:00.000000Z", "phone": phone,
              "code": otp, "id_number": id_number(date(1990, 3, 7), 17)},
    )  # fmt: skip
    assert booked.status == 201, await booked.text()
    code: str = (await booked.json())["appointment"]["code"]
    return code


async def test_server_cut_off_issues_offline_with_an_honest_line(make_kiosk: MakeKiosk) -> None:
    k = await make_kiosk()
    await _until_leased(k.agent)
    await k.server.close()
    k.agent.wake()
    await expect(k.page.locator("#net")).to_have_text("网络中断 · 脱机取号", timeout=10_000)
    await k.place("adult")
    await k.page.locator("#svc-s-a").click()
    await k.tap("确认取号")
    await expect(k.page.locator("#number")).to_have_text("A001")
    await expect(k.page.locator("#eta")).to_have_text("暂无法估计等候时间")
    await expect(k.page.locator("#offline-note")).to_be_visible()
    await k.shot("offline-ticket")
    receipt = (await k.receipts())[-1]
    assert "暂无法估计等候时间" in receipt["lines"]
    assert "脱机取号：联网后扫码查看排队人数" in receipt["lines"]
    assert k.agent.issuer is not None
    assert await k.agent.issuer.pending() == 1


async def _until(k: Kiosk, test: Callable[[dict[str, Any]], bool]) -> None:
    for _ in range(50):
        k.agent.wake()
        await asyncio.sleep(0.2)
        if test(await k.manager("/api/v1/halls/h1/floor")):
            return
    raise AssertionError("the manager never saw it")


async def _until_leased(agent: Agent) -> None:
    for _ in range(50):
        if agent.store is not None and len(await agent.store.run(agent.store.store.leases)) >= 2:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("no leases")
