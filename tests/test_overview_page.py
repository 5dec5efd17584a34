"""The hall overview page at ``/`` in a real browser."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aiohttp import web
from playwright.async_api import Browser, expect

from queue_server.app import create_app
from queue_server.config import Settings
from tests.browser import browser  # noqa: F401 - fixture
from tests.queue_server.site import PASSWORD, test_site


async def test_overview_lists_halls_and_updates_live(
    browser: Browser,  # noqa: F811
    aiohttp_server: Any,
    aiohttp_client: Any,
    tmp_path: Path,
    artifacts: Path,
) -> None:
    site_file = tmp_path / "site.json"
    site_file.write_text(json.dumps(test_site(), ensure_ascii=False), encoding="utf-8")
    app: web.Application = create_app(Settings(data_dir=tmp_path / "data", site_file=site_file))
    server = await aiohttp_server(app)
    client = await aiohttp_client(server)
    page = await browser.new_page(viewport={"width": 1366, "height": 768})
    await page.goto(str(server.make_url("/")))
    await expect(page.locator("#hall-h1 h2")).to_have_text("测试大厅")
    login = await client.post(
        "/api/v1/auth/login", json={"username": "manager", "password": PASSWORD}
    )
    token = (await login.json())["token"]
    auth = {"Authorization": f"Bearer {token}"}
    await client.post("/api/v1/halls/h1/tickets", json={"service_id": "s-b"}, headers=auth)
    await client.post("/api/v1/windows/w2/call-next", headers=auth)
    await expect(page.locator("#call-h1")).to_have_text("请 B001 号到 2 号窗口", timeout=5000)
    await page.screenshot(path=str(artifacts / "overview.png"), full_page=True)
    await page.close()
