"""Routes of the counter console, the help desk and the hall manager console.

Handlers validate, run one use case in one transaction and answer JSON; the rules live in
``queue_server.service`` (console, help, health, settings, staff, stats).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from queue_server.api import Route
from queue_server.api.console_schemas import (
    CLERK_CHANGE,
    CLERK_CHANGE_CHECK,
    DESK_TICKET,
    EMPTY,
    HEARTBEAT,
    HELP_REQUEST,
    LOOKUP,
    NEW_CLERK,
    NEW_PASSWORD,
    RULES,
    RULES_CHECK,
    SCHEDULE,
    SERVICE_RULES,
    SERVICE_RULES_CHECK,
)
from queue_server.api.http import json_response, read_json, require_actor, state
from queue_server.api.live import forecast_for, forecasts
from queue_server.security import token_digest
from queue_server.service import console, health, help, settings, staff, stats
from queue_server.service.errors import ServiceError, forbidden, invalid


def _device_id(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise forbidden("devices send their token in the Authorization header")
    return token_digest(header[7:].strip())[:16]


def _day(request: web.Request) -> str | None:
    day = request.query.get("day")
    if day is None:
        return None
    if len(day) != 10 or day[4] != "-" or day[7] != "-" or not day.replace("-", "").isdigit():
        raise invalid("invalid_request", "day is YYYY-MM-DD")
    return day


async def window_console(request: web.Request) -> web.Response:
    """Everything a counter console shows for one window."""
    actor = require_actor(request, staff=True)
    st = state(request)
    window_id = request.match_info["window_id"]
    now = st.clock()
    return json_response(
        await st.db.read(lambda tx: console.window_console(tx, actor, window_id, now))
    )


async def desk_ticket(request: web.Request) -> web.Response:
    """The help desk issues a ticket (no ID card, proxy, green channel)."""
    actor = require_actor(request, staff=True)
    body = await read_json(request, DESK_TICKET)
    st = state(request)
    hall_id = request.match_info["hall_id"]
    now = st.clock()
    forecast = forecast_for(request, hall_id)
    ticket = await st.db.write(
        lambda tx: help.issue_at_desk(tx, actor, hall_id, body, st.cipher, now, forecast)
    )
    return json_response({"ticket": ticket}, status=201)


async def desk_lookup(request: web.Request) -> web.Response:
    """Find today's tickets by ID number or by number, for a reprint."""
    actor = require_actor(request, staff=True)
    body = await read_json(request, LOOKUP)
    st = state(request)
    hall_id = request.match_info["hall_id"]
    now = st.clock()
    found = await st.db.read(lambda tx: help.find_tickets(tx, actor, hall_id, body, st.cipher, now))
    return json_response({"tickets": found})


async def reprint(request: web.Request) -> web.Response:
    """Reprint a lost ticket (audited)."""
    actor = require_actor(request, staff=True)
    await read_json(request, EMPTY)
    st = state(request)
    ticket_id = request.match_info["ticket_id"]
    now = st.clock()
    ticket = await st.db.write(lambda tx: help.reprint(tx, actor, ticket_id, now))
    return json_response({"ticket": ticket})


async def ask_help(request: web.Request) -> web.Response:
    """A kiosk asks the help desk for help."""
    actor = require_actor(request)
    body = await read_json(request, HELP_REQUEST)
    st = state(request)
    hall_id = request.match_info["hall_id"]
    device_id = _device_id(request) if actor.kind == "device" else ""
    now = st.clock()
    result = await st.db.write(
        lambda tx: help.request_help(
            tx, actor, device_id, hall_id, body.get("kind", "help"), body.get("message", ""), now
        )
    )
    return json_response({"help_request": result}, status=201)


async def help_requests(request: web.Request) -> web.Response:
    """Open help requests (``?all=1``: also resolved ones)."""
    actor = require_actor(request, staff=True)
    st = state(request)
    hall_id = request.match_info["hall_id"]
    everything = request.query.get("all") in ("1", "true")
    now = st.clock()
    found = await st.db.read(
        lambda tx: help.list_help_requests(tx, actor, hall_id, everything, now)
    )
    return json_response({"help_requests": found})


def help_move(move: str) -> Any:
    """A handler that acknowledges or resolves a help request."""

    async def handler(request: web.Request) -> web.Response:
        actor = require_actor(request, staff=True)
        await read_json(request, EMPTY)
        st = state(request)
        request_id = request.match_info["request_id"]
        now = st.clock()
        result = await st.db.write(
            lambda tx: help.update_help_request(tx, actor, request_id, move, now)
        )
        return json_response({"help_request": result})

    handler.__doc__ = f"{move.capitalize()} a help request."
    return handler


async def heartbeat(request: web.Request) -> web.Response:
    """A device reports its parts' health."""
    actor = require_actor(request)
    if actor.kind != "device":
        raise forbidden("devices only")
    body = await read_json(request, HEARTBEAT)
    st = state(request)
    device_id = _device_id(request)
    now = st.clock()
    result = await st.db.write(
        lambda tx: health.heartbeat(tx, actor, device_id, body["devices"], now)
    )
    return json_response(result)


