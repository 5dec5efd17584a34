"""Public reads: halls with live waits, and a ticket followed by its track token.

Nothing here carries personal data: numbers, windows, counts and estimates only.
Estimates come from the hall's live forecast when it is fresh (``method: "simulation"``),
else from the closed form (``method: "closed_form"``).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from queue_server.service.errors import not_found
from queue_server.service.estimates import Estimate, closed_form, open_servers
from queue_server.service.live_eta import Forecast, Forecasts, no_forecasts
from queue_server.service.rows import Hall, hall_from_row, parse_iso, service_from_row
from queue_server.store.db import ReadTx


def _service_wait(
    waiting: int, servers: int, typical_minutes: float, live: Forecast | None, service_id: str
) -> Estimate:
    estimate = closed_form(waiting, servers, typical_minutes)
    if live is None or servers == 0:
        return estimate
    return estimate.or_live(live.service(service_id, waiting))


def _hall_summary(tx: ReadTx, hall: Hall, now: datetime, forecasts: Forecasts) -> dict[str, Any]:
    waiting = {
        r["service_id"]: r["n"]
        for r in tx.all(
            "SELECT service_id, SUM(n) AS n FROM queue_counts WHERE hall_id = ?"
            " AND status = 'waiting' GROUP BY service_id",
            (hall.id,),
        )
    }
    servers = open_servers(tx, hall.id)
    live = forecasts(hall.id)
    services = []
    for row in tx.all("SELECT * FROM services WHERE hall_id = ? ORDER BY position, id", (hall.id,)):
        service = service_from_row(row)
        count = waiting.get(service.id, 0)
        estimate = _service_wait(
            count, servers.get(service.id, 0), service.rules.typical_minutes, live, service.id
        )
        services.append(
            {
                "id": service.id,
                "code": row["code"],
                "name": row["name"],
                "name_en": row["name_en"],
                "department": row["department"],
                "prefix": service.prefix,
                "waiting": count,
                "eta_minutes": None if estimate.minutes is None else round(estimate.minutes, 1),
                "eta": estimate.as_json_with_method(),
            }
        )
    schedule = hall.schedule
    closes = schedule.closes_at(schedule.business_day(now))
    return {
        "id": hall.id,
        "name": hall.name,
        "name_en": hall.row["name_en"],
        "address": hall.row["address"],
        "location": {"lat": hall.row["lat"], "lon": hall.row["lon"]},
        "open_now": schedule.is_open(now),
        "issuing_now": schedule.issuing_now(now),
        "closes_at": closes.strftime("%H:%M") if closes is not None else None,
        "services": services,
    }


def list_halls(
    tx: ReadTx, now: datetime, forecasts: Forecasts = no_forecasts
) -> list[dict[str, Any]]:
    """Every hall with its services' live waiting counts and estimates."""
    rows = tx.all("SELECT * FROM halls ORDER BY position, id")
    return [_hall_summary(tx, hall_from_row(r), now, forecasts) for r in rows]


def hall_summary(
    tx: ReadTx, hall_id: str, now: datetime, forecasts: Forecasts = no_forecasts
) -> dict[str, Any]:
    """One hall, as in :func:`list_halls`."""
    row = tx.one("SELECT * FROM halls WHERE id = ?", (hall_id,))
    if row is None:
        raise not_found("hall")
    return _hall_summary(tx, hall_from_row(row), now, forecasts)


def track_ticket(
    tx: ReadTx, ticket_id: str, token: str, now: datetime, forecasts: Forecasts = no_forecasts
) -> dict[str, Any]:
    """A ticket's progress for whoever holds its track token (read-only).

    A waiting ticket's estimate is its own in the live forecast (where it stands in the
    call order, with every window's profile), else the closed form over the people ahead.
    """
    row = tx.one("SELECT * FROM tickets WHERE id = ?", (ticket_id,))
    if row is None or not secrets.compare_digest(row["track_token"], token):
        raise not_found("ticket")
    ahead = 0
    eta: dict[str, Any] = {"minutes": None, "low": None, "high": None, "method": None}
    if row["status"] in ("waiting", "not_arrived"):
        found = tx.one(
            "SELECT COUNT(*) AS n FROM tickets WHERE hall_id = ? AND service_id = ?"
            " AND status = 'waiting' AND (arrived_at < ? OR (arrived_at = ? AND n < ?))",
            (row["hall_id"], row["service_id"], row["arrived_at"], row["arrived_at"], row["n"]),
        )
        ahead = int(found["n"]) if found else 0
        service_row = tx.one("SELECT * FROM services WHERE id = ?", (row["service_id"],))
        assert service_row is not None
        servers = open_servers(tx, row["hall_id"]).get(row["service_id"], 0)
        mean = service_from_row(service_row).rules.typical_minutes
        estimate = closed_form(ahead, servers, mean)
        live = forecasts(row["hall_id"])
        if live is not None and servers > 0:
            estimate = estimate.or_live(live.ticket(row["id"], row["service_id"], now))
        eta = estimate.as_json_with_method()
    window = None
    if row["window_id"] and row["status"] in ("called", "serving"):
        w = tx.one("SELECT id, number FROM windows WHERE id = ?", (row["window_id"],))
        window = {"id": w["id"], "number": w["number"]} if w else None
    waited = (now - parse_iso(row["issued_at"])).total_seconds() / 60.0
    return {
        "id": row["id"],
        "number": row["number"],
        "service_id": row["service_id"],
        "status": row["status"],
        "people_ahead": ahead,
        "eta": eta,
        "window": window,
        "waited_minutes": round(waited, 1),
    }
