"""Today's realised accuracy of the wait estimates (manager console)."""

from __future__ import annotations

from aiohttp import web

from queue_server.api import Route
from queue_server.api.http import json_response, require_actor, state
from queue_server.api.live import live_eta_key
from queue_server.service.errors import invalid
from queue_server.service.eta_accuracy import hall_accuracy


async def eta_accuracy(request: web.Request) -> web.Response:
    """Today's (or ``?date=``) realised accuracy of the estimates given at issue (staff)."""
    actor = require_actor(request, staff=True)
    st = state(request)
    hall_id = request.match_info["hall_id"]
    day = request.query.get("date")
    if day is not None and len(day) != 10:
        raise invalid("invalid_request", "date is YYYY-MM-DD")
    now = st.clock()
    result = await st.db.read(lambda tx: hall_accuracy(tx, actor, hall_id, now, day))
    live = request.app.get(live_eta_key)
    result["predictor"] = live.status(hall_id) if live is not None else {"running": False}
    return json_response(result)


ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/halls/{hall_id}/eta-accuracy",
        eta_accuracy,
        "Realised accuracy of the wait estimates per service (staff, ?date=)",
        "staff",
        None,
        {200: "OK", 403: "not staff of this hall", 404: "no such hall", 422: "bad date"},
        "consoles",
    ),
)
