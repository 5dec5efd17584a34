"""Routes of the counter agent: its window's state and the keypad's actions."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from queue_server.api import Route
from queue_server.api.http import caller, json_response, read_json, state
from queue_server.service import counter

ACTION: dict[str, Any] = {
    "type": "object",
    "required": ["action"],
    "properties": {
        "action": {"type": "string", "enum": list(counter.ACTIONS)},
        "number": {"type": "string", "pattern": r"^\d{1,6}$"},
    },
    "additionalProperties": False,
}


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() or None if header.startswith("Bearer ") else None


async def counter_state(request: web.Request) -> web.Response:
    """The counter device of the window: what its LED and keypad show, and who is signed in."""
    st = state(request)
    window_id = request.match_info["window_id"]
    actor, token = caller(request), _bearer(request)
    return json_response(
        await st.db.read(lambda tx: counter.counter_state(tx, actor, token, window_id))
    )


async def counter_action(request: web.Request) -> web.Response:
    """A keypad key, carried out for the clerk signed in at the window."""
    body = await read_json(request, ACTION)
    st = state(request)
    window_id = request.match_info["window_id"]
    actor, token = caller(request), _bearer(request)
    now = st.clock()
    result = await st.db.write(
        lambda tx: counter.act(tx, actor, token, window_id, body["action"], body.get("number"), now)
    )
    return json_response(result)


W = "/api/v1/windows/{window_id}"

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        f"{W}/counter",
        counter_state,
        "Counter agent: the window's LED and keypad content, and the clerk signed in",
        "device",
        None,
        {200: "the state", 401: "no token", 403: "not this window's counter device"},
        "counter",
    ),
    Route(
        "POST",
        f"{W}/counter/actions",
        counter_action,
        "Counter agent: a keypad action for the clerk signed in at the window",
        "device",
        ACTION,
        {
            200: "done, with the new state",
            403: "not this window's counter device, or the clerk may not",
            404: "no waiting ticket with that number",
            409: "nobody signed in, or not allowed in the current state",
        },
        "counter",
    ),
)
