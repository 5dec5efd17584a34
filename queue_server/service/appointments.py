"""Appointments (预约): public slots, booking, the holder's view, cancelling, the staff's day
list and the no-show sweep. The rules live in :mod:`queue_server.service.appointment_rules`,
check-in in :mod:`queue_server.service.appointment_checkin`.

A booking is bound to a verified phone (the one-time code of the remote visitors) and an ID
number. The ID number is kept as a keyed hash for the per-person caps and the no-show block,
an encrypted copy and a mask, as tickets keep it; the phone as a keyed hash and a mask. The
phone that booked gets a holder token (only its digest is stored) to read and cancel.

Capacity is safe under concurrent bookings because every write runs in the single writer:
counting the slot's bookings and inserting one happen in one transaction.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from queue_server.domain import appointments as rules
from queue_server.domain.appointments import BookingRules, ServiceBooking
from queue_server.domain.ids import InvalidIdNumber, mask_id_number, parse_id_number
from queue_server.security import PersonalDataCipher, token_digest
from queue_server.service import remote
from queue_server.service.actors import Actor
from queue_server.service.appointment_rules import (
    booking_of,
    hall_rules,
    require_staff_of,
    service_in_hall,
    services_of,
)
from queue_server.service.errors import ServiceError, conflict, invalid, not_found
from queue_server.service.rows import (
    Hall,
    append_event,
    audit,
    iso,
    load_hall,
    parse_iso,
)
from queue_server.store.db import ReadTx, WriteTx

MIN_YEAR, MAX_YEAR = 2000, 2999
COUNTED = ("booked", "checked_in", "no_show")
BAD_CODE = ServiceError("bad_code", "the code is wrong or has expired; ask for a new one", 422)


# -- public slots ------------------------------------------------------------------------


def _bookable(tx: ReadTx, hall_id: str, service_id: str) -> tuple[Hall, dict[str, Any]]:
    hall, service = service_in_hall(tx, hall_id, service_id)
    if not booking_of(service).bookable:
        raise conflict("appointments_disabled", "this service takes no appointments")
    return hall, service


def _live_bookings(tx: ReadTx, service_id: str, since: datetime) -> list[tuple[str, str, int]]:
    """Live bookings ending after ``since``: (slot start, slot end, how many), ISO text."""
    rows = tx.all(
        "SELECT slot_start, slot_end, COUNT(*) AS n FROM appointments WHERE service_id = ?"
        " AND slot_end > ? AND status IN ('booked', 'checked_in') GROUP BY slot_start, slot_end",
        (service_id, iso(since)),
    )
    return [(row["slot_start"], row["slot_end"], int(row["n"])) for row in rows]


def _booked_in(live: list[tuple[str, str, int]], slot: rules.Slot) -> int:
    """How many of the live bookings overlap ``slot``."""
    start, end = iso(slot.start), iso(slot.end)
    return sum(n for taken_from, taken_to, n in live if taken_from < end and taken_to > start)


def public_slots(tx: ReadTx, hall_id: str, service_id: str, now: datetime) -> dict[str, Any]:
    """Released slots of a service with the places left; no personal data.

    A slot's places are taken by every live booking that overlaps it, as when booking: after
    the slot length changes, bookings made on the old slots still count.
    """
    hall, service = _bookable(tx, hall_id, service_id)
    booking = booking_of(service)
    booking_rules = hall_rules(tx, hall_id)
    live = _live_bookings(tx, service_id, now)
    days: dict[date, list[dict[str, Any]]] = {}
    for slot in rules.open_slots(hall.schedule, booking_rules, booking, now):
        booked = _booked_in(live, slot)
        days.setdefault(slot.day, []).append(
            {
                "start": iso(slot.start),
                "end": iso(slot.end),
                "capacity": booking.capacity_per_slot,
                "left": max(0, booking.capacity_per_slot - booked),
            }
        )
    upcoming = rules.next_release(hall.schedule, booking_rules, now)
    return {
        "service_id": service_id,
        "slot_minutes": booking.slot_minutes,
        "days": [{"date": day.isoformat(), "slots": slots} for day, slots in days.items()],
        "next_release": iso(upcoming) if upcoming else None,
    }


# -- booking -----------------------------------------------------------------------------


def _find_slot(
    hall: Hall, booking_rules: BookingRules, booking: ServiceBooking, text: str, now: datetime
) -> rules.Slot:
    try:
        start = datetime.fromisoformat(text)
    except ValueError:
        raise invalid("invalid_request", "slot_start must be an ISO 8601 time") from None
    if start.tzinfo is None:
        raise invalid("invalid_request", "slot_start needs a time zone (use Z for UTC)")
    for slot in rules.open_slots(hall.schedule, booking_rules, booking, now):
        if slot.start == start:
            return slot
    released = rules.next_release(hall.schedule, booking_rules, now)
    raise conflict(
        "slot_not_open",
        "this slot cannot be booked now (not released yet, outside the horizon, or not a slot"
        " of this service)",
        next_release=iso(released) if released else None,
    )


def _count(tx: ReadTx, sql: str, params: tuple[Any, ...]) -> int:
    row = tx.one(sql, params)
    return int(row["n"]) if row else 0


def _check_person(
    tx: WriteTx, booking_rules: BookingRules, id_hash: str, day: date, now: datetime
) -> None:
    horizon = booking_rules.no_show_window_days + booking_rules.block_days
    no_shows = tx.all(
        "SELECT slot_start FROM appointments WHERE id_hash = ? AND status = 'no_show'"
        " AND slot_start >= ?",
        (id_hash, iso(now - timedelta(days=horizon))),
    )
    until = rules.blocked_until(booking_rules, (parse_iso(r["slot_start"]) for r in no_shows), now)
    if until is not None:
        raise conflict(
            "booking_blocked",
            "bookings are blocked after repeated no-shows",
            until=iso(until),
        )
    monday, sunday = rules.week_of(day)
    person = "SELECT COUNT(*) AS n FROM appointments WHERE id_hash = ? AND status IN (?, ?, ?)"
    same_day = _count(tx, f"{person} AND slot_day = ?", (id_hash, *COUNTED, day.isoformat()))
    same_week = _count(
        tx,
        f"{person} AND slot_day BETWEEN ? AND ?",
        (id_hash, *COUNTED, monday.isoformat(), sunday.isoformat()),
    )
    refusal = rules.limit_reached(booking_rules, same_day, same_week)
    if refusal == "daily_limit":
        raise conflict(
            "daily_limit",
            f"one person may book {booking_rules.per_person_per_day} time(s) a day",
            limit=booking_rules.per_person_per_day,
        )
    if refusal == "weekly_limit":
        raise conflict(
            "weekly_limit",
            f"one person may book {booking_rules.per_person_per_week} times a week",
            limit=booking_rules.per_person_per_week,
        )


def _check_address(
    tx: WriteTx, phone_hash: str, address_hash: str, limits: remote.Limits, now: datetime
) -> None:
    phones = _count(
        tx,
        "SELECT COUNT(DISTINCT phone_hash) AS n FROM appointments WHERE address_hash = ?"
        " AND created_at > ? AND phone_hash != ?",
        (address_hash, iso(now - timedelta(days=1)), phone_hash),
    )
    if phones >= limits.phones_per_address_day:
        raise ServiceError(
            "too_many_phones",
            "appointments were booked for too many phones from this network today",
            429,
            {"limit": limits.phones_per_address_day},
        )


def _new_code(tx: WriteTx) -> str:
    for _ in range(50):
        code = f"{secrets.randbelow(9 * 10**9) + 10**9}"
        if tx.one("SELECT 1 AS x FROM appointments WHERE code = ?", (code,)) is None:
            return code
    raise ServiceError("busy", "could not find a free appointment code; try again", 503)


def _check_phone(tx: WriteTx, phone_hash: str, day: date, limits: remote.Limits) -> None:
    """One phone may book for a few people a day (family members), not for a crowd."""
    row = tx.one(
        "SELECT COUNT(*) AS n FROM appointments WHERE phone_hash = ? AND slot_day = ?"
        " AND status IN ('booked', 'checked_in')",
        (phone_hash, day.isoformat()),
    )
    if row is not None and int(row["n"]) >= limits.tickets_per_phone_day:
        raise conflict(
            "too_many_bookings",
            f"this phone already holds {row['n']} bookings for that day",
            limit=limits.tickets_per_phone_day,
        )


def book(
    tx: WriteTx,
    cipher: PersonalDataCipher,
    hall_id: str,
    body: dict[str, Any],
    address: str,
    limits: remote.Limits,
    now: datetime,
) -> dict[str, Any] | None:
    """Book a slot for a verified phone and an ID number; None when the one-time code is
    wrong (the failed guess is still counted, so the caller commits and answers 422)."""
    phone = remote.parse_phone(str(body["phone"]))
    hall, service = _bookable(tx, hall_id, str(body["service_id"]))
    try:
        person = parse_id_number(str(body["id_number"]))
    except InvalidIdNumber as err:
        raise invalid("invalid_id_number", f"invalid ID number: {err.reason}") from None
    booking_rules = hall_rules(tx, hall_id)
    booking = booking_of(service)
    slot = _find_slot(hall, booking_rules, booking, str(body["slot_start"]), now)
    # The code first: what the person checks below reveal (bookings, a no-show block) is
    # only for the holder of a verified phone. A refusal after it rolls the whole job back,
    # so the code is not spent and another slot can be tried with it.
    if not remote.use_code(tx, cipher, phone, str(body["code"]), limits, now):
        return None
    id_hash = cipher.match_hash(person.value)
    _check_person(tx, booking_rules, id_hash, slot.day, now)
    ph, ah = remote.phone_hash(cipher, phone), remote.address_hash(cipher, address)
    _check_address(tx, ph, ah, limits, now)
    _check_phone(tx, ph, slot.day, limits)
    # After the slot length or the hours change, bookings made on the old slots still take
    # their places: every live booking that overlaps the slot counts, as in the listing.
    taken = _booked_in(_live_bookings(tx, service["id"], slot.start), slot)
    if taken >= booking.capacity_per_slot:
        raise conflict("slot_full", "this slot is fully booked")
    token = secrets.token_urlsafe(24)
    row = {
        "id": secrets.token_hex(8),
        "hall_id": hall_id,
        "service_id": service["id"],
        "code": _new_code(tx),
        "slot_start": iso(slot.start),
        "slot_end": iso(slot.end),
        "slot_day": slot.day.isoformat(),
        "id_hash": id_hash,
        "id_enc": cipher.encrypt(person.value),
        "id_masked": mask_id_number(person.value, hall.rules.id_mask_head, hall.rules.id_mask_tail),
        "phone_hash": ph,
        "phone_masked": remote.mask_phone(phone),
        "address_hash": ah,
        "holder_digest": token_digest(token),
        "status": "booked",
        "created_at": iso(now),
    }
    columns, marks = ", ".join(row), ", ".join("?" for _ in row)
    tx.execute(f"INSERT INTO appointments ({columns}) VALUES ({marks})", tuple(row.values()))  # noqa: S608
    append_event(tx, hall_id, "appointment.booked", event_data(row, now))
    return {"appointment": appointment_view(tx, row), "holder_token": token}


def event_data(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The public payload of an ``appointment.*`` event: no code, ID or phone."""
    return {
        "appointment_id": row["id"],
        "service_id": row["service_id"],
        "slot_start": row["slot_start"],
        "slot_end": row["slot_end"],
        "status": row["status"],
        "at": iso(now),
    }


