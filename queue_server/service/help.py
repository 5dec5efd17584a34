"""The help desk (导服台): tickets for people the kiosk cannot serve, reprints, kiosk calls.

- A ticket without an ID card or phone, for a proxy (代办人), or in the green channel is
  issued on the ``help_desk`` channel through the ordinary issuing rules. A proxy ticket
  carries only the flag ``proxy``; no name or number of the proxy is stored. A green-channel
  ticket needs the reason (the kind of certificate checked), which goes to the audit log
  and never onto the ticket or an event.
- A lost ticket is found by the holder's ID number (the keyed hash; the number itself is
  not kept) or by its number today, and reprinted; the reprint is audited.
- Kiosks ask for help; the request shows on the help desk and the manager console until a
  member of staff resolves it.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from typing import Any

from queue_server.domain.ids import InvalidIdNumber, parse_id_number
from queue_server.security import PersonalDataCipher
from queue_server.service.actors import Actor
from queue_server.service.console import hall_services, minutes_since
from queue_server.service.errors import ServiceError, conflict, forbidden, invalid, not_found
from queue_server.service.issuing import IssueRequest, issue_ticket
from queue_server.service.live_eta import Forecast
from queue_server.service.rows import append_event, audit, iso, load_hall
from queue_server.service.tickets_view import ticket_view
from queue_server.store.db import ReadTx, WriteTx

GREEN_REASONS = (
    "elderly",
    "disabled",
    "pregnant",
    "ill",
    "military",
    "firefighter",
    "other",
)
"""Kinds of certificate the help desk checks for the green channel (绿色通道)."""

HELP_KINDS = ("help", "no_id_card", "printer", "payment", "other")
HELP_KIND_NAMES = {
    "help": "需要协助",
    "no_id_card": "没带身份证",
    "printer": "打印机问题",
    "payment": "缴费问题",
    "other": "其他",
}
OPEN_TICKET_STATUSES = ("waiting", "not_arrived", "called", "serving", "held")


def issue_at_desk(
    tx: WriteTx,
    actor: Actor,
    hall_id: str,
    body: dict[str, Any],
    cipher: PersonalDataCipher,
    now: datetime,
    forecast: Forecast | None = None,
) -> dict[str, Any]:
    """Issue a ticket on the help-desk channel; green needs a reason, proxy is a flag."""
    if not actor.is_staff:
        raise forbidden("staff only")
    load_hall(tx, hall_id)
    actor.require_hall_member(hall_id)
    service = tx.one("SELECT hall_id FROM services WHERE id = ?", (body["service_id"],))
    if service is None or service["hall_id"] != hall_id:
        raise invalid("invalid_request", "no such service in this hall")
    green = bool(body.get("green", False))
    reason = body.get("green_reason")
    if green and reason not in GREEN_REASONS:
        raise invalid(
            "green_reason_required",
            "the green channel needs the kind of certificate checked",
            reasons=list(GREEN_REASONS),
        )
    ask = IssueRequest(
        body["service_id"],
        body.get("id_number") or None,
        "green" if green else "normal",
        "help_desk",
    )
    ticket = issue_ticket(tx, actor, ask, cipher, now, forecast)
    flags = list(ticket.get("warnings", []))
    row = tx.one("SELECT flags FROM tickets WHERE id = ?", (ticket["id"],))
    stored = json.loads(row["flags"]) if row else []
    if body.get("proxy"):
        stored.append("proxy")
        tx.execute("UPDATE tickets SET flags = ? WHERE id = ?", (json.dumps(stored), ticket["id"]))
    ticket["flags"] = stored
    ticket["proxy"] = bool(body.get("proxy"))
    audit(
        tx,
        now,
        actor.name,
        hall_id,
        "help_desk.issued",
        ticket_id=ticket["id"],
        number=ticket["number"],
        service_id=body["service_id"],
        green_reason=reason if green else None,
        proxy=bool(body.get("proxy")),
        without_id=not body.get("id_number"),
        warnings=flags,
    )
    return ticket


def find_tickets(
    tx: ReadTx,
    actor: Actor,
    hall_id: str,
    body: dict[str, Any],
    cipher: PersonalDataCipher,
    now: datetime,
) -> list[dict[str, Any]]:
    """Today's open tickets of a holder (by ID number) or with a number, for a reprint."""
    if not actor.is_staff:
        raise forbidden("staff only")
    hall = load_hall(tx, hall_id)
    actor.require_hall_member(hall_id)
    day = hall.schedule.business_day(now).isoformat()
    marks = ", ".join("?" for _ in OPEN_TICKET_STATUSES)
    if body.get("id_number"):
        try:
            parsed = parse_id_number(body["id_number"])
        except InvalidIdNumber as err:
            raise invalid("invalid_id_number", f"invalid ID number: {err.reason}") from None
        rows = tx.all(
            "SELECT * FROM tickets WHERE hall_id = ? AND business_day = ? AND id_hash = ?"  # noqa: S608
            f" AND status IN ({marks}) ORDER BY n",
            (hall_id, day, cipher.match_hash(parsed.value), *OPEN_TICKET_STATUSES),
        )
    elif body.get("number"):
        rows = tx.all(
            "SELECT * FROM tickets WHERE hall_id = ? AND business_day = ? AND number = ?"
            " ORDER BY n",
            (hall_id, day, str(body["number"]).strip().upper()),
        )
    else:
        raise invalid("invalid_request", "give id_number or number")
    services = hall_services(tx, hall_id)
    found = []
    for row in rows:
        view = ticket_view(row, staff=True)
        service = services.get(row["service_id"], {})
        view["service_name"] = service.get("name", "")
        view["people_ahead"] = _people_ahead(tx, row)
        view["waited_minutes"] = minutes_since(row["issued_at"], now)
        found.append(view)
    return found


