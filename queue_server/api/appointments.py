"""Routes for appointments (预约): booking rules, public slots, booking with a phone's
one-time code, the holder's view, cancelling, the staff's day list and check-in by code.
Rules live in :mod:`queue_server.service.appointments`."""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from queue_server.api import Route
from queue_server.api.http import caller, json_response, read_json, require_actor, state
from queue_server.api.live import forecast_for
from queue_server.api.public_pages import etag_response
from queue_server.api.remote_runtime import runtime
from queue_server.service import appointment_checkin, appointment_rules, appointments
from queue_server.service.errors import ServiceError, forbidden

H = "/api/v1/halls/{hall_id}"
A = "/api/v1/appointments/{appointment_id}"
TAG = "appointments"
TEXT = {"type": "string", "maxLength": 64}

RULES_CHANGE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "hall": {"type": "object"},
        "services": {
            "type": "array",
            "maxItems": 200,
            "items": {
                "type": "object",
                "required": ["service_id"],
                "properties": {"service_id": TEXT},
            },
        },
    },
    "additionalProperties": False,
}
BOOK: dict[str, Any] = {
    "type": "object",
    "required": ["service_id", "slot_start", "phone", "code", "id_number"],
    "properties": {
        "service_id": TEXT,
        "slot_start": TEXT,
        "phone": {"type": "string", "maxLength": 20},
        "code": {"type": "string", "maxLength": 16},
        "id_number": {"type": "string", "maxLength": 32},
    },
    "additionalProperties": False,
}
CANCEL: dict[str, Any] = {
    "type": "object",
    "properties": {"holder": {"type": "string", "maxLength": 128}},
    "additionalProperties": False,
}
CHECK_IN: dict[str, Any] = {
    "type": "object",
    "required": ["code"],
    "properties": {"code": {"type": "string", "pattern": "^(APPT:)?[0-9]{1,20}$"}},
    "additionalProperties": False,
}


async def get_rules(request: web.Request) -> web.Response:
    """The hall's booking rules and each service's slots and capacity (staff of the hall)."""
    actor = require_actor(request, staff=True)
    st = state(request)
    hall_id = request.match_info["hall_id"]
    return json_response(
        await st.db.read(lambda tx: appointment_rules.rules_view(tx, actor, hall_id))
    )


async def put_rules(request: web.Request) -> web.Response:
    """Change booking rules (manager of the hall); applies to the next booking."""
    actor = require_actor(request, staff=True)
    body = await read_json(request, RULES_CHANGE)
    st = state(request)
    now = st.clock()
    hall_id = request.match_info["hall_id"]
    view = await st.db.write(
        lambda tx: appointment_rules.change_rules(tx, actor, hall_id, body, now)
    )
    return json_response(view)


async def day_list(request: web.Request) -> web.Response:
    """A day's appointments and slot bookings (``?date=YYYY-MM-DD[&service_id=]``, staff)."""
    actor = require_actor(request, staff=True)
    st = state(request)
    hall_id = request.match_info["hall_id"]
    day = request.query.get("date", "")
    service_id = request.query.get("service_id") or None
    data = await st.db.read(lambda tx: appointments.day_list(tx, actor, hall_id, day, service_id))
    return json_response(data)


async def slots(request: web.Request) -> web.Response:
    """Released slots of a service with the places left (public, cacheable)."""
    st = state(request)
    now = st.clock()
    hall_id, service_id = request.match_info["hall_id"], request.match_info["service_id"]
    data = await st.db.read(lambda tx: appointments.public_slots(tx, hall_id, service_id, now))
    return etag_response(request, data)


async def book(request: web.Request) -> web.Response:
    """Book a slot with a phone, its one-time code and an ID number."""
    body = await read_json(request, BOOK)
    st, rt = state(request), runtime(request)
    now = st.clock()
    hall_id = request.match_info["hall_id"]
    address = request.remote or "unknown"
    booked = await st.db.write(
        lambda tx: appointments.book(tx, st.cipher, hall_id, body, address, rt.limits, now)
    )
    if booked is None:
        raise appointments.BAD_CODE
    return json_response(booked, 201)


async def holder_view(request: web.Request) -> web.Response:
    """The booking, for the phone that made it (``?holder=``)."""
    st = state(request)
    appointment_id = request.match_info["appointment_id"]
    holder = request.query.get("holder", "")
    return json_response(
        await st.db.read(lambda tx: appointments.holder_view(tx, appointment_id, holder))
    )