def appointment_view(tx: ReadTx, row: dict[str, Any]) -> dict[str, Any]:
    """What the phone that booked sees (and staff): masked identity, ticket once checked in."""
    service = tx.one("SELECT name FROM services WHERE id = ?", (row["service_id"],))
    ticket = None
    if row.get("ticket_id"):
        ticket = tx.one("SELECT number, track_token FROM tickets WHERE id = ?", (row["ticket_id"],))
    booking_rules = hall_rules(tx, row["hall_id"])
    return {
        "id": row["id"],
        "code": row["code"],
        "hall_id": row["hall_id"],
        "service_id": row["service_id"],
        "service_name": service["name"] if service else "",
        "slot_start": row["slot_start"],
        "slot_end": row["slot_end"],
        "status": row["status"],
        "cancel_until": iso(rules.cancel_until(booking_rules, parse_iso(row["slot_start"]))),
        "id_masked": row.get("id_masked"),
        "phone_masked": row.get("phone_masked"),
        "ticket_id": row.get("ticket_id"),
        "ticket_number": ticket["number"] if ticket else None,
        "ticket_track_token": ticket["track_token"] if ticket else None,
    }


def _by_holder(tx: ReadTx, appointment_id: str, holder: str) -> dict[str, Any]:
    row = tx.one("SELECT * FROM appointments WHERE id = ?", (appointment_id,))
    if (
        row is None
        or not holder
        or not row["holder_digest"]
        or not secrets.compare_digest(row["holder_digest"], token_digest(holder))
    ):
        raise not_found("appointment")
    return row


