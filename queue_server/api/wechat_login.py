"""Routes of the WeChat web login and of remote tickets taken with it
(rules in :mod:`queue_server.service.wechat_login`)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from queue_server.api import Route
from queue_server.api.http import json_response, read_json, state
from queue_server.api.remote_runtime import runtime
from queue_server.service import remote
from queue_server.service import wechat_login as wx
from queue_server.service.errors import ServiceError

TAG = "remote"
TAKE: dict[str, Any] = {
    "type": "object",
    "required": ["service_id", "session"],
    "properties": {
        "service_id": {"type": "string", "minLength": 1, "maxLength": 64},
        "session": {"type": "string", "minLength": 1, "maxLength": 128},
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


def _with_query(path: str, key: str, value: str) -> str:
    """``/mobile#/take/h1/s-b`` → ``/mobile?wx=…#/take/h1/s-b`` (the query before the hash)."""
    page, hash_mark, fragment = path.partition("#")
    joiner = "&" if "?" in page else "?"
    return f"{page}{joiner}{key}={value}{hash_mark}{fragment}"


async def login(request: web.Request) -> web.Response:
    """Send the visitor to WeChat's silent authorisation, to come back to ``?next=``."""
    config = _config(request)
    st = state(request)
    next_path = wx.safe_next(request.query.get("next", "/mobile"))
    signed = wx.sign_state(st.cipher, next_path, st.clock())
    return _redirect(wx.authorize_url(config, st.settings.public_base_url, signed))


async def callback(request: web.Request) -> web.Response:
    """WeChat's return: open a session and land on the page with ``?wx=`` (or ``?wx_error=``)."""
    config = _config(request)
    st, rt = state(request), runtime(request)
    now = st.clock()
    try:
        next_path = wx.read_state(st.cipher, request.query.get("state", ""), now)
    except (ServiceError, ValueError, KeyError, TypeError):
        return _redirect("/mobile?wx_error=bad_state")
    code = request.query.get("code", "")
    if not code or rt.http is None:
        return _redirect(_with_query(next_path, "wx_error", "denied"))
    try:
        openid = await wx.exchange_code(rt.http, config, code)
    except ServiceError as err:
        return _redirect(_with_query(next_path, "wx_error", err.code))
    token = await st.db.write(
        lambda tx: wx.start_session(tx, st.cipher, openid, config.session_minutes, now)
    )
    return _redirect(_with_query(next_path, "wx", token))


async def session_view(request: web.Request) -> web.Response:
    """Whether the session in ``X-WeChat-Session`` is live (the page asks before offering it)."""
    st = state(request)
    token = request.headers.get("X-WeChat-Session", "")
    found = await st.db.read(lambda tx: wx.visitor(tx, st.cipher, token, st.clock()))
    return json_response({"active": True, "shown_as": wx.SHOWN_AS, "expires_at": found.expires_at})


async def take_ticket(request: web.Request) -> web.Response:
    """A remote ticket for the logged-in WeChat visitor (held as "微信用户")."""
    body = await read_json(request, TAKE)
    st, rt = state(request), runtime(request)
    now = st.clock()
    hall_id = request.match_info["hall_id"]
    address = request.remote or "unknown"
    remind = bool(body.get("remind_wechat", False)) and "wechat" in rt.channels

    def write(tx: Any) -> dict[str, Any]:
        who = wx.visitor(tx, st.cipher, body["session"], now)
        view = remote.issue_remote(
            tx, st.cipher, hall_id, body["service_id"], who.holder, address, rt.limits, now
        )
        if remind:
            remote.store_subscription(tx, st.cipher, view["id"], "wechat", who.openid, now)
        view["remind_wechat"] = remind
        return view

    ticket = await st.db.write(write)
    return json_response({"ticket": ticket}, 201)


ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/remote/wechat/login",
        login,
        "Start the WeChat web login (?next=/mobile…)",
        "public",
        None,
        {302: "to WeChat", 404: "not configured", 422: "bad next"},
        TAG,
    ),
    Route(
        "GET",
        "/api/v1/remote/wechat/callback",
        callback,
        "WeChat's return (?code=&state=)",
        "public",
        None,
        {302: "to the page with ?wx= or ?wx_error=", 404: "not configured"},
        TAG,
    ),
    Route(
        "GET",
        "/api/v1/remote/wechat/session",
        session_view,
        "Whether a WeChat session is live (X-WeChat-Session)",
        "public",
        None,
        {200: "live", 401: "expired or unknown"},
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
)
