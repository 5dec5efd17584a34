"""Routes for remote visitors: one-time codes, remote tickets, check-in, reminders, the
mobile pages' data (hall overview, crowd curve), the WeChat JS-SDK signature and the
simulated outbox. Rules live in :mod:`queue_server.service.remote`.

The module also owns the remote worker, started with the app: after every ticket event of a
hall (and on a timer) it lapses remote tickets past their grace and sends the reminders that
became due, through the configured :class:`~queue_server.service.notify.Notifier` channels.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import json
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import segno
from aiohttp import web

from queue_server.api import Route
from queue_server.api.http import caller, json_response, read_json, require_actor, state
from queue_server.events.bus import ALL_HALLS
from queue_server.service import public, remote
from queue_server.service.errors import ServiceError, forbidden, invalid
from queue_server.service.notify import Message, Notifier, Outbox, Outcome
from queue_server.service.notify.sms import HttpSms
from queue_server.service.notify.webpush import WebPush, load_vapid_key, parse_subscription
from queue_server.service.notify.wechat import WeChatSubscribe, jssdk_signature
from queue_server.service.rows import hall_from_row, iso, parse_iso
from queue_server.store.db import ReadTx

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
        "openid": {"type": "string", "minLength": 1, "maxLength": 64},
    },
    "additionalProperties": False,
}


@dataclass
class Runtime:
    """The remote worker's state: limits, channels, the outbox and the HTTP session."""

    limits: remote.Limits
    config: dict[str, Any]
    outbox: Outbox = field(default_factory=lambda: Outbox("outbox"))
    channels: dict[str, Notifier] = field(default_factory=dict)
    push_key: str | None = None
    http: aiohttp.ClientSession | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)


runtime_key = web.AppKey("remote_runtime", Runtime)


def runtime(request: web.Request) -> Runtime:
    """The remote runtime of the app serving ``request``."""
    return request.app[runtime_key]


def _address(request: web.Request) -> str:
    return request.remote or "unknown"


def _channels(
    config: dict[str, Any], session: aiohttp.ClientSession
) -> tuple[dict[str, Notifier], str | None]:
    channels: dict[str, Notifier] = {}
    push_key = None
    sms = config.get("sms") or {}
    if sms.get("url"):
        channels["sms"] = HttpSms(
            session, sms["url"], sms.get("api_key", ""), sms.get("sign_name", "一次办")
        )
    push = config.get("webpush") or {}
    if push.get("private_key"):
        adapter = WebPush(
            session,
            load_vapid_key(push["private_key"]),
            push.get("subject", "mailto:ops@example.org"),
        )
        channels["webpush"] = adapter
        push_key = adapter.public_key
    wechat = config.get("wechat") or {}
    if wechat.get("appid") and wechat.get("secret") and wechat.get("template_id"):
        channels["wechat"] = WeChatSubscribe(
            session,
            wechat["appid"],
            wechat["secret"],
            wechat["template_id"],
            wechat.get("api_base", "https://api.weixin.qq.com"),
            wechat.get("kind", "official_account"),
            wechat.get("page", ""),
        )
    return channels, push_key


async def remote_context(app: web.Application) -> AsyncIterator[None]:
    """Start the remote worker with the app (after storage) and stop it on shutdown."""
    from queue_server.api.http import state_key

    st = app[state_key]
    config = dict(st.settings.extra.get("remote", {}))
    rt = Runtime(remote.Limits.from_settings(config), config)
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
    rt.channels, rt.push_key = _channels(config, session)
    rt.http = session
    app[runtime_key] = rt
    task = asyncio.create_task(_worker(app, rt))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await session.close()


async def deliver(rt: Runtime, message: Message) -> Outcome:
    """Send through the configured channel, or the outbox when it is not configured."""
    notifier = rt.channels.get(message.channel, rt.outbox)
    try:
        return await notifier.send(message)
    except Exception:
        log.exception("sending a %s message failed", message.channel)
        return Outcome.RETRYABLE