def _people_ahead(tx: ReadTx, row: dict[str, Any]) -> int:
    if row["status"] != "waiting":
        return 0
    ahead = tx.one(
        "SELECT COUNT(*) AS n FROM tickets WHERE hall_id = ? AND service_id = ?"
        " AND status = 'waiting' AND (arrived_at < ? OR (arrived_at = ? AND n < ?))",
        (row["hall_id"], row["service_id"], row["arrived_at"], row["arrived_at"], row["n"]),
    )
    return int(ahead["n"]) if ahead else 0


def reprint(tx: WriteTx, actor: Actor, ticket_id: str, now: datetime) -> dict[str, Any]:
    """Record a reprint of a lost ticket and give what the slip shows."""
    if not actor.is_staff:
        raise forbidden("staff only")
    row = tx.one("SELECT * FROM tickets WHERE id = ?", (ticket_id,))
    if row is None:
        raise not_found("ticket")
    actor.require_hall_member(row["hall_id"])
    if row["status"] not in OPEN_TICKET_STATUSES:
        raise conflict("not_open", f"ticket {row['number']} is {row['status']}")
    audit(
        tx,
        now,
        actor.name,
        row["hall_id"],
        "ticket.reprinted",
        ticket_id=row["id"],
        number=row["number"],
    )
    view = ticket_view(row)
    view["people_ahead"] = _people_ahead(tx, row)
    service = tx.one("SELECT name FROM services WHERE id = ?", (row["service_id"],))
    view["service_name"] = service["name"] if service else ""
    return view


