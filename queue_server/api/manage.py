"""Manager actions on a hall: notices, the end of the day, device tokens."""

from __future__ import annotations

from aiohttp import web

from queue_server.api import schemas
from queue_server.api.http import json_response, read_json, require_actor, state
from queue_server.service import auth, windows


async def post_notice(request: web.Request) -> web.Response:
    """Post a notice to the hall's screens."""
    actor = require_actor(request, staff=True)
    body = await read_json(request, schemas.NOTICE)
    st = state(request)
    hall_id = request.match_info["hall_id"]
    now = st.clock()
    result = await st.db.write(
        lambda tx: windows.post_notice(
            tx, actor, hall_id, body["text"], body.get("text_en", ""), now
        )
    )
    return json_response(result, status=201)


async def end_day(request: web.Request) -> web.Response:
    """End the business day: cancel every open ticket, with a notice."""
    actor = require_actor(request, staff=True)
    await read_json(request, schemas.EMPTY)
    st = state(request)
    hall_id = request.match_info["hall_id"]
    now = st.clock()
    return json_response(await st.db.write(lambda tx: windows.end_day(tx, actor, hall_id, now)))


async def register_device(request: web.Request) -> web.Response:
    """Register a kiosk, screen or counter agent; its token is shown once."""
    actor = require_actor(request, staff=True)
    body = await read_json(request, schemas.DEVICE)
    st = state(request)
    hall_id = request.match_info["hall_id"]
    now = st.clock()
    result = await st.db.write(
        lambda tx: auth.register_device(
            tx, actor, hall_id, body["role"], body.get("label", ""), now
        )
    )
    return json_response(result, status=201)


async def list_devices(request: web.Request) -> web.Response:
    """The hall's devices (never their tokens)."""
    actor = require_actor(request, staff=True)
    st = state(request)
    hall_id = request.match_info["hall_id"]
    return json_response(
        {"devices": await st.db.read(lambda tx: auth.list_devices(tx, actor, hall_id))}
    )


async def revoke_device(request: web.Request) -> web.Response:
    """Revoke a device token; the device is refused from its next request."""
    actor = require_actor(request, staff=True)
    await read_json(request, schemas.EMPTY)
    st = state(request)
    hall_id = request.match_info["hall_id"]
    device_id = request.match_info["device_id"]
    now = st.clock()
    result = await st.db.write(lambda tx: auth.revoke_device(tx, actor, hall_id, device_id, now))
    return json_response(result)
