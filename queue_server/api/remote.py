"""Routes for remote visitors: one-time codes, remote tickets, check-in, reminders, the
mobile pages' data (hall overview, crowd curve), the WeChat JS-SDK signature and the
simulated outbox. Rules live in :mod:`queue_server.service.remote`.

The module also owns the remote worker, started with the app: after every ticket event of a
hall (and on a timer) it lapses remote tickets past their grace and sends the reminders that
became due, through the configured :class:`~queue_server.service.notify.Notifier` channels.
"""

from __future__ import annotations

import io
import json
import logging
import secrets
from typing import Any

import segno
from aiohttp import web

from queue_server.api import Route, wechat_login
from queue_server.api.http import caller, json_response, read_json, require_actor, state
from queue_server.api.live import forecast_for
from queue_server.api.remote_runtime import deliver, runtime
from queue_server.service import reminders, remote
from queue_server.service.errors import ServiceError, invalid
from queue_server.service.notify import Message, Outcome
from queue_server.service.notify.webpush import parse_subscription

log = logging.getLogger(__name__)

H = "/api/v1/halls/{hall_id}"
T = "/api/v1/tickets/{ticket_id}"
PHONE = {"type": "string", "minLength": 11, "maxLength": 20}
CODE = {"type": "string", "pattern": "^[0-9]{6}$"}
ID = {"type": "string", "minLength": 1, "maxLength": 64}

OTP: dict[str, Any] = {
    "type": "object",
    "required": ["phone"],
    "properties": {"phone": PHONE},
    "additionalProperties": False,
}
TAKE: dict[str, Any] = {
    "type": "object",
    "required": ["service_id", "phone", "code"],
    "properties": {
        "service_id": ID,
        "phone": PHONE,
        "code": CODE,
        "remind_sms": {"type": "boolean"},
    },
    "additionalProperties": False,
}
CHECK_IN: dict[str, Any] = {
    "type": "object",
    "properties": {
        "code": CODE,
        "holder_token": {"type": "string", "maxLength": 128},
        "entrance_code": CODE,
    },
    "additionalProperties": False,
}
CODE_ONLY: dict[str, Any] = {
    "type": "object",
    "required": ["code"],
    "properties": {"code": CODE},
    "additionalProperties": False,
}
CANCEL: dict[str, Any] = {
    "type": "object",
    "required": ["phone", "code"],
    "properties": {"phone": PHONE, "code": CODE},
    "additionalProperties": False,
}
SUBSCRIBE: dict[str, Any] = {
    "type": "object",
    "required": ["token", "channel"],
    "properties": {
        "token": {"type": "string", "minLength": 1, "maxLength": 128},
        "channel": {"type": "string", "enum": ["webpush", "wechat"]},
        "subscription": {"type": "object"},
    },
    "additionalProperties": False,
}


def _address(request: web.Request) -> str:
    return request.remote or "unknown"


async def request_code(request: web.Request) -> web.Response:
    """Send a one-time code to a phone (rate-limited per phone and per address)."""
    body = await read_json(request, OTP)
    st, rt = state(request), runtime(request)
    now = st.clock()
    code, masked = await st.db.write(
        lambda tx: remote.request_code(
            tx, st.cipher, body["phone"], _address(request), rt.limits, now
        )
    )
    phone = remote.parse_phone(body["phone"])
    minutes = rt.limits.code_ttl_minutes
    outcome = await deliver(
        rt,
        Message(
            "sms",
            phone,
            "otp",
            {"code": code, "minutes": f"{minutes:g}"},
            secrets.token_hex(8),
            masked,
        ),
    )
    if outcome is not Outcome.SENT:
        raise ServiceError("sms_failed", "the code could not be sent; try again later", 502)
    return json_response({"sent": True, "to": masked, "expires_in": int(minutes * 60)}, 202)


async def take_ticket(request: web.Request) -> web.Response:
    """Take a remote ticket (``not_arrived``) with a phone and its one-time code."""
    body = await read_json(request, TAKE)
    st, rt = state(request), runtime(request)
    now = st.clock()
    hall_id = request.match_info["hall_id"]
    forecast = forecast_for(request, hall_id)
    ticket = await st.db.write(
        lambda tx: remote.take_ticket(
            tx,
            st.cipher,
            hall_id,
            body["service_id"],
            body["phone"],
            body["code"],
            _address(request),
            bool(body.get("remind_sms", False)),
            rt.limits,
            now,
            forecast,
        )
    )
    if ticket is None:
        raise remote.BAD_CODE
    return json_response({"ticket": ticket}, 201)


async def check_in(request: web.Request) -> web.Response:
    """Check a remote ticket in: kiosk/staff with its code, or the phone with the entrance code."""
    body = await read_json(request, CHECK_IN)
    st, rt = state(request), runtime(request)
    now = st.clock()
    actor = caller(request)
    ticket_id = request.match_info["ticket_id"]
    ticket = await st.db.write(
        lambda tx: remote.check_in(tx, st.cipher, actor, ticket_id, body, rt.limits, now)
    )
    return json_response({"ticket": ticket})


async def check_in_by_code(request: web.Request) -> web.Response:
    """A kiosk or staff types a remote ticket's check-in code."""
    actor = require_actor(request)
    body = await read_json(request, CODE_ONLY)
    st = state(request)
    now = st.clock()
    hall_id = request.match_info["hall_id"]
    ticket = await st.db.write(
        lambda tx: remote.check_in_by_code(tx, actor, hall_id, body["code"], now)
    )
    return json_response({"ticket": ticket})


