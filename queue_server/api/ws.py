"""WebSocket for consoles: ``{id, type}`` messages, event subscriptions, bounded sends.

Client → server: ``{"id": 1, "type": "subscribe_events", "hall_id": "…",
"last_event_id": 42?}``, ``{"id": 2, "type": "unsubscribe_events", "subscription": 1}``,
``{"id": 3, "type": "ping"}``. Server → client: ``{"id", "type": "result", "success",
"result" | "error"}`` and ``{"id": <subscription id>, "type": "event", "event": {"id",
"type", "data"}}``. A client that cannot keep up with its send queue is disconnected
(close code 1008); it reconnects and resubscribes with ``last_event_id``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from aiohttp import WSMsgType, web

from queue_server.api.http import require_actor, state
from queue_server.domain.events import EventRecord
from queue_server.events import Subscription
from queue_server.service import eventlog
from queue_server.service.errors import ServiceError

log = logging.getLogger(__name__)
TOO_SLOW = 1008


class Connection:
    """One console's socket: its subscriptions and its bounded outbox."""

    def __init__(self, request: web.Request, ws: web.WebSocketResponse, queue_size: int) -> None:
        self.request = request
        self.ws = ws
        self.outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue(queue_size)
        self.subscriptions: dict[int, tuple[Subscription, asyncio.Task[None]]] = {}
        self.too_slow = False

    def send(self, message: dict[str, Any]) -> None:
        """Queue a message; overflowing marks the client as too slow."""
        try:
            self.outbox.put_nowait(message)
        except asyncio.QueueFull:
            self.too_slow = True
            self.outbox = asyncio.Queue(1)
            self.outbox.put_nowait({"type": "close"})

    async def writer(self) -> None:
        """Drain the outbox onto the socket."""
        while True:
            message = await self.outbox.get()
            if message.get("type") == "close":
                await self.ws.close(code=TOO_SLOW, message=b"too slow")
                return
            await self.ws.send_str(json.dumps(message, ensure_ascii=False))

    def close_all(self) -> None:
        """Unsubscribe everything."""
        for subscription, task in self.subscriptions.values():
            subscription.close()
            task.cancel()
        self.subscriptions.clear()


def _event_message(sub_id: int, event: EventRecord) -> dict[str, Any]:
    return {
        "id": sub_id,
        "type": "event",
        "event": {"id": event.id, "type": event.type, "hall_id": event.hall_id, "data": event.data},
    }


async def _pump(conn: Connection, sub_id: int, sub: Subscription, last_id: int | None) -> None:
    st = state(conn.request)
    if last_id is None:
        sent = await st.db.read(eventlog.newest_event_id)
    elif not await st.db.read(lambda tx: eventlog.can_replay(tx, last_id)):
        sent = await st.db.read(eventlog.newest_event_id)
        conn.send({"id": sub_id, "type": "reset", "last_event_id": sent})
    else:
        sent = last_id
        backlog = await st.db.read(lambda tx: eventlog.events_after(tx, sub.hall_id, sent, 10_000))
        for event in backlog:
            conn.send(_event_message(sub_id, event))
            sent = event.id
    while not conn.too_slow:
        live = await sub.next()
        if live is None:
            conn.send({"type": "close"})
            conn.too_slow = True
            return
        if live.id > sent:
            conn.send(_event_message(sub_id, live))
            sent = live.id


async def _command(conn: Connection, message: dict[str, Any]) -> dict[str, Any]:
    kind = message.get("type")
    st = state(conn.request)
    if kind == "ping":
        return {"pong": True}
    if kind == "subscribe_events":
        hall_id = message.get("hall_id")
        last_id = message.get("last_event_id")
        if not isinstance(hall_id, str) or not (last_id is None or isinstance(last_id, int)):
            raise ServiceError("invalid_request", "hall_id (string) and last_event_id (integer)")
        if not await st.db.read(lambda tx: eventlog.hall_exists(tx, hall_id)):
            raise ServiceError("not_found", "hall not found", 404)
        sub = st.bus.subscribe(hall_id)
        task = asyncio.create_task(_pump(conn, int(message["id"]), sub, last_id))
        conn.subscriptions[int(message["id"])] = (sub, task)
        return {"subscription": message["id"]}
    if kind == "unsubscribe_events":
        found = conn.subscriptions.pop(int(message.get("subscription", -1)), None)
        if found is None:
            raise ServiceError("not_found", "no such subscription", 404)
        found[0].close()
        found[1].cancel()
        return {}
    raise ServiceError("unknown_command", f"unknown message type {kind!r}")


async def websocket(request: web.Request) -> web.WebSocketResponse:
    """``GET /api/v1/ws`` (staff or device token, header or ``?token=``)."""
    require_actor(request)
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=64 * 1024)
    await ws.prepare(request)
    conn = Connection(request, ws, state(request).settings.ws_queue_size)
    writer = asyncio.create_task(conn.writer())
    try:
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            await _handle_text(conn, msg.data)
    finally:
        conn.close_all()
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writer
    return ws


async def _handle_text(conn: Connection, text: str) -> None:
    try:
        message = json.loads(text)
    except ValueError:
        conn.send(
            {
                "id": None,
                "type": "result",
                "success": False,
                "error": {"code": "malformed_json", "message": "not JSON"},
            }
        )
        return
    if not isinstance(message, dict) or not isinstance(message.get("id"), int):
        conn.send(
            {
                "id": None,
                "type": "result",
                "success": False,
                "error": {"code": "invalid_request", "message": "messages need an integer id"},
            }
        )
        return
    try:
        result = await _command(conn, message)
    except ServiceError as err:
        conn.send(
            {
                "id": message["id"],
                "type": "result",
                "success": False,
                "error": {"code": err.code, "message": err.message},
            }
        )
        return
    conn.send({"id": message["id"], "type": "result", "success": True, "result": result})
