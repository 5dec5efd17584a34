"""A hall server with remote visitors on, its fake clock, and a phone-sized browser context:
the rig the phone-page browser tests share."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize

from queue_server.app import create_app
from queue_server.config import Settings
from tests.queue_server.conftest import FakeClock
from tests.queue_server.site import PASSWORD

PHONE_VIEW: ViewportSize = {"width": 360, "height": 740}
REMOTE = {"outbox_public": True, "sweep_seconds": 0.05}


@dataclass
class PhoneRig:
    """The server, its fake clock, and a phone-sized browser context."""

    server: TestServer
    client: TestClient[Any, Any]
    clock: FakeClock
    context: BrowserContext
    tokens: dict[str, str]
    page_timeout_ms: float | None = None

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    async def as_(self, who: str, method: str, path: str, body: Any = None) -> Any:
        """A request as ``who``: a staff username, or ``kiosk`` (a device token of h1)."""
        if who not in self.tokens:
            if who == "kiosk":
                made = await self.as_(
                    "manager", "POST", "/api/v1/halls/h1/devices", {"role": "kiosk"}
                )
                self.tokens[who] = (await made.json())["token"]
            else:
                r = await self.client.post(
                    "/api/v1/auth/login", json={"username": who, "password": PASSWORD}
                )
                self.tokens[who] = (await r.json())["token"]
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return await self.client.request(method, path, json=body or {}, headers=headers)

    async def code(self, phone: str | None = None) -> str:
        """The newest one-time code in the simulated outbox (for ``phone``, if given)."""
        messages = (await (await self.client.get("/api/v1/remote/outbox")).json())["messages"]
        masked = f"{phone[:3]}****{phone[-4:]}" if phone else None
        found = [
            m for m in messages if m["template"] == "otp" and (masked is None or m["to"] == masked)
        ]
        return str(found[0]["params"]["code"])

    async def page(self, path: str) -> Page:
        page = await self.context.new_page()
        if self.page_timeout_ms is not None:
            page.set_default_timeout(self.page_timeout_ms)
        await page.goto(self.url(path))
        return page


@asynccontextmanager
async def phone_rig(
    browser: Browser,
    aiohttp_server: Any,
    aiohttp_client: Any,
    tmp_path: Path,
    site: dict[str, Any],
    **context_options: Any,
) -> AsyncIterator[tuple[TestServer, TestClient[Any, Any], FakeClock, BrowserContext]]:
    """Start a server for ``site`` (Monday 23 November 2026, 10:00 in the hall) and open a
    360x740 touch context (``context_options`` add to it); close the context after."""
    site_file = tmp_path / "site.json"
    site_file.write_text(json.dumps(site, ensure_ascii=False), encoding="utf-8")
    clock = FakeClock()
    settings = Settings(data_dir=tmp_path / "data", site_file=site_file, extra={"remote": REMOTE})
    server = await aiohttp_server(create_app(settings, clock=clock))
    client = await aiohttp_client(server)
    context = await browser.new_context(
        viewport=PHONE_VIEW,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        **context_options,
    )
    try:
        yield server, client, clock, context
    finally:
        await context.close()
