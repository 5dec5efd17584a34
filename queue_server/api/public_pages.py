"""The mobile page's data: the halls overview (one cacheable request), today's crowd curve,
and the WeChat JS-SDK signature ``wx.openLocation`` needs. All public, none personal."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from queue_server.api import Route
from queue_server.api.http import json_response, state
from queue_server.api.live import forecasts
from queue_server.api.remote_runtime import runtime
from queue_server.service import public
from queue_server.service.errors import ServiceError, forbidden, invalid
from queue_server.service.live_eta import Forecasts
from queue_server.service.notify.wechat import jssdk_signature
from queue_server.service.rows import hall_from_row, iso, parse_iso
from queue_server.store.db import ReadTx

H = "/api/v1/halls/{hall_id}"
TAG = "remote"


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


def _overview(tx: ReadTx, now: datetime, live: Forecasts) -> list[dict[str, Any]]:
    halls = public.list_halls(tx, now, live)
    for item in halls:
        row = tx.one("SELECT * FROM halls WHERE id = ?", (item["id"],))
        assert row is not None
        hall = hall_from_row(row)
        day = hall.schedule.business_day(now)
        item["hours_today"] = [[i.start_text, i.end_text] for i in hall.schedule.intervals_on(day)]
        item["issuing_ends_in"] = _issuing_ends_in(hall, now)
        item["remote_grace_minutes"] = hall.rules.remote_grace_minutes
        item["timezone"] = hall.schedule.timezone
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
    live = forecasts(request)
    halls = await st.db.read(lambda tx: _overview(tx, now, live))
    return etag_response(request, {"halls": halls, "at": iso(now)})


ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/remote/halls",
        overview,
        "Halls for the mobile page (cacheable)",
        "public",
        None,
        {200: "OK", 304: "not modified"},
        TAG,
    ),
    Route(
        "GET",
        f"{H}/crowd",
        crowd,
        "Tickets per hour today and typical",
        "public",
        None,
        {200: "OK", 404: "no such hall"},
        TAG,
    ),
    Route(
        "GET",
        "/api/v1/wechat/jssdk-signature",
        jssdk,
        "WeChat JS-SDK signature (?url=)",
        "public",
        None,
        {200: "OK", 404: "not configured"},
        TAG,
    ),
)