def holder_view(tx: ReadTx, appointment_id: str, holder: str) -> dict[str, Any]:
    """The booking as the phone that made it sees it (``?holder=``)."""
    return {"appointment": appointment_view(tx, _by_holder(tx, appointment_id, holder))}


def cancel(
    tx: WriteTx, actor: Actor | None, appointment_id: str, holder: str, now: datetime
) -> dict[str, Any]:
    """Cancel a booked appointment: the holder until ``cancel_until``, staff of the hall any
    time before it is checked in."""
    if actor is not None and actor.is_staff and not holder:
        row = tx.one("SELECT * FROM appointments WHERE id = ?", (appointment_id,))
        if row is None:
            raise not_found("appointment")
        actor.require_hall_member(row["hall_id"])
        by_staff = True
    else:
        row = _by_holder(tx, appointment_id, holder)
        by_staff = False
    if row["status"] != "booked":
        raise conflict("not_cancellable", f"a {row['status']} appointment cannot be cancelled")
    limit = rules.cancel_until(hall_rules(tx, row["hall_id"]), parse_iso(row["slot_start"]))
    if not by_staff and now >= limit:
        raise conflict("too_late_to_cancel", "it is too late to cancel", cancel_until=iso(limit))
    tx.execute(
        "UPDATE appointments SET status = 'cancelled', cancelled_at = ? WHERE id = ?",
        (iso(now), row["id"]),
    )
    row = {**row, "status": "cancelled", "cancelled_at": iso(now)}
    if by_staff and actor is not None:
        audit(tx, now, actor.name, row["hall_id"], "appointment.cancel", appointment=row["id"])
    append_event(tx, row["hall_id"], "appointment.cancelled", event_data(row, now))
    return {"appointment": appointment_view(tx, row)}


