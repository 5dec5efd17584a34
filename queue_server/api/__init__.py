"""HTTP, SSE and WebSocket API: the only place routes are declared."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from queue_server.api import handlers as h
from queue_server.api import manage, schemas, sse, ws
from queue_server.api.http import json_response
from queue_server.service import calling

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Route:
    """One endpoint and what the OpenAPI document says of it."""

    method: str
    path: str
    handler: Handler
    summary: str
    auth: str
    body: dict[str, Any] | None = None
    responses: dict[int, str] = field(default_factory=lambda: {200: "OK"})
    tag: str = "tickets"


W = "/api/v1/windows/{window_id}"
H = "/api/v1/halls/{hall_id}"
ACTION = {200: "the ticket", 409: "not allowed in the current state"}

CORE_ROUTES: tuple[Route, ...] = (
    Route("GET", "/healthz", h.healthz, "Liveness", "public", tag="system"),
    Route(
        "POST",
        "/api/v1/auth/login",
        h.login,
        "Staff log-in",
        "public",
        schemas.LOGIN,
        {200: "token and role", 401: "wrong credentials"},
        "auth",
    ),
    Route(
        "POST",
        "/api/v1/auth/logout",
        h.logout,
        "Revoke own token",
        "any",
        None,
        {204: "done"},
        "auth",
    ),
    Route("GET", "/api/v1/halls", h.list_halls, "Halls with live waits", "public", tag="halls"),
    Route(
        "GET",
        H,
        h.get_hall,
        "One hall with live waits",
        "public",
        None,
        {200: "OK", 404: "no such hall"},
        "halls",
    ),
    Route("GET", f"{H}/windows", h.hall_windows, "The hall's windows", "staff", tag="windows"),
    Route(
        "POST",
        f"{H}/tickets",
        h.issue,
        "Issue a ticket",
        "device_or_staff",
        schemas.ISSUE,
        {201: "issued", 409: "duplicate, quota, hours or capacity", 422: "bad input"},
    ),
    Route(
        "GET",
        "/api/v1/tickets/{ticket_id}",
        h.track,
        "Follow a ticket with its track token (?token=)",
        "track_token",
        None,
        {200: "progress", 404: "unknown ticket or token"},
    ),
    Route(
        "POST",
        "/api/v1/tickets/{ticket_id}/cancel",
        h.cancel,
        "Cancel a ticket",
        "staff",
        schemas.EMPTY,
        ACTION,
    ),
    Route(
        "POST",
        f"{W}/call-next",
        h.call_next,
        "Finish the current ticket and call the next",
        "staff",
        schemas.EMPTY,
        {200: "the called ticket", 204: "nothing waits", 409: "window not open"},
        "windows",
    ),
    Route(
        "POST",
        f"{W}/call",
        h.call_ticket,
        "Call one ticket out of order (manager)",
        "staff",
        schemas.TICKET_REF,
        ACTION,
        "windows",
    ),
    Route(
        "POST",
        f"{W}/recall",
        h.window_action(calling.recall),
        "Recall the current ticket",
        "staff",
        schemas.EMPTY,
        ACTION,
        "windows",
    ),
    Route(
        "POST",
        f"{W}/start",
        h.window_action(calling.start),
        "Start serving",
        "staff",
        schemas.EMPTY,
        ACTION,
        "windows",
    ),
    Route(
        "POST",
        f"{W}/finish",
        h.window_action(calling.finish),
        "Finish",
        "staff",
        schemas.EMPTY,
        ACTION,
        "windows",
    ),
    Route(
        "POST",
        f"{W}/no-show",
        h.window_action(calling.no_show),
        "Mark a no-show",
        "staff",
        schemas.EMPTY,
        ACTION,
        "windows",
    ),
    Route(
        "POST",
        f"{W}/transfer",
        h.transfer,
        "Transfer the current ticket",
        "staff",
        schemas.TRANSFER,
        ACTION,
        "windows",
    ),
    Route(
        "POST",
        f"{W}/hold",
        h.window_action(calling.hold),
        "Hold the current ticket",
        "staff",
        schemas.EMPTY,
        ACTION,
        "windows",
    ),
    Route(
        "POST",
        f"{W}/unhold",
        h.unhold,
        "Call a held ticket back",
        "staff",
        schemas.TICKET_REF,
        ACTION,
        "windows",
    ),
    Route(
        "POST",
        f"{W}/open",
        h.window_move("open"),
        "Open the window",
        "staff",
        schemas.CONFIRM,
        {200: "the window", 409: "not allowed"},
        "windows",
    ),
    Route(
        "POST",
        f"{W}/pause",
        h.window_move("pause"),
        "Pause the window",
        "staff",
        schemas.CONFIRM,
        {200: "the window", 409: "confirmation required or not allowed"},
        "windows",
    ),
    Route(
        "POST",
        f"{W}/resume",
        h.window_move("resume"),
        "Resume the window",
        "staff",
        schemas.CONFIRM,
        {200: "the window", 409: "not allowed"},
        "windows",
    ),
    Route(
        "POST",
        f"{W}/close",
        h.window_move("close"),
        "Close the window",
        "staff",
        schemas.CONFIRM,
        {200: "the window", 409: "confirmation required or not allowed"},
        "windows",
    ),
    Route(
        "GET",
        f"{W}/queue",
        h.window_queue,
        "Waiting list in call order, with why",
        "staff",
        tag="windows",
    ),
    Route(
        "PUT",
        f"{W}/profile",
        h.set_profile,
        "Set services and weights (manager)",
        "staff",
        schemas.PROFILE,
        {200: "the window"},
        "windows",
    ),
    Route(
        "POST",
        f"{H}/notices",
        manage.post_notice,
        "Post a notice (manager)",
        "staff",
        schemas.NOTICE,
        {201: "posted"},
        "manage",
    ),
    Route(
        "POST",
        f"{H}/end-day",
        manage.end_day,
        "End the business day (manager)",
        "staff",
        schemas.EMPTY,
        {200: "count cancelled"},
        "manage",
    ),
    Route(
        "GET",
        f"{H}/devices",
        manage.list_devices,
        "Device tokens of the hall (manager)",
        "staff",
        tag="manage",
    ),
    Route(
        "POST",
        f"{H}/devices",
        manage.register_device,
        "Register a device (manager)",
        "staff",
        schemas.DEVICE,
        {201: "token shown once"},
        "manage",
    ),
    Route(
        "POST",
        f"{H}/devices/{{device_id}}/revoke",
        manage.revoke_device,
        "Revoke a device (manager)",
        "staff",
        schemas.EMPTY,
        {200: "revoked", 404: "unknown"},
        "manage",
    ),
    Route(
        "GET",
        f"{H}/events",
        sse.hall_events,
        "Live events (SSE) with Last-Event-ID replay",
        "public",
        None,
        {200: "text/event-stream"},
        "events",
    ),
    Route(
        "GET",
        "/api/v1/ws",
        ws.websocket,
        "WebSocket for consoles",
        "any",
        None,
        {101: "upgrade"},
        "events",
    ),
)


# Feature modules import Route from here, so they come after it.
from queue_server.api import (  # noqa: E402
    appointments,
    console,
    counter,
    estimates,
    kiosk,
    public_pages,
    remote,
    signage,
    wechat_login,
)

ROUTES: tuple[Route, ...] = (
    CORE_ROUTES
    + signage.ROUTES
    + console.ROUTES
    + kiosk.ROUTES
    + remote.ROUTES
    + public_pages.ROUTES
    + wechat_login.ROUTES
    + counter.ROUTES
    + estimates.ROUTES
    + appointments.ROUTES
)
"""Every route of the server: the core above plus each feature module's ``ROUTES``."""


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.0 description of :data:`ROUTES`."""
    from queue_server.api.openapi import build

    return build(ROUTES)


async def openapi_handler(request: web.Request) -> web.Response:
    """``GET /api/v1/openapi.json``."""
    return json_response(openapi_document())


def setup_routes(app: web.Application) -> None:
    """Register every route of :data:`ROUTES` plus the OpenAPI document."""
    for route in ROUTES:
        app.router.add_route(route.method, route.path, route.handler)
    app.router.add_get("/api/v1/openapi.json", openapi_handler)