async def floor(request: web.Request) -> web.Response:
    """The live floor of a hall (manager)."""
    actor = require_actor(request, staff=True)
    st = state(request)
    hall_id = request.match_info["hall_id"]
    now = st.clock()
    live = forecasts(request)
    return json_response(await st.db.read(lambda tx: stats.floor(tx, actor, hall_id, now, live)))


async def get_settings(request: web.Request) -> web.Response:
    """The hall's rules, schedule and service rules (manager)."""
    actor = require_actor(request, staff=True)
    st = state(request)
    hall_id = request.match_info["hall_id"]
    return json_response(await st.db.read(lambda tx: settings.hall_settings(tx, actor, hall_id)))


async def put_rules(request: web.Request) -> web.Response:
    """Change the call-order policy and alarm settings (manager)."""
    actor = require_actor(request, staff=True)
    body = await read_json(request, RULES_CHECK)
    st = state(request)
    hall_id = request.match_info["hall_id"]
    now = st.clock()
    rules = await st.db.write(lambda tx: settings.update_rules(tx, actor, hall_id, body, now))
    return json_response({"rules": rules})


async def put_schedule(request: web.Request) -> web.Response:
    """Change opening/issuing hours (manager)."""
    actor = require_actor(request, staff=True)
    body = await read_json(request, SCHEDULE)
    st = state(request)
    hall_id = request.match_info["hall_id"]
    now = st.clock()
    schedule = await st.db.write(lambda tx: settings.update_schedule(tx, actor, hall_id, body, now))
    return json_response({"schedule": schedule})


async def put_service_rules(request: web.Request) -> web.Response:
    """Change a service's quotas, typical time and alarm threshold (manager)."""
    actor = require_actor(request, staff=True)
    body = await read_json(request, SERVICE_RULES_CHECK)
    st = state(request)
    service_id = request.match_info["service_id"]
    now = st.clock()
    rules = await st.db.write(lambda tx: settings.update_service(tx, actor, service_id, body, now))
    return json_response({"service": rules})


async def list_staff(request: web.Request) -> web.Response:
    """The hall's staff (manager)."""
    actor = require_actor(request, staff=True)
    st = state(request)
    hall_id = request.match_info["hall_id"]
    return json_response(
        {"staff": await st.db.read(lambda tx: staff.list_staff(tx, actor, hall_id))}
    )


async def add_clerk(request: web.Request) -> web.Response:
    """Add a clerk (manager)."""
    actor = require_actor(request, staff=True)
    body = await read_json(request, NEW_CLERK)
    st = state(request)
    hall_id = request.match_info["hall_id"]
    now = st.clock()
    member = await st.db.write(lambda tx: staff.add_clerk(tx, actor, hall_id, body, now))
    return json_response({"staff": member}, status=201)


async def update_clerk(request: web.Request) -> web.Response:
    """Change a clerk's window, name, permissions or active flag (manager)."""
    actor = require_actor(request, staff=True)
    body = await read_json(request, CLERK_CHANGE_CHECK)
    st = state(request)
    hall_id = request.match_info["hall_id"]
    username = request.match_info["username"]
    now = st.clock()
    member = await st.db.write(
        lambda tx: staff.update_clerk(tx, actor, hall_id, username, body, now)
    )
    return json_response({"staff": member})


async def reset_password(request: web.Request) -> web.Response:
    """Reset a clerk's password (manager)."""
    actor = require_actor(request, staff=True)
    body = await read_json(request, NEW_PASSWORD)
    st = state(request)
    hall_id = request.match_info["hall_id"]
    username = request.match_info["username"]
    now = st.clock()
    result = await st.db.write(
        lambda tx: staff.reset_password(tx, actor, hall_id, username, body["password"], now)
    )
    return json_response(result)


async def today(request: web.Request) -> web.Response:
    """Today's figures for the charts (manager)."""
    actor = require_actor(request, staff=True)
    st = state(request)
    hall_id = request.match_info["hall_id"]
    day = _day(request)
    now = st.clock()
    return json_response(await st.db.read(lambda tx: stats.today(tx, actor, hall_id, now, day)))


