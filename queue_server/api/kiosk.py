"""Routes for offline-first kiosks: their catalogue, number leases and the sync of tickets.

The rules live in :mod:`queue_server.service.leases`.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from queue_server.api import Route
from queue_server.api.http import json_response, read_json, require_actor, state
from queue_server.security import token_digest
from queue_server.service import leases
from queue_server.service.errors import forbidden

ID = {"type": "string", "minLength": 1, "maxLength": 64}
H = "/api/v1/halls/{hall_id}"

LEASE: dict[str, Any] = {
    "type": "object",
    "required": ["service_id"],
    "properties": {
        "service_id": ID,
        "size": {"type": "integer", "minimum": 1, "maximum": leases.MAX_LEASE},
    },
    "additionalProperties": False,
}
SYNC_TICKET: dict[str, Any] = {
    "type": "object",
    "required": ["id", "track_token", "lease_id", "seq", "service_id", "issued_at"],
    "properties": {
        "id": {"type": "string", "pattern": "^[0-9a-f]{16,32}$"},
        "track_token": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$"},
        "lease_id": ID,
        "seq": {"type": "integer", "minimum": 1},
        "service_id": ID,
        "issued_at": {
            "type": "string",
            "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$",
        },
        "id_number": {"type": "string", "maxLength": 32},
        "class": {"type": "string", "enum": ["normal", "green"]},
    },
    "additionalProperties": False,
}
SYNC: dict[str, Any] = {
    "type": "object",
    "required": ["tickets"],
    "properties": {"tickets": {"type": "array", "maxItems": 200, "items": SYNC_TICKET}},
    "additionalProperties": False,
}
EMPTY: dict[str, Any] = {"type": "object", "additionalProperties": False}


def _device_id(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise forbidden("devices send their token in the Authorization header")
    return token_digest(header[7:].strip())[:16]


async def catalogue(request: web.Request) -> web.Response:
    """The hall and its services as a kiosk shows them."""
    actor = require_actor(request)
    st = state(request)
    hall_id = request.match_info["hall_id"]
    now = st.clock()
    return json_response(
        await st.db.read(lambda tx: leases.kiosk_catalogue(tx, actor, hall_id, now))
    )


async def take_lease(request: web.Request) -> web.Response:
    """A kiosk reserves a block of numbers of one service."""
    actor = require_actor(request)
    body = await read_json(request, LEASE)
    st = state(request)
    hall_id = request.match_info["hall_id"]
    device_id = _device_id(request)
    now = st.clock()
    lease = await st.db.write(
        lambda tx: leases.take_lease(
            tx, actor, device_id, hall_id, body["service_id"], int(body.get("size", 20)), now
        )
    )
    return json_response({"lease": lease}, status=201)


async def release_lease(request: web.Request) -> web.Response:
    """A kiosk gives an unused block back."""
    actor = require_actor(request)
    await read_json(request, EMPTY)
    st = state(request)
    device_id = _device_id(request)
    lease_id = request.match_info["lease_id"]
    now = st.clock()
    lease = await st.db.write(lambda tx: leases.release_lease(tx, actor, device_id, lease_id, now))
    return json_response({"lease": lease})


async def sync(request: web.Request) -> web.Response:
    """A kiosk hands over the tickets it issued while the server was unreachable."""
    actor = require_actor(request)
    body = await read_json(request, SYNC)
    st = state(request)
    hall_id = request.match_info["hall_id"]
    device_id = _device_id(request)
    now = st.clock()
    results = await st.db.write(
        lambda tx: leases.sync_tickets(
            tx, actor, device_id, hall_id, body["tickets"], st.cipher, now
        )
    )
    return json_response({"results": results})


async def flagged(request: web.Request) -> web.Response:
    """Offline tickets that broke a rule, and today's leases (manager)."""
    actor = require_actor(request, staff=True)
    st = state(request)
    hall_id = request.match_info["hall_id"]
    now = st.clock()
    return json_response(
        await st.db.read(lambda tx: leases.flagged_tickets(tx, actor, hall_id, now))
    )


ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        f"{H}/kiosk",
        catalogue,
        "The hall and its services as a kiosk shows them",
        "device_or_staff",
        None,
        {200: "hall, services, server time", 404: "no such hall"},
        "kiosks",
    ),
    Route(
        "POST",
        f"{H}/kiosk/leases",
        take_lease,
        "Lease a block of ticket numbers for offline issuing",
        "device",
        LEASE,
        {201: "the lease", 409: "outside issuing hours", 422: "bad input"},
        "kiosks",
    ),
    Route(
        "POST",
        "/api/v1/kiosk/leases/{lease_id}/release",
        release_lease,
        "Give a lease back",
        "device",
        EMPTY,
        {200: "the lease with its use", 404: "unknown lease"},
        "kiosks",
    ),
    Route(
        "POST",
        f"{H}/kiosk/sync",
        sync,
        "Sync tickets issued offline (idempotent)",
        "device",
        SYNC,
        {200: "one result per ticket"},
        "kiosks",
    ),
    Route(
        "GET",
        f"{H}/kiosk/flags",
        flagged,
        "Flagged offline tickets and today's leases (manager)",
        "staff",
        None,
        {200: "flagged tickets and leases"},
        "kiosks",
    ),
)
