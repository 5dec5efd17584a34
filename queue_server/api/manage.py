"""Manager actions on a hall: notices, the end of the day, device tokens."""

from __future__ import annotations

from aiohttp import web

from queue_server.api import schemas
from queue_server.api.http import json_response, require_actor, staff_write, state
from queue_server.service import auth, windows


async def post_notice(request: web.Request) -> web.Response:
    """Post a notice to the hall's screens."""
    hall_id = request.match_info["hall_id"]
    result = await staff_write(
        request,
        schemas.NOTICE,
        lambda tx, actor, body, now: windows.post_notice(
            tx, actor, hall_id, body["text"], body.get("text_en", ""), now
        ),
    )
    return json_response(result, status=201)


async def end_day(request: web.Request) -> web.Response:
    """End the business day: cancel every open ticket, with a notice."""
    hall_id = request.match_info["hall_id"]
    result = await staff_write(
        request,
        schemas.EMPTY,
        lambda tx, actor, _body, now: windows.end_day(tx, actor, hall_id, now),
    )
    return json_response(result)


async def register_device(request: web.Request) -> web.Response:
    """Register a kiosk, screen or counter agent; its token is shown once."""
    hall_id = request.match_info["hall_id"]
    result = await staff_write(
        request,
        schemas.DEVICE,
        lambda tx, actor, body, now: auth.register_device(
            tx, actor, hall_id, body["role"], body.get("label", ""), now
        ),
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
    hall_id = request.match_info["hall_id"]
    device_id = request.match_info["device_id"]
    result = await staff_write(
        request,
        schemas.EMPTY,
        lambda tx, actor, _body, now: auth.revoke_device(tx, actor, hall_id, device_id, now),
    )
    return json_response(result)