async def report(request: web.Request) -> web.Response:
    """The day report as CSV (manager)."""
    actor = require_actor(request, staff=True)
    st = state(request)
    hall_id = request.match_info["hall_id"]
    day = _day(request)
    now = st.clock()
    text = await st.db.read(lambda tx: stats.report_csv(tx, actor, hall_id, now, day))
    name = f"onevisit-{hall_id}-{day or 'today'}.csv"
    return web.Response(
        body=("\ufeff" + text).encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def audit_log(request: web.Request) -> web.Response:
    """The newest audit records (manager; ``?limit=``, default 100, at most 1000)."""
    actor = require_actor(request, staff=True)
    st = state(request)
    hall_id = request.match_info["hall_id"]
    try:
        limit = int(request.query.get("limit", "100"))
    except ValueError:
        raise ServiceError("invalid_request", "limit is a whole number", 422) from None
    if not 1 <= limit <= 1000:
        raise ServiceError("invalid_request", "limit is within 1..1000", 422)
    return json_response(
        {"audit": await st.db.read(lambda tx: stats.audit_log(tx, actor, hall_id, limit))}
    )


W = "/api/v1/windows/{window_id}"
H = "/api/v1/halls/{hall_id}"
MANAGER = {200: "OK", 403: "not a manager of this hall"}

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        f"{W}/console",
        window_console,
        "Counter console state",
        "staff",
        None,
        {200: "OK", 403: "not this clerk's window"},
        "consoles",
    ),
    Route(
        "POST",
        f"{H}/help-desk/tickets",
        desk_ticket,
        "Issue at the help desk",
        "staff",
        DESK_TICKET,
        {201: "issued", 409: "duplicate, quota or hours", 422: "bad input"},
        "consoles",
    ),
    Route(
        "POST",
        f"{H}/help-desk/lookup",
        desk_lookup,
        "Find today's tickets for a reprint",
        "staff",
        LOOKUP,
        {200: "tickets", 422: "bad input"},
        "consoles",
    ),
    Route(
        "POST",
        "/api/v1/tickets/{ticket_id}/reprint",
        reprint,
        "Reprint a lost ticket",
        "staff",
        EMPTY,
        {200: "the ticket", 409: "not open"},
        "consoles",
    ),
    Route(
        "POST",
        f"{H}/help-requests",
        ask_help,
        "A kiosk asks for help",
        "device",
        HELP_REQUEST,
        {201: "the help request", 403: "kiosks only"},
        "consoles",
    ),
    Route(
        "GET",
        f"{H}/help-requests",
        help_requests,
        "Help requests of the hall",
        "staff",
        tag="consoles",
    ),
    Route(
        "POST",
        "/api/v1/help-requests/{request_id}/acknowledge",
        help_move("acknowledge"),
        "Acknowledge a help request",
        "staff",
        EMPTY,
        {200: "the help request", 409: "already acknowledged or resolved"},
        "consoles",
    ),
    Route(
        "POST",
        "/api/v1/help-requests/{request_id}/resolve",
        help_move("resolve"),
        "Resolve a help request",
        "staff",
        EMPTY,
        {200: "the help request", 409: "already resolved"},
        "consoles",
    ),
    Route(
        "POST",
        "/api/v1/devices/heartbeat",
        heartbeat,
        "Device heartbeat with health",
        "device",
        HEARTBEAT,
        {200: "stored", 403: "devices only"},
        "consoles",
    ),
    Route("GET", f"{H}/floor", floor, "Live floor (manager)", "staff", None, MANAGER, "consoles"),
    Route(
        "GET",
        f"{H}/settings",
        get_settings,
        "Rules, hours and quotas (manager)",
        "staff",
        None,
        MANAGER,
        "consoles",
    ),
    Route(
        "PUT",
        f"{H}/rules",
        put_rules,
        "Change the call-order policy (manager)",
        "staff",
        RULES,
        MANAGER,
        "consoles",
    ),
    Route(
        "PUT",
        f"{H}/schedule",
        put_schedule,
        "Change opening and issuing hours (manager)",
        "staff",
        SCHEDULE,
        MANAGER,
        "consoles",
    ),
    Route(
        "PUT",
        "/api/v1/services/{service_id}/rules",
        put_service_rules,
        "Change a service's quotas and alarm (manager)",
        "staff",
        SERVICE_RULES,
        MANAGER,
        "consoles",
    ),
    Route(
        "GET",
        f"{H}/staff",
        list_staff,
        "Staff of the hall (manager)",
        "staff",
        None,
        MANAGER,
        "consoles",
    ),
    Route(
        "POST",
        f"{H}/staff",
        add_clerk,
        "Add a clerk (manager)",
        "staff",
        NEW_CLERK,
        {201: "added", 409: "username taken"},
        "consoles",
    ),
    Route(
        "PUT",
        f"{H}/staff/{{username}}",
        update_clerk,
        "Change a clerk (manager)",
        "staff",
        CLERK_CHANGE,
        MANAGER,
        "consoles",
    ),
    Route(
        "POST",
        f"{H}/staff/{{username}}/password",
        reset_password,
        "Reset a clerk's password (manager)",
        "staff",
        NEW_PASSWORD,
        MANAGER,
        "consoles",
    ),
    Route(
        "GET",
        f"{H}/stats/today",
        today,
        "Figures for the charts (manager; ?day=)",
        "staff",
        None,
        MANAGER,
        "consoles",
    ),
    Route(
        "GET",
        f"{H}/report.csv",
        report,
        "Day report as CSV (manager; ?day=)",
        "staff",
        None,
        {200: "text/csv", 403: "not a manager of this hall"},
        "consoles",
    ),
    Route(
        "GET",
        f"{H}/audit",
        audit_log,
        "Audit log (manager; ?limit=)",
        "staff",
        None,
        MANAGER,
        "consoles",
    ),
)
