"""SSE and WebSocket: ids, payloads, replay after a disconnect, reset, slow consumers."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import WSMsgType

from queue_server.domain.events import TICKET_EVENT_KEYS, WINDOW_EVENT_KEYS
from tests.queue_server.conftest import Hall
from tests.queue_server.sse_client import Message, messages


async def collect(
    hall: Hall, count: int, last_id: int | None = None, query: bool = False
) -> list[Message]:
    path = "/api/v1/halls/h1/events"
    headers = {}
    if last_id is not None and query:
        path += f"?last_event_id={last_id}"
    elif last_id is not None:
        headers["Last-Event-ID"] = str(last_id)
    response = await hall.client.get(path, headers=headers)
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    got: list[Message] = []
    async for message in messages(response):
        got.append(message)
        if len(got) == count:
            break
    response.close()
    return got


async def test_live_events_have_the_contract_shape(hall: Hall) -> None:
    reader = asyncio.create_task(collect(hall, 3))
    await asyncio.sleep(0.2)
    await hall.issue("s-a", id_number="110105199003071239")
    await hall.call_next("w2")
    await hall.post("clerk2", "/api/v1/windows/w2/finish")
    got = await asyncio.wait_for(reader, 5)
    assert [m.event for m in got] == ["ticket.issued", "ticket.called", "ticket.finished"]
    ids = [m.id for m in got]
    assert all(i is not None for i in ids) and ids == sorted(ids) and len(set(ids)) == 3
    for m in got:
        assert tuple(m.data) == TICKET_EVENT_KEYS
        assert "110105" not in str(m.data)
    assert got[1].data["window_number"] == 2


async def test_window_events(hall: Hall) -> None:
    reader = asyncio.create_task(collect(hall, 2))
    await asyncio.sleep(0.2)
    await hall.post("clerk1", "/api/v1/windows/w1/pause")
    await hall.post("clerk1", "/api/v1/windows/w1/resume")
    got = await asyncio.wait_for(reader, 5)
    assert [m.event for m in got] == ["window.paused", "window.resumed"]
    assert tuple(got[0].data) == WINDOW_EVENT_KEYS
    assert got[0].data["state"] == "paused"


async def test_replay_after_disconnect_misses_nothing(hall: Hall) -> None:
    reader = asyncio.create_task(collect(hall, 1))
    await asyncio.sleep(0.2)
    await hall.issue()
    first = (await asyncio.wait_for(reader, 5))[0]
    for _ in range(5):
        await hall.issue()
    await hall.call_next("w1")
    for use_query in (False, True):
        replayed = await asyncio.wait_for(collect(hall, 6, first.id, use_query), 5)
        assert [m.event for m in replayed] == ["ticket.issued"] * 5 + ["ticket.called"]
        assert [m.id for m in replayed] == sorted({m.id for m in replayed})
        assert all(m.id is not None and m.id > (first.id or 0) for m in replayed)


async def test_replay_then_live_without_duplicates(hall: Hall) -> None:
    await hall.issue()
    reader = asyncio.create_task(collect(hall, 4, 0))
    await asyncio.sleep(0.2)
    for _ in range(3):
        await hall.issue()
    got = await asyncio.wait_for(reader, 5)
    ids = [m.id for m in got]
    assert len(set(ids)) == 4 and ids == sorted(ids)


async def test_unknown_last_event_id_gets_reset(hall: Hall) -> None:
    got = await asyncio.wait_for(collect(hall, 1, 10_000), 5)
    assert got[0].event == "reset"
    assert got[0].id is None


async def test_bad_last_event_id_is_a_json_error(hall: Hall) -> None:
    response = await hall.client.get("/api/v1/halls/h1/events", headers={"Last-Event-ID": "x"})
    assert response.status == 422
    response = await hall.client.get("/api/v1/halls/nope/events")
    assert response.status == 404


async def ws_call(ws: Any, message: dict[str, Any]) -> dict[str, Any]:
    await ws.send_json(message)
    while True:
        reply: dict[str, Any] = await ws.receive_json(timeout=5)
        if reply["type"] == "result" and reply["id"] == message["id"]:
            return reply


async def test_websocket_subscribe_and_unsubscribe(hall: Hall) -> None:
    token = await hall.token("clerk1")
    ws = await hall.client.ws_connect(f"/api/v1/ws?token={token}")
    assert (await ws_call(ws, {"id": 1, "type": "ping"}))["result"] == {"pong": True}
    reply = await ws_call(ws, {"id": 2, "type": "subscribe_events", "hall_id": "h1"})
    assert reply["success"] is True
    await asyncio.sleep(0.1)
    await hall.issue()
    event = await ws.receive_json(timeout=5)
    assert event["type"] == "event" and event["id"] == 2
    assert event["event"]["type"] == "ticket.issued"
    reply = await ws_call(ws, {"id": 3, "type": "unsubscribe_events", "subscription": 2})
    assert reply["success"] is True
    reply = await ws_call(ws, {"id": 4, "type": "nonsense"})
    assert reply["error"]["code"] == "unknown_command"
    await ws.send_str("{")
    assert (await ws.receive_json(timeout=5))["error"]["code"] == "malformed_json"
    await ws.close()


async def test_websocket_needs_a_token(hall: Hall) -> None:
    response = await hall.client.get("/api/v1/ws")
    assert response.status == 401


async def test_websocket_drops_a_client_that_cannot_keep_up(make_hall: Any) -> None:
    hall = await make_hall(ws_queue_size=4)
    token = await hall.token("manager")
    await asyncio.gather(*(hall.issue() for _ in range(40)))
    ws = await hall.client.ws_connect(f"/api/v1/ws?token={token}")
    await ws.send_json({"id": 1, "type": "subscribe_events", "hall_id": "h1", "last_event_id": 0})
    closed = False
    for _ in range(100):
        message = await ws.receive(timeout=5)
        if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING):
            closed = True
            break
    assert closed
    assert ws.close_code == 1008
    await ws.close()