def help_request_view(row: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """A help request as consoles show it (no personal data is ever part of one)."""
    view = {
        "id": row["id"],
        "hall_id": row["hall_id"],
        "device_id": row["device_id"],
        "device_label": row["device_label"],
        "kind": row["kind"],
        "message": row["message"],
        "status": row["status"],
        "created_at": row["created_at"],
        "acknowledged_at": row["acknowledged_at"],
        "acknowledged_by": row["acknowledged_by"],
        "resolved_at": row["resolved_at"],
        "resolved_by": row["resolved_by"],
    }
    if now is not None:
        view["age_minutes"] = minutes_since(row["created_at"], now)
    return view


def _help_event(tx: WriteTx, kind: str, row: dict[str, Any], now: datetime) -> None:
    append_event(
        tx,
        row["hall_id"],
        kind,
        {
            "request_id": row["id"],
            "device_label": row["device_label"],
            "kind": row["kind"],
            "status": row["status"],
            "at": iso(now),
        },
    )


def request_help(
    tx: WriteTx,
    actor: Actor,
    device_id: str,
    hall_id: str,
    kind: str,
    message: str,
    now: datetime,
) -> dict[str, Any]:
    """A kiosk asks staff for help; one open request per kiosk at a time."""
    if actor.kind != "device" or actor.role != "kiosk":
        raise forbidden("only a kiosk asks for help")
    actor.require_hall_member(hall_id)
    if kind not in HELP_KINDS:
        raise invalid("invalid_request", f"kind is one of {list(HELP_KINDS)}")
    existing = tx.one(
        "SELECT * FROM help_requests WHERE device_id = ? AND status != 'resolved'", (device_id,)
    )
    if existing is not None:
        return help_request_view(existing, now)
    label = tx.one(
        "SELECT label FROM tokens WHERE kind = 'device' AND digest LIKE ?", (device_id + "%",)
    )
    row = {
        "id": secrets.token_hex(8),
        "hall_id": hall_id,
        "device_id": device_id,
        "device_label": (label["label"] if label else "") or actor.name,
        "kind": kind,
        "message": message,
        "status": "open",
        "created_at": iso(now),
        "acknowledged_at": None,
        "acknowledged_by": None,
        "resolved_at": None,
        "resolved_by": None,
    }
    columns = ", ".join(row)
    tx.execute(
        f"INSERT INTO help_requests ({columns}) VALUES ({', '.join('?' for _ in row)})",  # noqa: S608
        tuple(row.values()),
    )
    _help_event(tx, "help.requested", row, now)
    return help_request_view(row, now)


def list_help_requests(
    tx: ReadTx, actor: Actor, hall_id: str, include_resolved: bool, now: datetime
) -> list[dict[str, Any]]:
    """Open (and, on request, today's resolved) help requests, oldest first."""
    if not actor.is_staff:
        raise forbidden("staff only")
    load_hall(tx, hall_id)
    actor.require_hall_member(hall_id)
    if include_resolved:
        rows = tx.all(
            "SELECT * FROM help_requests WHERE hall_id = ? ORDER BY created_at DESC LIMIT 200",
            (hall_id,),
        )
    else:
        rows = tx.all(
            "SELECT * FROM help_requests WHERE hall_id = ? AND status != 'resolved'"
            " ORDER BY created_at",
            (hall_id,),
        )
    return [help_request_view(r, now) for r in rows]


def update_help_request(
    tx: WriteTx, actor: Actor, request_id: str, move: str, now: datetime
) -> dict[str, Any]:
    """Acknowledge (someone is on the way) or resolve a help request."""
    if not actor.is_staff:
        raise forbidden("staff only")
    row = tx.one("SELECT * FROM help_requests WHERE id = ?", (request_id,))
    if row is None:
        raise not_found("help request")
    actor.require_hall_member(row["hall_id"])
    if row["status"] == "resolved":
        raise conflict("already_resolved", "this help request is resolved")
    if move == "acknowledge":
        if row["status"] != "open":
            raise conflict("already_acknowledged", "someone is already on the way")
        tx.execute(
            "UPDATE help_requests SET status = 'acknowledged', acknowledged_at = ?,"
            " acknowledged_by = ? WHERE id = ?",
            (iso(now), actor.name, request_id),
        )
    elif move == "resolve":
        tx.execute(
            "UPDATE help_requests SET status = 'resolved', resolved_at = ?, resolved_by = ?"
            " WHERE id = ?",
            (iso(now), actor.name, request_id),
        )
    else:
        raise ServiceError("invalid_request", f"unknown move {move!r}", 422)
    updated = tx.one("SELECT * FROM help_requests WHERE id = ?", (request_id,))
    assert updated is not None
    _help_event(tx, "help.updated", updated, now)
    audit(tx, now, actor.name, row["hall_id"], f"help.{move}", request_id=request_id)
    return help_request_view(updated, now)