async def _worker(app: web.Application, rt: Runtime) -> None:
    """Coalesce the hall events of ``round_gap_seconds`` into one round; a timer round every
    ``sweep_seconds``; after falling behind the bus, resubscribe and do a round of all halls."""
    from queue_server.api.http import state_key

    st = app[state_key]
    interval = float(rt.config.get("sweep_seconds", 30.0))
    gap = float(rt.config.get("round_gap_seconds", 0.2))
    subscription = st.bus.subscribe(ALL_HALLS, maxsize=10_000)
    try:
        while True:
            pending: set[str] = set()
            try:
                async with asyncio.timeout(interval):
                    event = await subscription.next()
            except TimeoutError:
                event = None
            else:
                await asyncio.sleep(gap)
            while event is not None:
                if event.type.startswith(("ticket.", "window.")):
                    pending.add(event.hall_id)
                try:
                    async with asyncio.timeout(0.005):
                        event = await subscription.next()
                except TimeoutError:
                    event = None
            if subscription.overflowed:
                subscription.close()
                subscription = st.bus.subscribe(ALL_HALLS, maxsize=10_000)
                pending.clear()
            try:
                await _round(st, rt, pending)
            except Exception:
                log.exception("remote sweep failed")
    finally:
        subscription.close()


async def _round(st: Any, rt: Runtime, halls: set[str]) -> None:
    now = st.clock()
    lapsed = await st.db.write(lambda tx: remote.sweep(tx, now))
    touched = set(halls) | {t.get("hall_id", "") for t in lapsed}
    if not halls:
        rows = await st.db.read(lambda tx: tx.all("SELECT id FROM halls"))
        touched = {r["id"] for r in rows}
    for hall_id in sorted(h for h in touched if h):
        reminders = await st.db.write(
            lambda tx, h=hall_id: remote.due_reminders(tx, st.cipher, h, now)
        )
        for item in reminders:
            message = Message(
                item.channel,
                item.target,
                "near",
                item.params,
                f"{item.ticket_id}:{item.threshold}:{item.channel}",
                item.masked,
            )
            outcome = await deliver(rt, message)
            await st.db.write(
                lambda tx, i=item, o=outcome: remote.record_outcome(
                    tx, i.ticket_id, i.threshold, o.value
                )
            )


# -- handlers ---------------------------------------------------------------------------------


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
        if not body.get("openid"):
            raise invalid("invalid_request", "a WeChat reminder needs the openid")
        target = str(body["openid"])
    ticket_id = request.match_info["ticket_id"]
    result = await st.db.write(
        lambda tx: remote.subscribe(tx, st.cipher, ticket_id, body["token"], channel, target, now)
    )
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


async def jssdk(request: web.Request) -> web.Response:
    """``wx.config`` parameters for ``?url=`` (SHA-1 over the configured jsapi_ticket)."""
    st, rt = state(request), runtime(request)
    wechat = rt.config.get("wechat") or {}
    ticket, appid = wechat.get("jsapi_ticket"), wechat.get("appid")
    if not ticket or not appid:
        raise ServiceError("not_configured", "the WeChat JS-SDK is not configured", 404)
    url = request.query.get("url", "")
    if not url.startswith(("http://", "https://")):
        raise invalid("invalid_request", "url must be the page's full address")
    base = st.settings.public_base_url
    if base and not url.startswith(base):
        raise forbidden("only pages of this site can be signed")
    timestamp = int(st.clock().timestamp())
    nonce = secrets.token_urlsafe(12)
    return json_response(
        {
            "appId": appid,
            "timestamp": timestamp,
            "nonceStr": nonce,
            "signature": jssdk_signature(ticket, nonce, timestamp, url),
        }
    )


def _hour_counts(
    tx: ReadTx, hall_id: str, zone: ZoneInfo, since: str, until: str
) -> list[tuple[str, int]]:
    rows = tx.all(
        "SELECT business_day, issued_at FROM tickets WHERE hall_id = ? AND issued_at >= ?"
        " AND issued_at < ?",
        (hall_id, since, until),
    )
    return [(r["business_day"], parse_iso(r["issued_at"]).astimezone(zone).hour) for r in rows]


