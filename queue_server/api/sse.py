"""Server-sent events for screens: replay by ``Last-Event-ID``, then live, none twice."""

from __future__ import annotations

import asyncio
import json
import logging
from functools import partial

from aiohttp import web

from queue_server.api.http import state
from queue_server.domain.events import EventRecord
from queue_server.events import Subscription
from queue_server.service import eventlog
from queue_server.service.errors import invalid, not_found

log = logging.getLogger(__name__)
REPLAY_PAGE = 500
FRAME_CACHE = 4096


def _last_event_id(request: web.Request) -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.query.get("last_event_id")
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise invalid("invalid_request", "Last-Event-ID must be a non-negative integer")
    return int(raw)


def frame(event: EventRecord, cache: dict[int, bytes] | None = None) -> bytes:
    """One SSE message; with the bus's ``cache``, encoded once however many screens get it."""
    if cache is not None and (cached := cache.get(event.id)) is not None:
        return cached
    data = json.dumps(event.data, ensure_ascii=False, separators=(",", ":"))
    encoded = f"id: {event.id}\nevent: {event.type}\ndata: {data}\n\n".encode()
    if cache is not None:
        if len(cache) >= FRAME_CACHE:
            cache.clear()
        cache[event.id] = encoded
    return encoded


async def hall_events(request: web.Request) -> web.StreamResponse:
    """``GET /api/v1/halls/{hall_id}/events``."""
    st = state(request)
    hall_id = request.match_info["hall_id"]
    last_id = _last_event_id(request)
    if not await st.db.read(lambda tx: eventlog.hall_exists(tx, hall_id)):
        raise not_found("hall")
    subscription = st.bus.subscribe(hall_id)
    try:
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        await response.write(b"retry: 2000\n\n")
        sent: int | None
        if last_id is None:
            sent = await st.db.read(eventlog.newest_event_id)
        else:
            sent = await _replay(request, response, hall_id, last_id)
        if sent is not None:
            await _live(request, response, subscription, sent)
        return response
    finally:
        subscription.close()


async def _replay(
    request: web.Request, response: web.StreamResponse, hall_id: str, last_id: int
) -> int | None:
    st = state(request)
    if not await st.db.read(lambda tx: eventlog.can_replay(tx, last_id)):
        newest = await st.db.read(eventlog.newest_event_id)
        body = json.dumps({"last_event_id": newest})
        await response.write(f"event: reset\ndata: {body}\n\n".encode())
        return newest
    sent = last_id
    while True:
        after = sent
        page = await st.db.read(
            partial(eventlog.events_after, hall_id=hall_id, last_event_id=after, limit=REPLAY_PAGE)
        )
        for event in page:
            await response.write(frame(event))
            sent = event.id
        if len(page) < REPLAY_PAGE:
            return sent


async def _live(
    request: web.Request,
    response: web.StreamResponse,
    subscription: Subscription,
    sent: int,
) -> None:
    ping = state(request).settings.sse_ping_seconds
    cache = state(request).bus.frames
    while True:
        try:
            async with asyncio.timeout(ping):
                event = await subscription.next()
        except TimeoutError:
            await response.write(b": ping\n\n")
            continue
        if event is None:
            return
        if event.id <= sent:
            continue
        await response.write(frame(event, cache))
        sent = event.id
