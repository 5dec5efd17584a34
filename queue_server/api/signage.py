"""Routes for hall signage, window screens, device pairing and 好差评 evaluations."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from queue_server.api import Route
from queue_server.api.http import caller, json_response, read_json, require_actor, state
from queue_server.api.live import forecasts
from queue_server.service import evaluations, screens
from queue_server.service.errors import invalid
from queue_server.service.evaluations import EvaluationRules, Rating

ID = {"type": "string", "minLength": 1, "maxLength": 64}
NOTE = {"type": "string", "maxLength": 1000}

WINDOW_DEVICE: dict[str, Any] = {
    "type": "object",
    "required": ["role"],
    "properties": {
        "role": {"type": "string", "enum": list(screens.SCREEN_ROLES)},
        "label": {"type": "string", "maxLength": 64},
    },
    "additionalProperties": False,
}
PAIRING: dict[str, Any] = {
    "type": "object",
    "required": ["role"],
    "properties": {"role": {"type": "string", "enum": list(screens.SCREEN_ROLES)}},
    "additionalProperties": False,
}
PAIR: dict[str, Any] = {
    "type": "object",
    "required": ["code"],
    "properties": {"code": {"type": "string", "minLength": 4, "maxLength": 20}},
    "additionalProperties": False,
}
EVALUATION: dict[str, Any] = {
    "type": "object",
    "required": ["level"],
    "properties": {
        "level": {"type": "integer", "minimum": 1, "maximum": 5},
        "tags": {
            "type": "array",
            "items": {"type": "string", "enum": list(evaluations.TAGS)},
            "maxItems": len(evaluations.TAGS),
        },
        "comment": {"type": "string", "maxLength": 500},
        "source": {"type": "string", "enum": ["tablet", "keypad"]},
        "track_token": {"type": "string", "minLength": 1, "maxLength": 128},
    },
    "additionalProperties": False,
}
FOLLOW_UP: dict[str, Any] = {
    "type": "object",
    "properties": {"note": NOTE},
    "additionalProperties": False,
}
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() or None if header.startswith("Bearer ") else None


def _rules(request: web.Request) -> EvaluationRules:
    return EvaluationRules.from_settings(state(request).settings.extra)


async def hall_board(request: web.Request) -> web.Response:
    """Public: latest calls, waits, windows and notices of a hall, for the signage."""
    st = state(request)
    hall_id = request.match_info["hall_id"]
    now = st.clock()
    live = forecasts(request)
    board = await st.db.read(lambda tx: screens.hall_board(tx, hall_id, now, forecasts=live))
    return json_response(board)


async def window_screen(request: web.Request) -> web.Response:
    """Public: what a window screen (or LED) above a counter shows."""
    st = state(request)
    window_id = request.match_info["window_id"]
    show_name = bool(st.settings.extra.get("screens", {}).get("show_clerk_name", False))
    return json_response(
        await st.db.read(lambda tx: screens.window_screen(tx, window_id, show_name))
    )


async def register_window_device(request: web.Request) -> web.Response:
    """Manager: a screen or counter-tablet token bound to one window (shown once)."""
    actor = require_actor(request, staff=True)
    body = await read_json(request, WINDOW_DEVICE)
    st = state(request)
    window_id = request.match_info["window_id"]
    now = st.clock()
    result = await st.db.write(
        lambda tx: screens.register_window_device(
            tx, actor, window_id, body["role"], body.get("label", ""), now
        )
    )
    return json_response(result, status=201)


async def pairing_code(request: web.Request) -> web.Response:
    """Manager: a one-time code to pair a screen or tablet with a window."""
    actor = require_actor(request, staff=True)
    body = await read_json(request, PAIRING)
    st = state(request)
    window_id = request.match_info["window_id"]
    now = st.clock()
    result = await st.db.write(
        lambda tx: screens.create_pairing_code(tx, actor, window_id, body["role"], now)
    )
    return json_response(result, status=201)


async def pair(request: web.Request) -> web.Response:
    """A screen exchanges a pairing code for its device token."""
    body = await read_json(request, PAIR)
    st = state(request)
    now = st.clock()
    return json_response(
        await st.db.write(lambda tx: screens.pair(tx, body["code"], now)), status=201
    )


async def evaluation_vocabulary(request: web.Request) -> web.Response:
    """Public: the five levels and the indicator tags."""
    return json_response(evaluations.vocabulary())


async def evaluation_prompt(request: web.Request) -> web.Response:
    """Counter device of the window: the ticket that may be rated now, if any."""
    st = state(request)
    actor = caller(request)
    token = _bearer(request)
    window_id = request.match_info["window_id"]
    rules = _rules(request)
    now = st.clock()
    return json_response(
        await st.db.read(lambda tx: evaluations.prompt(tx, actor, token, window_id, rules, now))
    )


async def evaluate(request: web.Request) -> web.Response:
    """Rate a finished ticket: the window's counter device, or the ticket's track token."""
    body = await read_json(request, EVALUATION)
    st = state(request)
    actor = caller(request)
    token = _bearer(request)
    ticket_id = request.match_info["ticket_id"]
    rating = Rating(
        body["level"],
        tuple(body.get("tags", [])),
        body.get("comment", ""),
        body.get("source", "tablet"),
    )
    rules = _rules(request)
    now = st.clock()
    result = await st.db.write(
        lambda tx: evaluations.evaluate(
            tx, ticket_id, rating, actor, token, body.get("track_token"), rules, now
        )
    )
    return json_response(result, status=201)


async def list_alerts(request: web.Request) -> web.Response:
    """Manager: bad reviews with their follow-up deadlines."""
    actor = require_actor(request, staff=True)
    st = state(request)
    hall_id = request.match_info["hall_id"]
    status = request.query.get("status")
    if status not in (None, "open", "closed"):
        raise invalid("invalid_request", "status is open or closed")
    now = st.clock()
    alerts = await st.db.read(lambda tx: evaluations.list_alerts(tx, actor, hall_id, status, now))
    return json_response({"alerts": alerts})


def follow_up(step: str) -> Any:
    """A handler recording the call-back or the closing of a bad-review alert."""

    async def handler(request: web.Request) -> web.Response:
        actor = require_actor(request, staff=True)
        body = await read_json(request, FOLLOW_UP)
        st = state(request)
        alert_id = request.match_info["alert_id"]
        now = st.clock()
        result = await st.db.write(
            lambda tx: evaluations.follow_up(tx, actor, alert_id, step, body.get("note", ""), now)
        )
        return json_response(result)

    handler.__doc__ = f"Manager: record the {step} of a bad-review alert."
    return handler


async def export_csv(request: web.Request) -> web.Response:
    """Manager: the hall's evaluations as CSV with the national field set."""
    actor = require_actor(request, staff=True)
    st = state(request)
    hall_id = request.match_info["hall_id"]
    since = request.query.get("from")
    until = request.query.get("to")
    for value in (since, until):
        if value is not None and not DAY.match(value):
            raise invalid("invalid_request", "from and to are business days, YYYY-MM-DD")
    rules = _rules(request)
    rows = await st.db.read(lambda tx: evaluations.export_rows(tx, actor, hall_id, since, until))
    text = evaluations.to_csv(rows, rules)
    return web.Response(
        text=text,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="evaluations-{hall_id}.csv"'},
    )


