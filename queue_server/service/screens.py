"""What hall signage and window screens show, and how screens are bound to a window.

Everything a screen reads here is public: ticket numbers, window numbers, counts,
estimates and notices. No name, ID number or phone of a citizen is ever read.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from queue_server.security import token_digest
from queue_server.service import public
from queue_server.service.actors import Actor
from queue_server.service.auth import issue_device_token
from queue_server.service.errors import ServiceError, forbidden, invalid, not_found
from queue_server.service.live_eta import Forecasts, no_forecasts
from queue_server.service.rows import Hall, audit, iso, load_hall, load_window, parse_iso
from queue_server.store.db import ReadTx, WriteTx

CALL_TYPES = ("ticket.called", "ticket.recalled")
RECENT_CALL_EVENTS = 400
SCREEN_ROLES = ("screen", "counter")
PAIRING_MINUTES = 10
PAIRING_DIGITS = 8
NOTICES_SHOWN = 5


def business_day_start(hall: Hall, now: datetime) -> datetime:
    """The UTC instant the hall's current business day began."""
    schedule = hall.schedule
    day = schedule.business_day(now)
    local = datetime.combine(day, time(schedule.day_start_hour), tzinfo=ZoneInfo(schedule.timezone))
    return local.astimezone(UTC)


def _recent_calls(tx: ReadTx, hall_id: str, since: str) -> list[dict[str, Any]]:
    """Call and recall events of the business day, newest first."""
    rows = tx.all(
        "SELECT id, type, data FROM events WHERE hall_id = ? AND type IN (?, ?) AND at >= ?"
        " ORDER BY id DESC LIMIT ?",
        (hall_id, *CALL_TYPES, since, RECENT_CALL_EVENTS),
    )
    calls = []
    for row in rows:
        data = json.loads(row["data"])
        calls.append(
            {
                "event_id": row["id"],
                "kind": "recalled" if row["type"] == "ticket.recalled" else "called",
                "ticket_id": data["ticket_id"],
                "number": data["number"],
                "service_id": data["service_id"],
                "window_id": data["window_id"],
                "window_number": data["window_number"],
                "at": data["at"],
            }
        )
    return calls


def _statuses(tx: ReadTx, ticket_ids: list[str]) -> dict[str, str]:
    if not ticket_ids:
        return {}
    marks = ",".join("?" for _ in ticket_ids)
    rows = tx.all(f"SELECT id, status FROM tickets WHERE id IN ({marks})", tuple(ticket_ids))  # noqa: S608
    return {r["id"]: r["status"] for r in rows}


def _notices(tx: ReadTx, hall_id: str, since: str) -> list[dict[str, Any]]:
    rows = tx.all(
        "SELECT id, data FROM events WHERE hall_id = ? AND type = 'notice.posted' AND at >= ?"
        " ORDER BY id DESC LIMIT ?",
        (hall_id, since, NOTICES_SHOWN),
    )
    notices = []
    for row in rows:
        data = json.loads(row["data"])
        notices.append(
            {
                "event_id": row["id"],
                "text": data.get("text", ""),
                "text_en": data.get("text_en", ""),
                "at": data.get("at", ""),
            }
        )
    return notices


def _window_rows(tx: ReadTx, hall_id: str) -> list[dict[str, Any]]:
    return tx.all(
        "SELECT w.id, w.number, w.state, w.current_ticket_id, t.number AS ticket_number,"
        " t.status AS ticket_status, t.service_id AS ticket_service_id, t.called_at"
        " FROM windows w LEFT JOIN tickets t ON t.id = w.current_ticket_id"
        " WHERE w.hall_id = ? ORDER BY w.number",
        (hall_id,),
    )


def _current_view(row: dict[str, Any], latest_call: dict[str, int]) -> dict[str, Any] | None:
    if row["current_ticket_id"] is None or row["ticket_number"] is None:
        return None
    return {
        "id": row["current_ticket_id"],
        "number": row["ticket_number"],
        "status": row["ticket_status"],
        "service_id": row["ticket_service_id"],
        "called_at": row["called_at"],
        "call_event_id": latest_call.get(row["current_ticket_id"]),
    }


