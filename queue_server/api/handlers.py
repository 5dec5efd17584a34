"""REST handlers: validate, run one use case, answer JSON. No rules live here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from queue_server.api import schemas
from queue_server.api.http import json_response, read_json, require_actor, staff_write, state
from queue_server.api.live import forecast_for, forecasts
from queue_server.service import auth, calling, public, windows
from queue_server.service.actors import Actor
from queue_server.service.errors import invalid
from queue_server.service.issuing import IssueRequest, issue_ticket
from queue_server.service.rows import audit
from queue_server.store.db import WriteTx


async def healthz(request: web.Request) -> web.Response:
    """Liveness: answers once the database is open."""
    return json_response({"status": "ok"})


async def login(request: web.Request) -> web.Response:
    """Staff log in with a password and get an expiring bearer token."""
    body = await read_json(request, schemas.LOGIN)
    st = state(request)
    ttl = timedelta(hours=st.settings.token_ttl_hours)
    now = st.clock()
    result = await st.db.write(
        lambda tx: auth.login(tx, body["username"], body["password"], now, ttl)
    )
    return json_response(result)


async def logout(request: web.Request) -> web.Response:
    """Revoke the caller's token."""
    require_actor(request)
    token = request.headers["Authorization"][7:].strip()
    st = state(request)
    now = st.clock()
    await st.db.write(lambda tx: auth.logout(tx, token, now))
    return web.Response(status=204)


async def list_halls(request: web.Request) -> web.Response:
    """Public: every hall with live waits; cacheable (ETag, max-age 5 s, 304)."""
    from queue_server.api.public_pages import etag_response  # the mobile page's cacheable JSON

    st = state(request)
    now = st.clock()
    live = forecasts(request)
    halls = await st.db.read(lambda tx: public.list_halls(tx, now, live))
    return etag_response(request, {"halls": halls})


async def get_hall(request: web.Request) -> web.Response:
    """Public: one hall with live waits."""
    st = state(request)
    now = st.clock()
    hall_id = request.match_info["hall_id"]
    live = forecasts(request)
    return json_response(await st.db.read(lambda tx: public.hall_summary(tx, hall_id, now, live)))


async def hall_windows(request: web.Request) -> web.Response:
    """Staff: the hall's windows."""
    actor = require_actor(request, staff=True)
    st = state(request)
    hall_id = request.match_info["hall_id"]
    rows = await st.db.read(lambda tx: windows.list_windows(tx, actor, hall_id))
    return json_response({"windows": rows})


async def issue(request: web.Request) -> web.Response:
    """A kiosk or staff member issues a ticket."""
    actor = require_actor(request)
    body = await read_json(request, schemas.ISSUE)
    st = state(request)
    hall_id = request.match_info["hall_id"]
    ask = IssueRequest(
        body["service_id"], body.get("id_number"), body.get("class"), body.get("channel")
    )
    now = st.clock()
    forecast = forecast_for(request, hall_id)

    def run(tx: WriteTx) -> dict[str, Any]:
        row = tx.one("SELECT hall_id FROM services WHERE id = ?", (ask.service_id,))
        if row is None or row["hall_id"] != hall_id:
            raise invalid("invalid_request", "no such service in this hall")
        return issue_ticket(tx, actor, ask, st.cipher, now, forecast)

    ticket = await st.db.write(run)
    return json_response({"ticket": ticket}, status=201)


async def track(request: web.Request) -> web.Response:
    """Public with the track token: a ticket's progress."""
    st = state(request)
    token = request.query.get("token", "")
    ticket_id = request.match_info["ticket_id"]
    if not token:
        raise invalid("invalid_request", "the track token is required")
    now = st.clock()
    live = forecasts(request)
    return json_response(
        await st.db.read(lambda tx: public.track_ticket(tx, ticket_id, token, now, live))
    )


async def cancel(request: web.Request) -> web.Response:
    """Staff cancel a ticket."""
    ticket_id = request.match_info["ticket_id"]
    ticket = await staff_write(
        request,
        schemas.EMPTY,
        lambda tx, actor, _body, now: calling.cancel_ticket(tx, actor, ticket_id, now),
    )
    return json_response({"ticket": ticket})


