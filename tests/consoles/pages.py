"""A hall server and logged-in console pages for the browser tests."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import ClientSession
from playwright.async_api import Browser, Page

from queue_server.app import create_app
from queue_server.config import Settings
from tests.consoles.conftest import console_site
from tests.queue_server.site import PASSWORD

VIEWPORT = {"width": 1366, "height": 860}


@dataclass
class Site:
    """A running server reachable by the browser, with an HTTP client for side actions."""

    base: str
    http: ClientSession
    tokens: dict[str, str] = field(default_factory=dict)

    async def token(self, who: str) -> str:
        if who not in self.tokens:
            if who == "kiosk":
                made = await self.call(
                    "manager",
                    "POST",
                    "/api/v1/halls/h1/devices",
                    {"role": "kiosk", "label": "1 号自助机"},
                )
                self.tokens[who] = made["token"]
            else:
                async with self.http.post(
                    f"{self.base}/api/v1/auth/login", json={"username": who, "password": PASSWORD}
                ) as response:
                    assert response.status == 200, await response.text()
                    self.tokens[who] = (await response.json())["token"]
        return self.tokens[who]

    async def call(self, who: str, method: str, path: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {await self.token(who)}"}
        async with self.http.request(
            method, f"{self.base}{path}", json=body, headers=headers
        ) as response:
            assert response.status in (200, 201, 204), await response.text()
            return None if response.status == 204 else await response.json()

    async def issue(self, service_id: str, **extra: Any) -> dict[str, Any]:
        made = await self.call(
            "kiosk", "POST", "/api/v1/halls/h1/tickets", {"service_id": service_id, **extra}
        )
        ticket: dict[str, Any] = made["ticket"]
        return ticket

    async def open_page(self, browser: Browser, path: str, who: str | None = None) -> Page:
        page = await browser.new_page(viewport=VIEWPORT)  # type: ignore[arg-type]
        page.set_default_timeout(5000)
        await page.goto(f"{self.base}{path}")
        if who is not None:
            await page.fill("#login-username", who)
            await page.fill("#login-password", PASSWORD)
            await page.press("#login-password", "Enter")
            await page.wait_for_selector("#conn[data-status='live']")
        return page


async def start_site(
    aiohttp_server: Any, tmp_path: Path, site: dict[str, Any] | None = None
) -> tuple[Site, Any]:
    """Serve ``site`` (default: the console test site) on a real port."""
    site_file = tmp_path / "site.json"
    site_file.write_text(json.dumps(site or console_site(), ensure_ascii=False), encoding="utf-8")
    app = create_app(Settings(data_dir=tmp_path / "data", site_file=site_file))
    server = await aiohttp_server(app)
    base = str(server.make_url("")).rstrip("/")
    return Site(base, ClientSession()), server
