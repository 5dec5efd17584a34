"""A hall with more services than a TV can show readably pages through them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, expect

from tests.screens.helpers import Server, make_app, overflowing, screen_site

pytestmark = pytest.mark.browser

NAMES = [
    "不动产登记", "公积金提取", "社保卡申领", "户籍办理", "企业开办", "医保报销", "出入境证件",
    "车驾管业务", "税务登记", "民政婚姻", "残疾人证", "养老待遇认证", "失业登记", "人才引进",
    "食品经营许可", "建设工程审批", "水电气报装", "法律援助", "公证服务", "退役军人事务",
    "计划生育证明", "老年优待证", "住房保障申请", "交通违法处理",
]  # fmt: skip


def crowded_site() -> dict[str, Any]:
    site = screen_site()
    hall = site["halls"][0]
    hall["services"] = [
        {
            "id": f"s{n}",
            "code": f"330100-{n:03d}",
            "prefix": chr(ord("A") + n),
            "name": name,
            "name_en": f"Service {n + 1}",
            "department": "市政务服务中心",
            "rules": {"typical_minutes": 8, "id_required": False},
        }
        for n, name in enumerate(NAMES)
    ]
    for window in hall["windows"]:
        window["profile"] = {s["id"]: 1 for s in hall["services"]}
    return site


async def test_many_services_page_at_a_readable_size_and_every_one_is_shown(
    browser: Browser, aiohttp_server: Any, tmp_path: Path, artifacts: Path
) -> None:
    server = await aiohttp_server(make_app(tmp_path, crowded_site()))
    base = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as session:
        hall = Server(base, session)
        await hall.issue("s0")
    page = await browser.new_page(viewport={"width": 1366, "height": 768})
    await page.goto(f"{base}/signage?hall=h1&lang=zh-en&voice=off&page_seconds=1")
    pager = page.locator("#svc-pager")
    await expect(pager).to_be_visible()
    await expect(pager).to_contain_text("1 / ")
    pages = int(await pager.get_attribute("data-pages") or 0)
    assert pages >= 2
    fit = await page.evaluate(
        "getComputedStyle(document.querySelector('.wait-table')).getPropertyValue('--fit')"
    )
    assert float(fit) >= 0.8, "rows stay readable from across the hall"
    await page.screenshot(path=str(artifacts / "signage-paged-1366x768.png"))
    seen: list[str] = []
    for number in [*range(1, pages + 1), 1]:
        await expect(pager).to_have_text(f"{number} / {pages}", timeout=3000)
        shown = await page.locator("#services tr").evaluate_all(
            "rows => rows.map(r => r.dataset.service)"
        )
        assert await overflowing(page, [".waits", ".wait-table tbody th"]) == []
        if len(seen) < len(NAMES):
            seen += shown
    assert seen == [f"s{n}" for n in range(len(NAMES))], "every service once, in order"
    await expect(page.locator("#services tr[data-service='s0'] .waiting")).to_contain_text("1")

    few = await browser.new_page(viewport={"width": 1920, "height": 1080})
    await few.goto(f"{base}/signage?hall=h1&lang=zh&voice=off")
    await expect(few.locator("#services tr").first).to_be_visible()
    assert await overflowing(few, [".waits", ".wait-table tbody th"]) == []