# -- staff -------------------------------------------------------------------------------


def day_list(
    tx: ReadTx, actor: Actor, hall_id: str, day_text: str, service_id: str | None
) -> dict[str, Any]:
    """A day's appointments of the hall (masked identities) and its slots' bookings."""
    hall = load_hall(tx, hall_id)
    require_staff_of(actor, hall_id)
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        raise invalid("invalid_request", "date must be YYYY-MM-DD") from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise invalid("invalid_request", f"date must lie within {MIN_YEAR}..{MAX_YEAR}")
    services = [
        (row, booking)
        for row, booking in services_of(tx, hall_id)
        if service_id is None or row["id"] == service_id
    ]
    if service_id is not None and not services:
        raise not_found("service")
    names = {row["id"]: row["name"] for row, _ in services}
    rows = tx.all(
        "SELECT a.*, t.number AS ticket_number FROM appointments a"
        " LEFT JOIN tickets t ON t.id = a.ticket_id"
        " WHERE a.hall_id = ? AND a.slot_day = ? ORDER BY a.slot_start, a.created_at",
        (hall_id, day.isoformat()),
    )
    items = [
        _staff_item(row, names[row["service_id"]]) for row in rows if row["service_id"] in names
    ]
    slots = []
    for row, booking in services:
        if not booking.enabled:
            continue
        live = _live_bookings(tx, row["id"], datetime.combine(day - timedelta(days=1), time(), UTC))
        for slot in rules.slots_on(hall.schedule, day, booking.slot_minutes):
            slots.append(
                {
                    "service_id": row["id"],
                    "start": iso(slot.start),
                    "end": iso(slot.end),
                    "capacity": booking.capacity_per_slot,
                    "booked": _booked_in(live, slot),
                }
            )
    return {"date": day.isoformat(), "appointments": items, "slots": slots}


def _staff_item(row: dict[str, Any], service_name: str) -> dict[str, Any]:
    return {
        "id": row["id"],
        "code": row["code"],
        "service_id": row["service_id"],
        "service_name": service_name,
        "slot_start": row["slot_start"],
        "slot_end": row["slot_end"],
        "status": row["status"],
        "id_masked": row["id_masked"],
        "phone_masked": row["phone_masked"],
        "ticket_id": row["ticket_id"],
        "ticket_number": row["ticket_number"],
        "created_at": row["created_at"],
    }


# -- no-shows ----------------------------------------------------------------------------


def sweep_no_shows(tx: WriteTx, now: datetime) -> int:
    """Mark booked appointments past their slot's end and grace as ``no_show`` — unless the
    hall no longer opened that day (a closure or holiday added after the booking): those are
    ``cancelled`` by the hall, and count against nobody."""
    rows = tx.all(
        "SELECT * FROM appointments WHERE status = 'booked' AND slot_end < ? ORDER BY hall_id",
        (iso(now),),
    )
    halls: dict[str, tuple[Hall, int]] = {}
    marked = 0
    for row in rows:
        hall_id = row["hall_id"]
        if hall_id not in halls:
            halls[hall_id] = (load_hall(tx, hall_id), hall_rules(tx, hall_id).late_grace_minutes)
        hall, grace = halls[hall_id]
        if not rules.no_show_due(parse_iso(row["slot_end"]), now, grace):
            continue
        day = date.fromisoformat(row["slot_day"])
        status = "no_show" if rules.is_working_day(hall.schedule, day) else "cancelled"
        tx.execute("UPDATE appointments SET status = ? WHERE id = ?", (status, row["id"]))
        event = {**row, "status": status}
        append_event(tx, hall_id, f"appointment.{status}", event_data(event, now))
        marked += 1
    return marked