def hall_board(
    tx: ReadTx, hall_id: str, now: datetime, calls: int = 8, forecasts: Forecasts = no_forecasts
) -> dict[str, Any]:
    """The signage's whole picture of a hall, and the newest event id it reflects.

    A screen opens the event stream with ``last_event_id`` set to that id, so nothing
    falls between the picture and the stream. Every window's current ticket carries the
    id of its latest call event: a screen resuming after an outage announces a missed
    call only when it is that event (see docs/screens.md, "catch-up rule").
    """
    row = tx.one("SELECT * FROM halls WHERE id = ?", (hall_id,))
    if row is None:
        raise not_found("hall")
    newest = tx.one("SELECT COALESCE(MAX(id), 0) AS id FROM events")
    last_event_id = int(newest["id"]) if newest else 0
    summary = public.hall_summary(tx, hall_id, now, forecasts)
    hall = load_hall(tx, hall_id)
    since = iso(business_day_start(hall, now))
    events = _recent_calls(tx, hall_id, since)
    latest_call: dict[str, int] = {}
    latest_per_ticket: list[dict[str, Any]] = []
    for call in events:
        if call["ticket_id"] not in latest_call:
            latest_call[call["ticket_id"]] = call["event_id"]
            latest_per_ticket.append(call)
    shown = latest_per_ticket[:calls]
    statuses = _statuses(tx, [c["ticket_id"] for c in shown])
    for call in shown:
        call["status"] = statuses.get(call["ticket_id"], "unknown")
    windows = [
        {
            "id": w["id"],
            "number": w["number"],
            "state": w["state"],
            "ticket": _current_view(w, latest_call),
        }
        for w in _window_rows(tx, hall_id)
    ]
    services = [
        {
            "id": s["id"],
            "prefix": s["prefix"],
            "name": s["name"],
            "name_en": s["name_en"],
            "waiting": s["waiting"],
            "eta_minutes": s["eta_minutes"],
        }
        for s in summary["services"]
    ]
    return {
        "hall": {
            "id": hall_id,
            "name": summary["name"],
            "name_en": summary["name_en"],
            "open_now": summary["open_now"],
            "issuing_now": summary["issuing_now"],
            "closes_at": summary["closes_at"],
        },
        "calls": shown,
        "services": services,
        "windows": windows,
        "notices": _notices(tx, hall_id, since),
        "last_event_id": last_event_id,
    }


STATE_LABELS = {
    "open": ("服务中", "Open"),
    "paused": ("暂停服务", "Paused"),
    "closed": ("暂停办理", "Closed"),
}
TICKET_LABELS = {"called": ("请到窗口", "Please come"), "serving": ("正在办理", "Serving")}


def led_content(number: int, state: str, ticket: dict[str, Any] | None) -> dict[str, Any]:
    """Two short lines and a colour for a window LED (reference/devices.md §5).

    ``colour`` is one of ``red``, ``green``, ``yellow`` (Onbon ``\\C1`` / ``\\C2`` / ``\\C3``).
    """
    head = f"{number}号窗口"
    if state == "closed":
        return {"lines": [head, "暂停办理"], "colour": "red", "text": f"{head} 暂停办理"}
    if state == "paused":
        return {"lines": [head, "暂停服务"], "colour": "yellow", "text": f"{head} 暂停服务"}
    if ticket is not None and ticket["status"] == "called":
        text = f"请{ticket['number']}号到{number}号窗口办理"
        return {"lines": [head, f"请{ticket['number']}号"], "colour": "green", "text": text}
    if ticket is not None:
        line = f"{ticket['number']} 办理中"
        return {"lines": [head, line], "colour": "green", "text": f"{head} {line}"}
    return {"lines": [head, "欢迎办理"], "colour": "green", "text": f"{head} 欢迎办理"}


def window_screen(tx: ReadTx, window_id: str, show_clerk_name: bool = False) -> dict[str, Any]:
    """A window screen's content: number, state, current ticket, staff number, LED lines."""
    window = load_window(tx, window_id)
    hall = load_hall(tx, window.hall_id)
    row = next(w for w in _window_rows(tx, window.hall_id) if w["id"] == window.id)
    latest: dict[str, int] = {}
    if window.current_ticket_id is not None:
        found = tx.one(
            "SELECT MAX(id) AS id FROM events WHERE hall_id = ? AND type IN (?, ?)"
            " AND json_extract(data, '$.ticket_id') = ?",
            (window.hall_id, *CALL_TYPES, window.current_ticket_id),
        )
        if found is not None and found["id"] is not None:
            latest[window.current_ticket_id] = int(found["id"])
    ticket = _current_view(row, latest)
    if ticket is not None:
        service = tx.one("SELECT name, name_en FROM services WHERE id = ?", (ticket["service_id"],))
        ticket["service_name"] = service["name"] if service else ""
        ticket["service_name_en"] = service["name_en"] if service else ""
    clerk = None
    if window.clerk is not None and window.state != "closed":
        clerk = {"staff_number": window.clerk}
        if show_clerk_name:
            staff = tx.one("SELECT display_name FROM staff WHERE username = ?", (window.clerk,))
            clerk["name"] = staff["display_name"] if staff else ""
    newest = tx.one("SELECT COALESCE(MAX(id), 0) AS id FROM events")
    label, label_en = STATE_LABELS.get(window.state, (window.state, window.state))
    return {
        "hall": {"id": hall.id, "name": hall.name, "name_en": hall.row["name_en"]},
        "window": {
            "id": window.id,
            "number": window.number,
            "state": window.state,
            "state_label": label,
            "state_label_en": label_en,
        },
        "ticket": ticket,
        "clerk": clerk,
        "led": led_content(window.number, window.state, ticket),
        "last_event_id": int(newest["id"]) if newest else 0,
    }


