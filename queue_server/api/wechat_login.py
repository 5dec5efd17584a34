"""Routes of the WeChat web login and of remote tickets taken with it
(rules in :mod:`queue_server.service.wechat_login`)."""

from __future__ import annotations

import secrets
from typing import Any

from aiohttp import web

from queue_server.api import Route
from queue_server.api.http import json_response, read_json, state
from queue_server.api.live import forecast_for
from queue_server.api.remote_runtime import runtime
from queue_server.service import remote
from queue_server.service import wechat_login as wx
from queue_server.service.errors import ServiceError

TAG = "remote"
STATE_COOKIE = "ov_wx_state"
SESSION_COOKIE = "ov_wx_session"
TAKE: dict[str, Any] = {
    "type": "object",
    "required": ["service_id"],
    "properties": {
        "service_id": {"type": "string", "minLength": 1, "maxLength": 64},
        "remind_wechat": {"type": "boolean"},
    },
    "additionalProperties": False,
}


def _config(request: web.Request) -> wx.LoginConfig:
    config = wx.LoginConfig.from_settings(runtime(request).config.get("wechat") or {})
    if config is None or not state(request).settings.public_base_url:
        raise ServiceError("not_configured", "WeChat login is not configured", 404)
    return config


def _redirect(location: str) -> web.Response:
    return web.Response(status=302, headers={"Location": location, "Cache-Control": "no-store"})


def _with_error(path: str, code: str) -> str:
    """``/mobile#/take/h1/s-b`` → ``/mobile?wx_error=…#/take/h1/s-b`` (the query before ``#``)."""
    page, hash_mark, fragment = path.partition("#")
    return f"{page}?wx_error={code}{hash_mark}{fragment}"


def _cookie(request: web.Request, response: web.Response, name: str, value: str, age: int) -> None:
    """HttpOnly, SameSite=Lax (sent on WeChat's top-level return, not on a cross-site POST),
    Secure whenever the visitor came over HTTPS (directly or through the proxy)."""
    secure = request.secure or request.headers.get("X-Forwarded-Proto", "") == "https"
    response.set_cookie(
        name,
        value,
        max_age=age,
        path="/api/v1/",
        httponly=True,
        samesite="Lax",
        secure=secure,
    )


def visitor_of(request: web.Request, tx: Any) -> wx.WeChatVisitor:
    """The logged-in WeChat visitor of this browser (its session cookie), or 401."""
    st = state(request)
    return wx.visitor(tx, st.cipher, request.cookies.get(SESSION_COOKIE, ""), st.clock())


async def login(request: web.Request) -> web.Response:
    """Send the visitor to WeChat's silent authorisation, to come back to ``?next=``."""
    config = _config(request)
    st = state(request)
    next_path = wx.safe_next(request.query.get("next", "/mobile"))
    nonce = secrets.token_urlsafe(12)
    signed = wx.sign_state(st.cipher, next_path, nonce, st.clock())
    response = _redirect(wx.authorize_url(config, st.settings.public_base_url, signed))
    _cookie(request, response, STATE_COOKIE, nonce, wx.STATE_MINUTES * 60)
    return response


async def callback(request: web.Request) -> web.Response:
    """WeChat's return: open a session cookie and land on ``next`` (or on ``?wx_error=``)."""
    config = _config(request)
    st, rt = state(request), runtime(request)
    now = st.clock()
    nonce = request.cookies.get(STATE_COOKIE, "")
    try:
        next_path = wx.read_state(st.cipher, request.query.get("state", ""), nonce, now)
    except (ServiceError, ValueError, KeyError, TypeError):
        return _redirect("/mobile?wx_error=bad_state")
    code = request.query.get("code", "")
    if not code or rt.http is None:
        return _redirect(_with_error(next_path, "denied"))
    try:
        openid = await wx.exchange_code(rt.http, config, code)
    except ServiceError as err:
        return _redirect(_with_error(next_path, err.code))
    token = await st.db.write(
        lambda tx: wx.start_session(tx, st.cipher, openid, config.session_minutes, now)
    )
    response = _redirect(next_path)
    _cookie(request, response, SESSION_COOKIE, token, int(config.session_minutes * 60))
    response.del_cookie(STATE_COOKIE, path="/api/v1/")
    return response


async def session_view(request: web.Request) -> web.Response:
    """Whether this browser is logged in with WeChat (the page asks before offering it);
    ``404 not_configured`` tells the page not to offer WeChat at all."""
    _config(request)
    st = state(request)
    found = await st.db.read(lambda tx: visitor_of(request, tx))
    return json_response({"active": True, "shown_as": wx.SHOWN_AS, "expires_at": found.expires_at})


async def take_ticket(request: web.Request) -> web.Response:
    """A remote ticket for the logged-in WeChat visitor (held as "微信用户")."""
    body = await read_json(request, TAKE)
    st, rt = state(request), runtime(request)
    now = st.clock()
    hall_id = request.match_info["hall_id"]
    address = request.remote or "unknown"
    remind = bool(body.get("remind_wechat", False)) and "wechat" in rt.channels
    forecast = forecast_for(request, hall_id)

    def write(tx: Any) -> dict[str, Any]:
        who = visitor_of(request, tx)
        service_id = body["service_id"]
        view = remote.issue_remote(
            tx, st.cipher, hall_id, service_id, who.holder, address, rt.limits, now, forecast
        )
        if remind:
            remote.store_subscription(tx, st.cipher, view["id"], "wechat", who.openid, now)
        view["remind_wechat"] = remind
        return view

    ticket = await st.db.write(write)
    return json_response({"ticket": ticket}, 201)


async def cancel(request: web.Request) -> web.Response:
    """Cancel a remote ticket this WeChat visitor holds (no phone code needed)."""
    st = state(request)
    now = st.clock()
    ticket_id = request.match_info["ticket_id"]

    def write(tx: Any) -> dict[str, Any]:
        who = visitor_of(request, tx)
        return remote.cancel_by_holder(tx, ticket_id, who.holder, now)

    return json_response({"ticket": await st.db.write(write)})


ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/remote/wechat/login",
        login,
        "Start the WeChat web login (?next=/mobile…)",
        "public",
        None,
        {302: "to WeChat (sets the state cookie)", 404: "not configured", 422: "bad next"},
        TAG,
    ),
    Route(
        "GET",
        "/api/v1/remote/wechat/callback",
        callback,
        "WeChat's return (?code=&state=)",
        "public",
        None,
        {302: "to next (sets the session cookie) or ?wx_error=", 404: "not configured"},
        TAG,
    ),
    Route(
        "GET",
        "/api/v1/remote/wechat/session",
        session_view,
        "Whether this browser is logged in with WeChat (cookie)",
        "public",
        None,
        {200: "live", 401: "expired or unknown", 404: "not configured"},
        TAG,
    ),
    Route(
        "POST",
        "/api/v1/halls/{hall_id}/remote-tickets/wechat",
        take_ticket,
        "Take a remote ticket as the logged-in WeChat visitor",
        "public",
        TAKE,
        {
            201: "issued",
            401: "session expired",
            409: "duplicate or too many tickets",
            429: "too many from one address",
        },
        TAG,
    ),
    Route(
        "POST",
        "/api/v1/tickets/{ticket_id}/cancel-wechat",
        cancel,
        "Cancel a remote ticket held by this WeChat visitor",
        "public",
        None,
        {200: "cancelled", 401: "not logged in", 403: "someone else's", 409: "not cancellable"},
        TAG,
    ),
)
