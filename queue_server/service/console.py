"""What a counter console shows: the window, its current ticket, the held and waiting lists.

One read gives the page everything it renders; the page re-reads it when an event of the
hall arrives. Staff see the masked ID number and the service's materials checklist
(一次性告知); nothing here is ever shown on a public screen.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from queue_server.service import calling
from queue_server.service.actors import Actor
from queue_server.service.rows import load_hall, load_window, parse_iso
from queue_server.service.windows import window_view
from queue_server.store.db import ReadTx


def materials(info_text: str) -> list[dict[str, str]]:
    """The materials checklist of a service's ``info`` JSON, as ``[{"zh", "en"}]``."""
    try:
        info = json.loads(info_text or "{}")
    except ValueError:
        return []
    items = info.get("materials", []) if isinstance(info, dict) else []
    checklist = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, str):
            checklist.append({"zh": item, "en": ""})
        elif isinstance(item, dict):
            checklist.append({"zh": str(item.get("zh", "")), "en": str(item.get("en", ""))})
    return checklist


def minutes_since(text: str | None, now: datetime) -> float | None:
    """Whole-minute-ish age of a stored timestamp (None when absent)."""
    if not text:
        return None
    return round(max(0.0, (now - parse_iso(text)).total_seconds() / 60.0), 1)


def hall_services(tx: ReadTx, hall_id: str) -> dict[str, dict[str, Any]]:
    """The hall's services by id, in display order."""
    rows = tx.all("SELECT * FROM services WHERE hall_id = ? ORDER BY position, id", (hall_id,))
    return {r["id"]: r for r in rows}


def _with_service(
    ticket: dict[str, Any] | None, services: dict[str, dict[str, Any]], now: datetime
) -> dict[str, Any] | None:
    if ticket is None:
        return None
    service = services.get(ticket["service_id"], {})
    return {
        **ticket,
        "service_name": service.get("name", ""),
        "service_name_en": service.get("name_en", ""),
        "waited_minutes": minutes_since(ticket.get("arrived_at") or ticket["issued_at"], now),
    }


def window_console(tx: ReadTx, actor: Actor, window_id: str, now: datetime) -> dict[str, Any]:
    """Everything the counter console of ``window_id`` shows."""
    window = load_window(tx, window_id)
    actor.require_window(window.hall_id, window.id)
    hall = load_hall(tx, window.hall_id)
    services = hall_services(tx, hall.id)
    queue = calling.queue_for_window(tx, actor, window_id, now)
    current = _with_service(queue["current"], services, now)
    if current is not None:
        current["materials"] = materials(services.get(current["service_id"], {}).get("info", ""))
        current["waited_minutes"] = _wait_before_call(current, now)
    day = hall.schedule.business_day(now).isoformat()
    served = tx.one(
        "SELECT COUNT(*) AS n FROM tickets WHERE window_id = ? AND business_day = ?"
        " AND status = 'done'",
        (window.id, day),
    )
    others = tx.all(
        "SELECT id, number, state FROM windows WHERE hall_id = ? AND id != ? ORDER BY number",
        (hall.id, window.id),
    )
    policy = hall.rules.policy
    return {
        "hall": {"id": hall.id, "name": hall.name},
        "window": window_view(window),
        "services": [
            {
                "id": sid,
                "name": services[sid]["name"],
                "prefix": services[sid]["prefix"],
                "weight": weight,
            }
            for sid, weight in window.profile.items()
            if sid in services
        ],
        "current": current,
        "held": [_with_service(t, services, now) for t in queue["held"]],
        "queue": [_with_service(t, services, now) for t in queue["queue"]],
        "recall_limit": policy.recall_limit,
        "no_show_mode": policy.no_show.mode,
        "can_call_out_of_order": _may_call_out_of_order(actor, hall.id),
        "served_today": int(served["n"]) if served else 0,
        "transfer_targets": {
            "services": [
                {"id": s["id"], "name": s["name"], "prefix": s["prefix"]} for s in services.values()
            ],
            "windows": [dict(w) for w in others],
        },
    }


def _wait_before_call(ticket: dict[str, Any], now: datetime) -> float | None:
    """How long the citizen waited before this call (still counting if not yet called)."""
    start = ticket.get("arrived_at") or ticket["issued_at"]
    called = ticket.get("called_at")
    end = parse_iso(called) if called else now
    return round(max(0.0, (end - parse_iso(start)).total_seconds() / 60.0), 1)


def _may_call_out_of_order(actor: Actor, hall_id: str) -> bool:
    return actor.can_manage(hall_id) or "call_out_of_order" in actor.permissions
