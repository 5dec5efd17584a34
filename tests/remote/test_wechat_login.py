"""WeChat web login over HTTP, against a local fake of WeChat's OAuth endpoints."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp import web

from tests.queue_server.conftest import Hall, MakeHall
from tests.remote.conftest import REMOTE

SITE = "https://hall.example.cn"
APPID = "wx1234567890abcdef"
SECRET = "app-secret-never-shown"
OPENID = "oVisitor_AbCdEfGh123456789xyz"


class FakeWeChat:
    """``GET /sns/oauth2/access_token`` as WeChat answers it: JSON as text/plain, a code once."""

    def __init__(self) -> None:
        self.codes = {"code-1": OPENID, "code-2": OPENID, "code-3": "oSomeoneElse_0000000000"}
        self.seen: list[dict[str, str]] = []

    async def access_token(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        self.seen.append(query)
        if query.get("appid") != APPID or query.get("secret") != SECRET:
            return self._answer({"errcode": 40125, "errmsg": "invalid appsecret"})
        if query.get("grant_type") != "authorization_code":
            return self._answer({"errcode": 40002, "errmsg": "invalid grant_type"})
        openid = self.codes.pop(query.get("code", ""), None)
        if openid is None:
            return self._answer({"errcode": 40029, "errmsg": "invalid code"})
        return self._answer(
            {
                "access_token": "ACCESS",
                "expires_in": 7200,
                "refresh_token": "REFRESH",
                "openid": openid,
                "scope": "snsapi_base",
            }
        )

    @staticmethod
    def _answer(data: dict[str, Any]) -> web.Response:
        return web.Response(text=json.dumps(data), content_type="text/plain")


@pytest.fixture
async def wechat(aiohttp_server: Any) -> tuple[FakeWeChat, str]:
    fake = FakeWeChat()
    app = web.Application()
    app.router.add_get("/sns/oauth2/access_token", fake.access_token)
    server = await aiohttp_server(app)
    return fake, str(server.make_url("")).rstrip("/")


async def _hall(
    make_hall: MakeHall, api_base: str, purge_interval_seconds: float = 3600, **wechat: Any
) -> Hall:
    config = {"appid": APPID, "secret": SECRET, "api_base": api_base, **wechat}
    return await make_hall(
        extra={"remote": {**REMOTE, "wechat": config}},
        public_base_url=SITE,
        purge_interval_seconds=purge_interval_seconds,
    )


async def _login(hall: Hall, code: str, next_path: str = "/mobile#/take/h1/s-b") -> str:
    """Follow the flow as WeChat's browser would; return where the visitor lands."""
    start = await hall.client.get(
        "/api/v1/remote/wechat/login", params={"next": next_path}, allow_redirects=False
    )
    assert start.status == 302, await start.text()
    to_wechat = urlsplit(start.headers["Location"])
    assert (to_wechat.scheme, to_wechat.netloc) == ("https", "open.weixin.qq.com")
    assert to_wechat.path == "/connect/oauth2/authorize"
    assert to_wechat.fragment == "wechat_redirect"
    query = {k: v[0] for k, v in parse_qs(to_wechat.query).items()}
    assert query["appid"] == APPID
    assert query["redirect_uri"] == f"{SITE}/api/v1/remote/wechat/callback"
    assert (query["response_type"], query["scope"]) == ("code", "snsapi_base")
    back = await hall.client.get(
        "/api/v1/remote/wechat/callback",
        params={"code": code, "state": query["state"]},
        allow_redirects=False,
    )
    assert back.status == 302
    location: str = back.headers["Location"]
    return location


async def _take(hall: Hall, service_id: str = "s-b", **extra: Any) -> Any:
    return await hall.client.post(
        "/api/v1/halls/h1/remote-tickets/wechat", json={"service_id": service_id, **extra}
    )


async def test_wechat_visitor_takes_one_remote_ticket_without_a_phone(
    make_hall: MakeHall, wechat: tuple[FakeWeChat, str]
) -> None:
    fake, api_base = wechat
    hall = await _hall(make_hall, api_base)
    assert (await _take(hall)).status == 401, "not logged in yet"
    landed = await _login(hall, "code-1")
    assert landed == "/mobile#/take/h1/s-b", "back where it started, no token in the address"
    assert fake.seen[-1]["code"] == "code-1"

    live = await hall.client.get("/api/v1/remote/wechat/session")
    assert live.status == 200
    assert (await live.json())["shown_as"] == "微信用户"

    taken = await _take(hall)
    assert taken.status == 201, await taken.text()
    ticket = (await taken.json())["ticket"]
    assert ticket["status"] == "not_arrived" and ticket["channel"] == "remote"
    assert ticket["phone_masked"] == "微信用户"
    tracked = await hall.client.get(f"/api/v1/tickets/{ticket['id']}?token={ticket['track_token']}")
    for text in (json.dumps(ticket), await tracked.text()):
        assert OPENID not in text and SECRET not in text

    # The same WeChat user logging in again still holds that ticket: no second one today.
    await _login(hall, "code-2")
    second = await _take(hall)
    assert second.status == 409
    assert (await second.json())["error"]["code"] == "duplicate_ticket"
    typed = await hall.post("kiosk", "/api/v1/halls/h1/check-in", {"code": ticket["checkin_code"]})
    assert typed.status == 200, "checked in at the kiosk like any remote ticket"

    await _login(hall, "code-3")
    third = await _take(hall)
    assert third.status == 201, "another WeChat user is another person"
    other = (await third.json())["ticket"]
    refused = await hall.client.post(f"/api/v1/tickets/{ticket['id']}/cancel-wechat")
    assert refused.status == 403, "only the holder cancels"
    cancelled = await hall.client.post(f"/api/v1/tickets/{other['id']}/cancel-wechat")
    assert cancelled.status == 200, await cancelled.text()
    assert (await cancelled.json())["ticket"]["status"] == "cancelled"


