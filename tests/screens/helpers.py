"""A realistic hall for the page tests, a server on a real port, and HTTP helpers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from playwright.async_api import Page

from queue_server.app import create_app
from queue_server.config import Settings
from tests.queue_server.site import PASSWORD, test_site

SERVICES = [
    ("s-a", "A", "不动产登记（转移、抵押）", "Real estate registration"),
    ("s-b", "B", "住房公积金提取", "Provident fund withdrawal"),
    ("s-c", "C", "社会保障卡申领与补换", "Social security card"),
    ("s-d", "D", "户籍与居住证", "Household registration"),
    ("s-e", "E", "企业开办（营业执照）", "Business registration"),
    ("s-f", "F", "医保报销与备案", "Medical insurance"),
]


def screen_site(windows: int = 12) -> dict[str, Any]:
    """The test hall with six services (no ID needed) and ``windows`` open windows."""
    site = test_site(windows)
    hall = site["halls"][0]
    hall["name"] = "杭州市民中心政务服务大厅"
    hall["name_en"] = "Hangzhou Citizen Service Centre"
    hall["services"] = [
        {
            "id": sid,
            "code": f"330100-{n:03d}",
            "prefix": prefix,
            "name": name,
            "name_en": name_en,
            "department": "市政务服务中心",
            "rules": {"typical_minutes": 8, "id_required": False},
        }
        for n, (sid, prefix, name, name_en) in enumerate(SERVICES, start=1)
    ]
    for window in hall["windows"]:
        window["profile"] = {sid: 1 for sid, *_ in SERVICES}
    return site


class Server:
    """A hall server on a real port with staff helpers over HTTP."""

    def __init__(self, base: str, session: aiohttp.ClientSession) -> None:
        self.base = base
        self.session = session
        self.tokens: dict[str, str] = {}

    async def token(self, who: str) -> str:
        if who not in self.tokens:
            if who == "kiosk":
                body = await self.post("manager", "/api/v1/halls/h1/devices", {"role": "kiosk"})
                self.tokens[who] = body["token"]
            else:
                async with self.session.post(
                    f"{self.base}/api/v1/auth/login",
                    json={"username": who, "password": PASSWORD},
                ) as response:
                    self.tokens[who] = (await response.json())["token"]
        return self.tokens[who]

    async def post(self, who: str, path: str, body: dict[str, Any] | None = None) -> Any:
        headers = {"Authorization": f"Bearer {await self.token(who)}"}
        async with self.session.post(
            f"{self.base}{path}", json=body or {}, headers=headers
        ) as response:
            assert response.status < 300, f"{path}: {response.status} {await response.text()}"
            return await response.json() if response.status != 204 else None

    async def issue(self, service_id: str) -> dict[str, Any]:
        body = await self.post("kiosk", "/api/v1/halls/h1/tickets", {"service_id": service_id})
        ticket: dict[str, Any] = body["ticket"]
        return ticket

    async def call_next(self, window: str) -> dict[str, Any] | None:
        body = await self.post("manager", f"/api/v1/windows/{window}/call-next")
        return None if body is None else body["ticket"]


def make_app(
    tmp_path: Path, site: dict[str, Any] | None = None, **settings: Any
) -> web.Application:
    site_file = tmp_path / "site.json"
    site_file.write_text(json.dumps(site or screen_site(), ensure_ascii=False), encoding="utf-8")
    return create_app(Settings(data_dir=tmp_path / "data", site_file=site_file, **settings))


async def overflowing(page: Page, selectors: list[str]) -> list[str]:
    """Selectors of elements whose content is wider or taller than their box."""
    found: list[str] = await page.evaluate(
        """(selectors) => {
            const bad = [];
            for (const selector of selectors) {
                for (const node of document.querySelectorAll(selector)) {
                    if (node.scrollWidth > node.clientWidth + 1
                        || node.scrollHeight > node.clientHeight + 1) {
                        bad.push(`${selector} ${node.scrollWidth}x${node.scrollHeight}`
                            + ` > ${node.clientWidth}x${node.clientHeight}`);
                    }
                }
            }
            return bad;
        }""",
        selectors,
    )
    return found