async def entrance_code(request: web.Request) -> web.Response:
    """The hall's current entrance code, for a screen at the door (device or staff)."""
    actor = require_actor(request)
    st, rt = state(request), runtime(request)
    now = st.clock()
    hall_id = request.match_info["hall_id"]
    data = await st.db.read(
        lambda tx: remote.current_entrance_code(tx, st.cipher, actor, hall_id, rt.limits, now)
    )
    base = st.settings.public_base_url or f"{request.scheme}://{request.host}"
    data["checkin_url"] = f"{base.rstrip('/')}/mobile#/checkin/{hall_id}/{data['code']}"
    data["qr_svg"] = _qr_svg(data["checkin_url"])
    return json_response(data)


def _qr_svg(text: str) -> str:
    """The check-in URL as an SVG QR code, for the entrance screen."""
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", scale=8, border=2, xmldecl=False)
    return out.getvalue().decode()


async def cancel(request: web.Request) -> web.Response:
    """Cancel a remote ticket with a fresh one-time code of the phone that took it."""
    body = await read_json(request, CANCEL)
    st, rt = state(request), runtime(request)
    now = st.clock()
    ticket_id = request.match_info["ticket_id"]
    ticket = await st.db.write(
        lambda tx: remote.cancel(
            tx, st.cipher, ticket_id, body["phone"], body["code"], rt.limits, now
        )
    )
    if ticket is None:
        raise remote.BAD_CODE
    return json_response({"ticket": ticket})


async def holder_view(request: web.Request) -> web.Response:
    """The phone that took a remote ticket reads its check-in code (``?holder=``)."""
    st = state(request)
    ticket_id = request.match_info["ticket_id"]
    holder = request.query.get("holder", "")
    return json_response(await st.db.read(lambda tx: remote.remote_status(tx, ticket_id, holder)))


async def subscribe(request: web.Request) -> web.Response:
    """Ask for a "your turn is near" reminder by Web Push or WeChat (track token)."""
    body = await read_json(request, SUBSCRIBE)
    st = state(request)
    now = st.clock()
    channel = body["channel"]
    if channel == "webpush":
        try:
            target = json.dumps(parse_subscription(body.get("subscription")))
        except ValueError as err:
            raise invalid("invalid_subscription", str(err)) from None
    else:
        target = ""  # the WeChat visitor's own openid, from the login session
    ticket_id = request.match_info["ticket_id"]

    def write(tx: Any) -> dict[str, Any]:
        to = target if channel == "webpush" else wechat_login.visitor_of(request, tx).openid
        return reminders.subscribe(tx, st.cipher, ticket_id, body["token"], channel, to, now)

    result = await st.db.write(write)
    return json_response(result, 201)


async def push_key(request: web.Request) -> web.Response:
    """The VAPID public key browsers subscribe with (``applicationServerKey``)."""
    key = runtime(request).push_key
    if key is None:
        raise ServiceError("not_configured", "web push is not configured on this server", 404)
    return json_response({"public_key": key})


async def outbox(request: web.Request) -> web.Response:
    """The simulated outbox: what would have been sent (demo; staff unless made public)."""
    rt = runtime(request)
    if not rt.config.get("outbox_public", False):
        require_actor(request, staff=True)
    return json_response({"messages": list(reversed(rt.outbox.entries))})


REMOTE_TAG = "remote"
ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/api/v1/remote/otp",
        request_code,
        "Send a one-time code to a phone",
        "public",
        OTP,
        {202: "sent", 422: "bad phone", 429: "rate limited"},
        REMOTE_TAG,
    ),
    Route(
        "POST",
        f"{H}/remote-tickets",
        take_ticket,
        "Take a remote ticket (not_arrived)",
        "public",
        TAKE,
        {
            201: "issued",
            409: "duplicate or too many tickets",
            422: "bad code",
            429: "too many phones from one address",
        },
        REMOTE_TAG,
    ),
    Route(
        "POST",
        f"{T}/check-in",
        check_in,
        "Check a remote ticket in at the hall",
        "device_or_staff_or_holder",
        CHECK_IN,
        {200: "now waiting", 403: "not at the hall", 409: "not checkable"},
        REMOTE_TAG,
    ),
    Route(
        "POST",
        f"{H}/check-in",
        check_in_by_code,
        "Check in by the typed code (kiosk)",
        "device_or_staff",
        CODE_ONLY,
        {200: "now waiting", 404: "unknown code"},
        REMOTE_TAG,
    ),
    Route(
        "GET",
        f"{H}/entrance-code",
        entrance_code,
        "The code shown at the hall entrance",
        "device_or_staff",
        None,
        {200: "code"},
        REMOTE_TAG,
    ),
    Route(
        "POST",
        f"{T}/cancel-remote",
        cancel,
        "Cancel a remote ticket with the phone's code",
        "public",
        CANCEL,
        {200: "cancelled", 403: "other phone", 422: "bad code"},
        REMOTE_TAG,
    ),
    Route(
        "GET",
        f"{T}/remote",
        holder_view,
        "The taker's view: check-in code (?holder=)",
        "holder",
        None,
        {200: "OK", 404: "unknown"},
        REMOTE_TAG,
    ),
    Route(
        "POST",
        f"{T}/subscribe",
        subscribe,
        "Ask for a reminder (Web Push, WeChat)",
        "track_token",
        SUBSCRIBE,
        {201: "subscribed", 401: "WeChat: not logged in", 409: "ticket closed"},
        REMOTE_TAG,
    ),
    Route(
        "GET",
        "/api/v1/remote/push-key",
        push_key,
        "VAPID public key",
        "public",
        None,
        {200: "OK", 404: "not configured"},
        REMOTE_TAG,
    ),
    Route(
        "GET",
        "/api/v1/remote/outbox",
        outbox,
        "Simulated outbox (demo)",
        "staff",
        None,
        {200: "OK"},
        REMOTE_TAG,
    ),
)