# -- binding screens and counter tablets to a window ------------------------------------------


def _check_role(role: str) -> None:
    if role not in SCREEN_ROLES:
        raise invalid("invalid_request", f"a window device's role is one of {list(SCREEN_ROLES)}")


def _bind(
    tx: WriteTx, hall_id: str, window_id: str, role: str, label: str, now: datetime
) -> dict[str, Any]:
    token = issue_device_token(tx, hall_id, role, label or f"{role} {window_id}", now)
    digest = token_digest(token)
    tx.execute(
        "INSERT INTO window_devices (digest, hall_id, window_id, role, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (digest, hall_id, window_id, role, iso(now)),
    )
    return {
        "token": token,
        "device_id": digest[:16],
        "role": role,
        "hall_id": hall_id,
        "window_id": window_id,
    }


def register_window_device(
    tx: WriteTx, actor: Actor, window_id: str, role: str, label: str, now: datetime
) -> dict[str, Any]:
    """A manager creates a device token bound to one window; the token is shown once."""
    _check_role(role)
    window = load_window(tx, window_id)
    actor.require_manager(window.hall_id)
    result = _bind(tx, window.hall_id, window.id, role, label, now)
    audit(tx, now, actor.name, window.hall_id, "device.registered", role=role, window_id=window.id)
    return result


def _code_digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def create_pairing_code(
    tx: WriteTx, actor: Actor, window_id: str, role: str, now: datetime
) -> dict[str, Any]:
    """A manager makes a one-time code a screen types in once to get its token."""
    _check_role(role)
    window = load_window(tx, window_id)
    actor.require_manager(window.hall_id)
    tx.execute("DELETE FROM pairing_codes WHERE expires_at < ?", (iso(now),))
    code = "".join(secrets.choice("0123456789") for _ in range(PAIRING_DIGITS))
    expires = now + timedelta(minutes=PAIRING_MINUTES)
    tx.execute(
        "INSERT INTO pairing_codes (digest, hall_id, window_id, role, created_by, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (_code_digest(code), window.hall_id, window.id, role, actor.name, iso(expires)),
    )
    audit(tx, now, actor.name, window.hall_id, "device.pairing_code", window_id=window.id)
    return {"code": code, "role": role, "window_id": window.id, "expires_at": iso(expires)}


def pair(tx: WriteTx, code: str, now: datetime) -> dict[str, Any]:
    """Exchange a pairing code (once, before it expires) for a window-bound device token."""
    digits = "".join(ch for ch in code if ch.isdigit())
    row = tx.one("SELECT * FROM pairing_codes WHERE digest = ?", (_code_digest(digits),))
    if row is None or row["used_at"] is not None or parse_iso(row["expires_at"]) <= now:
        raise ServiceError("invalid_code", "the pairing code is unknown, used or expired", 404)
    tx.execute("UPDATE pairing_codes SET used_at = ? WHERE digest = ?", (iso(now), row["digest"]))
    result = _bind(tx, row["hall_id"], row["window_id"], row["role"], "", now)
    audit(tx, now, row["created_by"], row["hall_id"], "device.paired", window_id=row["window_id"])
    return result


def bound_window(tx: ReadTx, actor: Actor | None, token: str | None, role: str) -> str:
    """The window a device token of ``role`` is bound to, or 401/403."""
    if actor is None or token is None:
        raise ServiceError("unauthorized", "a window device token is required", 401)
    if actor.kind != "device" or actor.role != role:
        raise forbidden(f"only a {role} device bound to a window may do this")
    row = tx.one("SELECT window_id FROM window_devices WHERE digest = ?", (token_digest(token),))
    if row is None:
        raise forbidden("this device is not bound to a window")
    return str(row["window_id"])


def require_bound(tx: ReadTx, actor: Actor | None, token: str | None, window_id: str) -> None:
    """Refuse unless the caller is a counter device bound to ``window_id``."""
    if bound_window(tx, actor, token, "counter") != window_id:
        raise forbidden("this device is bound to another window")