def _crowd(tx: ReadTx, hall_id: str, now: datetime, days: int) -> dict[str, Any]:
    row = tx.one("SELECT * FROM halls WHERE id = ?", (hall_id,))
    if row is None:
        raise ServiceError("not_found", "hall not found", 404)
    hall = hall_from_row(row)
    zone = ZoneInfo(hall.schedule.timezone)
    today = hall.schedule.business_day(now).isoformat()
    since = iso(now - timedelta(days=days + 1))
    counts = _hour_counts(tx, hall_id, zone, since, iso(now + timedelta(seconds=1)))
    today_hours = [0] * 24
    past: dict[str, list[int]] = {}
    for day, hour in counts:
        if day == today:
            today_hours[hour] += 1
        else:
            past.setdefault(day, [0] * 24)[hour] += 1
    typical = [0.0] * 24
    if past:
        for hours in past.values():
            for h, n in enumerate(hours):
                typical[h] += n / len(past)
    return {
        "hall_id": hall_id,
        "business_day": today,
        "hour_now": now.astimezone(zone).hour,
        "today": today_hours,
        "typical": [round(x, 1) for x in typical],
        "typical_days": len(past),
    }


async def crowd(request: web.Request) -> web.Response:
    """Tickets per local hour today, and the typical count by hour over recent days."""
    st = state(request)
    now = st.clock()
    hall_id = request.match_info["hall_id"]
    return json_response(await st.db.read(lambda tx: _crowd(tx, hall_id, now, 14)))


def _issuing_ends_in(hall: Any, now: datetime) -> int | None:
    """Minutes until issuing stops, when that is within the hour (5-minute steps)."""
    if not hall.schedule.issuing_now(now):
        return None
    for minutes in range(5, 65, 5):
        if not hall.schedule.issuing_now(now + timedelta(minutes=minutes)):
            return minutes
    return None


def _overview(tx: ReadTx, now: datetime) -> list[dict[str, Any]]:
    halls = public.list_halls(tx, now)
    for item in halls:
        row = tx.one("SELECT * FROM halls WHERE id = ?", (item["id"],))
        assert row is not None
        hall = hall_from_row(row)
        day = hall.schedule.business_day(now)
        item["hours_today"] = [[i.start_text, i.end_text] for i in hall.schedule.intervals_on(day)]
        item["issuing_ends_in"] = _issuing_ends_in(hall, now)
        item["remote_grace_minutes"] = hall.rules.remote_grace_minutes
    return halls


def etag_response(request: web.Request, data: Any, max_age: int = 5) -> web.Response:
    """JSON with a strong ETag and a short public max-age; 304 when the client has it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    tag = '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'
    headers = {"ETag": tag, "Cache-Control": f"public, max-age={max_age}"}
    asked = request.headers.get("If-None-Match", "")
    if tag in [t.strip() for t in asked.split(",")] or asked.strip() == "*":
        return web.Response(status=304, headers=headers)
    return web.Response(text=text, content_type="application/json", headers=headers)


async def overview(request: web.Request) -> web.Response:
    """The mobile page's one request: halls, waits, today's hours and issuing cut-off."""
    st = state(request)
    now = st.clock()
    halls = await st.db.read(lambda tx: _overview(tx, now))
    return etag_response(request, {"halls": halls, "at": iso(now)})


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
        {201: "subscribed", 409: "ticket closed"},
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
    Route(
        "GET",
        "/api/v1/remote/halls",
        overview,
        "Halls for the mobile page (cacheable)",
        "public",
        None,
        {200: "OK", 304: "not modified"},
        REMOTE_TAG,
    ),
    Route(
        "GET",
        f"{H}/crowd",
        crowd,
        "Tickets per hour today and typical",
        "public",
        None,
        {200: "OK", 404: "no such hall"},
        REMOTE_TAG,
    ),
    Route(
        "GET",
        "/api/v1/wechat/jssdk-signature",
        jssdk,
        "WeChat JS-SDK signature (?url=)",
        "public",
        None,
        {200: "OK", 404: "not configured"},
        REMOTE_TAG,
    ),
)
