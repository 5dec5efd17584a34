"""The phone page inside WeChat: log in with WeChat, take a remote ticket, cancel it.

WeChat's two endpoints are a local fake: the authorize page sends the browser straight back
with a code (as WeChat does for the silent ``snsapi_base`` scope), and the token endpoint
trades it for an openid.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import web
from playwright.async_api import Browser, BrowserContext, expect

from queue_server.app import create_app
from queue_server.config import Settings
from tests.browser import browser  # noqa: F401 - fixture
from tests.queue_server.site import test_site

WECHAT_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/120.0 Mobile Safari/537.36 MicroMessenger/8.0.47.2560(0x28002F37) NetType/WIFI"
)
OPENID = "oPhonePage_0123456789abcdefgh"


def fake_wechat() -> web.Application:
    issued: dict[str, str] = {}

    async def authorize(request: web.Request) -> web.Response:
        code = f"code-{len(issued) + 1}"
        issued[code] = OPENID
        back = {"code": code, "state": request.query["state"]}
        raise web.HTTPFound(f"{request.query['redirect_uri']}?{urlencode(back)}")

    async def token(request: web.Request) -> web.Response:
        openid = issued.pop(request.query.get("code", ""), None)
        answer = {"openid": openid, "scope": "snsapi_base"} if openid else {"errcode": 40029}
        return web.Response(text=json.dumps(answer), content_type="text/plain")

    app = web.Application()
    app.router.add_get("/connect/oauth2/authorize", authorize)
    app.router.add_get("/sns/oauth2/access_token", token)
    return app


@pytest.fixture
async def wechat_phone(
    browser: Browser,  # noqa: F811
    aiohttp_server: Any,
    unused_tcp_port: int,
    tmp_path: Path,
) -> AsyncIterator[tuple[str, BrowserContext]]:
    fake = await aiohttp_server(fake_wechat())
    fake_base = str(fake.make_url("")).rstrip("/")
    site_file = tmp_path / "site.json"
    site_file.write_text(json.dumps(test_site(), ensure_ascii=False), encoding="utf-8")
    base = f"http://127.0.0.1:{unused_tcp_port}"
    wechat = {"appid": "wxPAGE", "secret": "s", "api_base": fake_base, "oauth_base": fake_base}
    settings = Settings(
        data_dir=tmp_path / "data",
        site_file=site_file,
        public_base_url=base,
        extra={"remote": {"outbox_public": True, "sweep_seconds": 0.05, "wechat": wechat}},
    )
    await aiohttp_server(create_app(settings), port=unused_tcp_port)
    context = await browser.new_context(
        viewport={"width": 360, "height": 740}, user_agent=WECHAT_UA, locale="zh-CN"
    )
    try:
        yield base, context
    finally:
        await context.close()


async def test_inside_wechat_a_ticket_is_taken_and_cancelled_without_a_phone(
    wechat_phone: tuple[str, BrowserContext], artifacts: Path
) -> None:
    base, context = wechat_phone
    page = await context.new_page()
    await page.goto(f"{base}/mobile#/take/h1/s-b")
    login = page.locator("#wx-login")
    await expect(login).to_have_text("微信一键取号")
    await page.screenshot(path=str(artifacts / "mobile-wechat-login.png"), full_page=True)
    await login.click()
    await expect(page.locator("#wx-take")).to_be_visible()
    assert page.url == f"{base}/mobile#/take/h1/s-b", "no token in the address bar"
    cookies = {c["name"]: c for c in await context.cookies()}
    assert cookies["ov_wx_session"]["httpOnly"]
    assert await page.evaluate("document.cookie") == "", "scripts cannot read the session"
    await page.screenshot(path=str(artifacts / "mobile-wechat-take.png"), full_page=True)
    await page.click("#wx-take")
    await expect(page.locator("#number")).to_have_text("B001")
    await expect(page.locator("#status")).to_have_text("已取号，未到场")
    assert OPENID not in await page.content()
    await page.click("#wx-cancel")
    await expect(page.locator("#status")).to_have_text("已取消")
    await page.screenshot(path=str(artifacts / "mobile-wechat-cancelled.png"), full_page=True)


async def test_a_failed_wechat_login_says_so_and_the_phone_form_stays(
    wechat_phone: tuple[str, BrowserContext],
) -> None:
    base, context = wechat_phone
    page = await context.new_page()
    await page.goto(f"{base}/mobile?wx_error=invalid_code#/take/h1/s-b")
    await expect(page.locator("#wx-error")).to_have_text("微信登录已过期，请再试一次")
    await expect(page.locator("#phone")).to_be_visible()
    assert "wx_error" not in page.url, "the address is tidied"