WindowAction = Callable[[WriteTx, Actor, str, datetime], dict[str, Any]]


def window_action(action: WindowAction) -> Callable[[web.Request], Any]:
    """A handler for a body-less action on the window's current ticket."""

    async def handler(request: web.Request) -> web.Response:
        window_id = request.match_info["window_id"]
        ticket = await staff_write(
            request, schemas.EMPTY, lambda tx, actor, _body, now: action(tx, actor, window_id, now)
        )
        return json_response({"ticket": ticket})

    handler.__doc__ = action.__doc__
    return handler


async def call_next(request: web.Request) -> web.Response:
    """Finish the current ticket and call the next (204 when nothing waits)."""
    actor = require_actor(request, staff=True)
    await read_json(request, schemas.EMPTY)
    st = state(request)
    window_id = request.match_info["window_id"]
    now = st.clock()
    ticket = await st.db.write(lambda tx: calling.call_next(tx, actor, window_id, now))
    if ticket is None:
        return web.Response(status=204)
    return json_response({"ticket": ticket})


async def call_ticket(request: web.Request) -> web.Response:
    """A manager, or staff a manager allowed, calls one ticket out of order (audited)."""
    actor = require_actor(request, staff=True)
    body = await read_json(request, schemas.TICKET_REF)
    st = state(request)
    window_id = request.match_info["window_id"]
    now = st.clock()

    def run(tx: WriteTx) -> dict[str, Any]:
        ticket = calling.call_specific(tx, actor, window_id, body["ticket_id"], now)
        window = tx.one("SELECT hall_id FROM windows WHERE id = ?", (window_id,))
        hall_id = window["hall_id"] if window else None
        audit(
            tx,
            now,
            actor.name,
            hall_id,
            "ticket.call_specific",
            ticket_id=ticket["id"],
            number=ticket["number"],
            window_id=window_id,
        )
        return ticket

    return json_response({"ticket": await st.db.write(run)})


async def transfer(request: web.Request) -> web.Response:
    """Move the current ticket to another service and/or window."""
    window_id = request.match_info["window_id"]
    ticket = await staff_write(
        request,
        schemas.TRANSFER,
        lambda tx, actor, body, now: calling.transfer(
            tx, actor, window_id, now, body.get("service_id"), body.get("window_id")
        ),
    )
    return json_response({"ticket": ticket})


async def unhold(request: web.Request) -> web.Response:
    """Call a held ticket back to this window."""
    window_id = request.match_info["window_id"]
    ticket = await staff_write(
        request,
        schemas.TICKET_REF,
        lambda tx, actor, body, now: calling.unhold(tx, actor, window_id, body["ticket_id"], now),
    )
    return json_response({"ticket": ticket})


def window_move(move: str) -> Callable[[web.Request], Any]:
    """A handler that opens, pauses, resumes or closes a window."""

    async def handler(request: web.Request) -> web.Response:
        window_id = request.match_info["window_id"]
        window = await staff_write(
            request,
            schemas.CONFIRM,
            lambda tx, actor, body, now: windows.change_state(
                tx, actor, window_id, move, now, bool(body.get("confirm", False))
            ),
        )
        return json_response({"window": window})

    handler.__doc__ = f"{move.capitalize()} the window."
    return handler


async def window_queue(request: web.Request) -> web.Response:
    """The window's waiting list in call order, each with the rule and score."""
    actor = require_actor(request, staff=True)
    st = state(request)
    window_id = request.match_info["window_id"]
    now = st.clock()
    return json_response(
        await st.db.read(lambda tx: calling.queue_for_window(tx, actor, window_id, now))
    )


async def set_profile(request: web.Request) -> web.Response:
    """A manager changes a window's services and weights."""
    window_id = request.match_info["window_id"]
    window = await staff_write(
        request,
        schemas.PROFILE,
        lambda tx, actor, body, now: windows.set_profile(
            tx, actor, window_id, body["services"], now
        ),
    )
    return json_response({"window": window})