async def cancel(request: web.Request) -> web.Response:
    """Cancel: the holder token until the cut-off, or staff of the hall."""
    body = await read_json(request, CANCEL)
    st = state(request)
    now = st.clock()
    actor = caller(request)
    appointment_id = request.match_info["appointment_id"]
    holder = str(body.get("holder", ""))
    result = await st.db.write(
        lambda tx: appointments.cancel(tx, actor, appointment_id, holder, now)
    )
    return json_response(result)


MISSES_ALLOWED = 10
MISS_WINDOW = timedelta(minutes=5)
_misses: dict[str, deque[datetime]] = {}
"""Unknown codes typed at each kiosk lately: guessing codes is refused, not answered."""


def _guard_guessing(actor_name: str, now: datetime) -> None:
    recent = _misses.get(actor_name)
    while recent and now - recent[0] > MISS_WINDOW:
        recent.popleft()
    if recent is not None and len(recent) >= MISSES_ALLOWED:
        retry = int((recent[0] + MISS_WINDOW - now).total_seconds()) + 1
        raise ServiceError(
            "too_many_misses",
            "too many unknown codes from this kiosk; ask the help desk",
            429,
            {"retry_after": retry},
        )


async def check_in(request: web.Request) -> web.Response:
    """A kiosk or staff checks in an appointment code (or a remote ticket's 6-digit code)."""
    actor = require_actor(request)
    if not actor.is_staff and actor.role != "kiosk":
        raise forbidden("codes are checked in at a kiosk or by staff")
    body = await read_json(request, CHECK_IN)
    st = state(request)
    now = st.clock()
    hall_id = request.match_info["hall_id"]
    _guard_guessing(actor.name, now)
    forecast = forecast_for(request, hall_id)
    try:
        answer = await st.db.write(
            lambda tx: appointment_checkin.check_in(tx, actor, hall_id, body["code"], now, forecast)
        )
    except ServiceError as err:
        if err.status == 404:
            _misses.setdefault(actor.name, deque()).append(now)
        raise
    return json_response(answer)


ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        f"{H}/appointment-rules",
        get_rules,
        "Appointment rules of the hall and its services",
        "staff",
        None,
        {200: "rules", 404: "no such hall"},
        TAG,
    ),
    Route(
        "PUT",
        f"{H}/appointment-rules",
        put_rules,
        "Change appointment rules (manager)",
        "staff",
        RULES_CHANGE,
        {200: "rules", 403: "not a manager of the hall", 422: "invalid_rules"},
        TAG,
    ),
    Route(
        "GET",
        f"{H}/appointments",
        day_list,
        "A day's appointments (?date=, staff)",
        "staff",
        None,
        {200: "appointments and slots", 422: "bad date"},
        TAG,
    ),
    Route(
        "GET",
        f"{H}/services/{{service_id}}/slots",
        slots,
        "Bookable slots of a service (cacheable)",
        "public",
        None,
        {200: "slots", 304: "not modified", 404: "unknown", 409: "appointments_disabled"},
        TAG,
    ),
    Route(
        "POST",
        f"{H}/appointments",
        book,
        "Book a slot with a phone's one-time code",
        "public",
        BOOK,
        {
            201: "booked",
            409: "slot full, not open, disabled, limits or blocked",
            422: "bad ID, phone or code",
            429: "rate limited",
        },
        TAG,
    ),
    Route(
        "GET",
        A,
        holder_view,
        "The booking, for its holder (?holder=)",
        "holder",
        None,
        {200: "OK", 404: "unknown or wrong token"},
        TAG,
    ),
    Route(
        "POST",
        f"{A}/cancel",
        cancel,
        "Cancel an appointment (holder or staff)",
        "public",
        CANCEL,
        {200: "cancelled", 404: "unknown", 409: "too late or not cancellable"},
        TAG,
    ),
    Route(
        "POST",
        f"{H}/appointments/check-in",
        check_in,
        "Check in by code: appointment or remote ticket",
        "device_or_staff",
        CHECK_IN,
        {
            200: "the ticket",
            403: "not a kiosk or staff",
            404: "appointment_not_found",
            409: "wrong day or not checkable",
            429: "too many unknown codes from this kiosk",
        },
        TAG,
    ),
)
