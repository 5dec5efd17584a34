"""Checking in at the hall with a code: an appointment's 10-digit code turns the booking into
a ticket; a remote ticket's 6-digit check-in code checks that ticket in. One code box on the
kiosk serves both.

On the slot's day an appointment becomes an ``appointment``-class ticket (early or on time:
the call order waits for its slot window), or, once the slot's end and the late grace have
passed, a ``normal`` ticket in the normal queue. A second check-in answers the same ticket.

The sweep marks a booking ``no_show`` the moment its grace ends, which is also the moment a
check-in becomes ``late``; so a late visitor who still comes that business day is checked in
(the no-show is withdrawn: they came). A no-show of an earlier day is ``not_checkable``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from queue_server.domain import appointments as rules
from queue_server.domain.tickets import Channel, Status, TicketClass
from queue_server.service import remote
from queue_server.service.actors import Actor
from queue_server.service.appointment_rules import hall_rules
from queue_server.service.appointments import event_data
from queue_server.service.errors import ServiceError, conflict
from queue_server.service.estimates import estimate_for_new
from queue_server.service.live_eta import Forecast
from queue_server.service.rows import Hall, append_event, iso, load_hall, load_service, parse_iso
from queue_server.service.ticket_rows import IdColumns, NewTicket, insert_ticket, refuse_duplicate
from queue_server.service.tickets_view import ticket_view
from queue_server.store.db import WriteTx

REMOTE_CODE_LENGTH = 6
QR_PREFIX = "APPT:"
"""What the phone's appointment QR carries before the code; a scanner may type it too."""
UNKNOWN = ServiceError("appointment_not_found", "no appointment or ticket has this code", 404)


def check_in(
    tx: WriteTx,
    actor: Actor,
    hall_id: str,
    code: str,
    now: datetime,
    forecast: Forecast | None = None,
) -> dict[str, Any]:
    """Check in by a typed or scanned code (kiosk device or staff of the hall)."""
    hall = load_hall(tx, hall_id)
    actor.require_hall_member(hall_id)
    code = code.strip().removeprefix(QR_PREFIX)
    row = tx.one("SELECT * FROM appointments WHERE hall_id = ? AND code = ?", (hall_id, code))
    if row is None:
        if len(code) == REMOTE_CODE_LENGTH:
            return _remote_check_in(tx, actor, hall_id, code, now)
        raise UNKNOWN
    slot_day = hall.schedule.business_day(parse_iso(row["slot_start"]))
    same_day = hall.schedule.business_day(now) == slot_day
    if row["status"] == "cancelled" or (row["status"] == "no_show" and not same_day):
        raise conflict("not_checkable", f"this appointment is {row['status']}")
    if row["status"] == "checked_in":
        return _answer(_ticket(tx, row["ticket_id"]), row["arrival"], row)
    if not same_day:
        raise conflict(
            "wrong_day", "this appointment is for another day", date=slot_day.isoformat()
        )
    arrival = rules.classify_arrival(
        parse_iso(row["slot_start"]),
        parse_iso(row["slot_end"]),
        now,
        hall.rules.policy.appointment_early_minutes,
        hall_rules(tx, hall_id).late_grace_minutes,
    )
    if arrival == "late" and not hall.schedule.issuing_now(now):
        raise conflict("outside_issuing_hours", "tickets are not issued now")
    forced = TicketClass.NORMAL if arrival == "late" else None
    ticket = _issue(tx, hall, row, forced, now, forecast)
    tx.execute(
        "UPDATE appointments SET status = 'checked_in', checked_in_at = ?, ticket_id = ?,"
        " arrival = ? WHERE id = ?",
        (iso(now), ticket["id"], arrival, row["id"]),
    )
    checked = {**row, "status": "checked_in"}
    append_event(tx, hall_id, "appointment.checked_in", event_data(checked, now))
    return _answer(ticket, arrival, row)


def _answer(
    ticket: dict[str, Any], arrival: str | None, row: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "ticket": ticket,
        "arrival": arrival,
        "slot_start": row["slot_start"] if row else None,
        "slot_end": row["slot_end"] if row else None,
    }


def _ticket(tx: WriteTx, ticket_id: str) -> dict[str, Any]:
    row = tx.one("SELECT * FROM tickets WHERE id = ?", (ticket_id,))
    assert row is not None
    return ticket_view(row)


def _remote_check_in(
    tx: WriteTx, actor: Actor, hall_id: str, code: str, now: datetime
) -> dict[str, Any]:
    try:
        ticket = remote.check_in_by_code(tx, actor, hall_id, code, now)
    except ServiceError as err:
        if err.status == 404:
            raise UNKNOWN from None
        raise
    return _answer(_ticket(tx, ticket["id"]), None, None)


def _issue(
    tx: WriteTx,
    hall: Hall,
    appointment: dict[str, Any],
    forced: TicketClass | None,
    now: datetime,
    forecast: Forecast | None = None,
) -> dict[str, Any]:
    """The appointment's ticket, numbered like any other in the same transaction; it carries
    the slot (for the call order) and the booking's ID hash (one open ticket per ID)."""
    service = load_service(tx, appointment["service_id"])
    ticket_class = forced or TicketClass.APPOINTMENT
    day = hall.schedule.business_day(now).isoformat()
    refuse_duplicate(tx, hall.id, service.id, day, appointment["id_hash"])
    estimate = estimate_for_new(tx, hall, service, ticket_class, now, forecast)
    in_slot = ticket_class is TicketClass.APPOINTMENT
    identity = IdColumns(appointment["id_hash"], appointment["id_enc"], appointment["id_masked"])
    row = insert_ticket(
        tx,
        NewTicket(
            service,
            day,
            Status.WAITING,
            ticket_class,
            Channel.APPOINTMENT,
            now,
            identity,
            estimate,
            slot=(appointment["slot_start"], appointment["slot_end"]) if in_slot else None,
        ),
    )
    view = ticket_view(row)
    view["people_ahead"] = estimate.people_ahead
    view["eta"] = estimate.as_json()
    return view