async def test_the_session_lives_in_an_http_only_same_site_cookie(
    make_hall: MakeHall, wechat: tuple[FakeWeChat, str]
) -> None:
    _, api_base = wechat
    hall = await _hall(make_hall, api_base)
    start = await hall.client.get(
        "/api/v1/remote/wechat/login", params={"next": "/mobile"}, allow_redirects=False
    )
    state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
    back = await hall.client.get(
        "/api/v1/remote/wechat/callback",
        params={"code": "code-1", "state": state},
        allow_redirects=False,
    )
    cookie = back.cookies["ov_wx_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/api/v1/"
    assert 0 < int(cookie["max-age"]) <= 120 * 60
    assert cookie.value not in back.headers["Location"]


async def test_a_forwarded_login_link_does_not_log_another_browser_in(
    make_hall: MakeHall, wechat: tuple[FakeWeChat, str]
) -> None:
    """Login CSRF: the attacker starts a login, then sends the victim the callback link."""
    _, api_base = wechat
    hall = await _hall(make_hall, api_base)
    start = await hall.client.get(
        "/api/v1/remote/wechat/login", params={"next": "/mobile"}, allow_redirects=False
    )
    state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
    base = str(hall.client.make_url("")).rstrip("/")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as victim:
        link = f"{base}/api/v1/remote/wechat/callback"
        params = {"code": "code-1", "state": state}
        async with victim.get(link, params=params, allow_redirects=False) as back:
            assert back.headers["Location"] == "/mobile?wx_error=bad_state"
            assert "ov_wx_session" not in back.cookies
        async with victim.get(f"{base}/api/v1/remote/wechat/session") as live:
            assert live.status == 401


async def test_reused_code_forged_state_and_bad_return_paths_are_refused(
    make_hall: MakeHall, wechat: tuple[FakeWeChat, str]
) -> None:
    _, api_base = wechat
    hall = await _hall(make_hall, api_base)
    assert await _login(hall, "code-1") == "/mobile#/take/h1/s-b"
    reused = await _login(hall, "code-1")
    assert reused == "/mobile?wx_error=invalid_code#/take/h1/s-b"

    forged = await hall.client.get(
        "/api/v1/remote/wechat/callback",
        params={"code": "code-2", "state": "eyJuIjoiL21vYmlsZSJ9.0000"},
        allow_redirects=False,
    )
    assert forged.headers["Location"] == "/mobile?wx_error=bad_state"
    for next_path in (
        "https://evil.example/",
        "//evil.example/mobile",
        "/api/v1/halls",
        "/mobile?wx=planted",
        "/mobile/../api/v1/halls",
        "/mobile\r\nSet-Cookie: x=1",
        "/mobile#/a\x00",
    ):
        bad = await hall.client.get(
            "/api/v1/remote/wechat/login", params={"next": next_path}, allow_redirects=False
        )
        assert bad.status == 422, next_path

    late = await hall.client.get(
        "/api/v1/remote/wechat/login", params={"next": "/mobile"}, allow_redirects=False
    )
    state = parse_qs(urlsplit(late.headers["Location"]).query)["state"][0]
    hall.clock.advance(11)
    expired = await hall.client.get(
        "/api/v1/remote/wechat/callback",
        params={"code": "code-2", "state": state},
        allow_redirects=False,
    )
    assert expired.headers["Location"] == "/mobile?wx_error=bad_state"


async def test_sessions_expire_and_are_purged(
    make_hall: MakeHall, wechat: tuple[FakeWeChat, str], tmp_path: Path
) -> None:
    _, api_base = wechat
    hall = await _hall(make_hall, api_base, session_minutes=30, purge_interval_seconds=0.05)
    await _login(hall, "code-1")
    db = tmp_path / "data" / "onevisit.sqlite3"

    def sessions() -> int:
        with sqlite3.connect(db) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM wechat_sessions").fetchone()[0])

    assert sessions() == 1
    hall.clock.advance(31)
    late = await _take(hall)
    assert late.status == 401
    assert (await late.json())["error"]["code"] == "wechat_session_expired"
    for _ in range(100):
        if sessions() == 0:
            break
        await asyncio.sleep(0.05)
    assert sessions() == 0, "the encrypted openid does not outlive the session"


async def test_a_wechat_reminder_goes_only_to_the_logged_in_visitor(
    make_hall: MakeHall, wechat: tuple[FakeWeChat, str]
) -> None:
    _, api_base = wechat
    hall = await _hall(make_hall, api_base)
    ticket = await hall.issue("s-b")
    body = {"token": ticket["track_token"], "channel": "wechat"}
    anonymous = await hall.client.post(f"/api/v1/tickets/{ticket['id']}/subscribe", json=body)
    assert anonymous.status == 401, "a printed QR alone cannot aim reminders at anyone"
    await _login(hall, "code-1")
    mine = await hall.client.post(f"/api/v1/tickets/{ticket['id']}/subscribe", json=body)
    assert mine.status == 201, await mine.text()
    planted = await hall.client.post(
        f"/api/v1/tickets/{ticket['id']}/subscribe", json={**body, "openid": "oSomeoneElse"}
    )
    assert planted.status == 422, "the openid comes from the login, never from the page"


async def test_without_configuration_the_login_says_so(make_hall: MakeHall) -> None:
    hall = await make_hall(extra={"remote": dict(REMOTE)}, public_base_url=SITE)
    response = await hall.client.get("/api/v1/remote/wechat/login", allow_redirects=False)
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_configured"