H = "/api/v1/halls/{hall_id}"
W = "/api/v1/windows/{window_id}"
A = "/api/v1/evaluation-alerts/{alert_id}"

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        f"{H}/board",
        hall_board,
        "Hall signage: latest calls, waits, windows, notices",
        "public",
        None,
        {200: "the board", 404: "no such hall"},
        "screens",
    ),
    Route(
        "GET",
        f"{W}/screen",
        window_screen,
        "Window screen and LED content",
        "public",
        None,
        {200: "the screen", 404: "no such window"},
        "screens",
    ),
    Route(
        "POST",
        f"{W}/devices",
        register_window_device,
        "Bind a screen or counter tablet to a window (manager)",
        "staff",
        WINDOW_DEVICE,
        {201: "token shown once"},
        "screens",
    ),
    Route(
        "POST",
        f"{W}/pairing-codes",
        pairing_code,
        "One-time pairing code for a window device (manager)",
        "staff",
        PAIRING,
        {201: "the code"},
        "screens",
    ),
    Route(
        "POST",
        "/api/v1/screens/pair",
        pair,
        "Exchange a pairing code for a device token",
        "public",
        PAIR,
        {201: "token", 404: "unknown, used or expired code"},
        "screens",
    ),
    Route(
        "GET",
        "/api/v1/evaluations/vocabulary",
        evaluation_vocabulary,
        "The five 好差评 levels and indicator tags",
        "public",
        tag="evaluations",
    ),
    Route(
        "GET",
        f"{W}/evaluation",
        evaluation_prompt,
        "The ticket this window's evaluator may rate now",
        "device_or_staff",
        None,
        {200: "the prompt"},
        "evaluations",
    ),
    Route(
        "POST",
        "/api/v1/tickets/{ticket_id}/evaluation",
        evaluate,
        "Rate a finished ticket (window counter device, or track token)",
        "public",
        EVALUATION,
        {201: "recorded", 409: "not finished, already rated or too late"},
        "evaluations",
    ),
    Route(
        "GET",
        f"{H}/evaluation-alerts",
        list_alerts,
        "Bad reviews and their follow-up deadlines (manager)",
        "staff",
        tag="evaluations",
    ),
    Route(
        "POST",
        f"{A}/callback",
        follow_up("callback"),
        "Record the call-back of a bad review (manager)",
        "staff",
        FOLLOW_UP,
        {200: "the alert", 409: "already closed"},
        "evaluations",
    ),
    Route(
        "POST",
        f"{A}/close",
        follow_up("close"),
        "Close a bad review after rectification (manager)",
        "staff",
        FOLLOW_UP,
        {200: "the alert", 409: "already closed"},
        "evaluations",
    ),
    Route(
        "GET",
        f"{H}/evaluations.csv",
        export_csv,
        "Export evaluations as CSV, national field set (manager)",
        "staff",
        None,
        {200: "text/csv"},
        "evaluations",
    ),
)
