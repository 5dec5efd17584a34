"""Appointment booking rules: the hall's (horizon, release time, caps, cut-off, no-show block)
and each service's (enabled, slot length, capacity), as managers read and change them.

The hall's rules are one JSON row per hall (defaults until changed); a service without a row
takes no appointments. A change is audited with the rules before and after, emits
``appointment.rules_changed`` and applies to the next booking; bookings already made stay.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from queue_server.domain.appointments import BookingRules, InvalidRules, ServiceBooking
from queue_server.service.actors import Actor
from queue_server.service.errors import ServiceError, forbidden, invalid, not_found
from queue_server.service.rows import Hall, append_event, audit, iso, load_hall
from queue_server.store.db import ReadTx, WriteTx


def hall_rules(tx: ReadTx, hall_id: str) -> BookingRules:
    """The hall's booking rules (defaults until a manager changes them)."""
    row = tx.one("SELECT rules FROM appointment_rules WHERE hall_id = ?", (hall_id,))
    return BookingRules.from_dict(json.loads(row["rules"])) if row else BookingRules()


def booking_of(row: dict[str, Any] | None) -> ServiceBooking:
    if row is None or row["enabled"] is None:
        return ServiceBooking()
    return ServiceBooking(bool(row["enabled"]), row["slot_minutes"], row["capacity_per_slot"])


def services_of(tx: ReadTx, hall_id: str) -> list[tuple[dict[str, Any], ServiceBooking]]:
    rows = tx.all(
        "SELECT s.id, s.name, a.enabled, a.slot_minutes, a.capacity_per_slot FROM services s"
        " LEFT JOIN appointment_services a ON a.service_id = s.id"
        " WHERE s.hall_id = ? ORDER BY s.position, s.id",
        (hall_id,),
    )
    return [(row, booking_of(row)) for row in rows]


def service_in_hall(tx: ReadTx, hall_id: str, service_id: str) -> tuple[Hall, dict[str, Any]]:
    hall = load_hall(tx, hall_id)
    for row, _ in services_of(tx, hall_id):
        if row["id"] == service_id:
            return hall, row
    raise not_found("service")


def _rules_view(tx: ReadTx, hall_id: str) -> dict[str, Any]:
    return {
        "hall": hall_rules(tx, hall_id).to_dict(),
        "services": [
            {
                "service_id": row["id"],
                "name": row["name"],
                "enabled": booking.enabled,
                "slot_minutes": booking.slot_minutes,
                "capacity_per_slot": booking.capacity_per_slot,
            }
            for row, booking in services_of(tx, hall_id)
        ],
    }


def rules_view(tx: ReadTx, actor: Actor, hall_id: str) -> dict[str, Any]:
    """The hall's and its services' booking rules, for its staff."""
    load_hall(tx, hall_id)
    require_staff_of(actor, hall_id)
    return _rules_view(tx, hall_id)


def require_staff_of(actor: Actor, hall_id: str) -> None:
    if not actor.is_staff:
        raise forbidden("staff only")
    actor.require_hall_member(hall_id)


def _rule_error(err: InvalidRules, prefix: str = "") -> ServiceError:
    name = f"{prefix}{err.field}"
    return invalid("invalid_rules", f"{prefix}{err}", field=name)


def change_rules(
    tx: WriteTx, actor: Actor, hall_id: str, body: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """Apply a partial change (manager of the hall or admin); audited, evented, effective for
    the next booking. Existing bookings stay as they are."""
    load_hall(tx, hall_id)
    actor.require_manager(hall_id)
    before = _rules_view(tx, hall_id)
    if "hall" in body:
        try:
            merged = BookingRules.from_dict({**before["hall"], **body["hall"]})
        except InvalidRules as err:
            raise _rule_error(err, "hall.") from None
        tx.execute(
            "INSERT INTO appointment_rules (hall_id, rules) VALUES (?, ?)"
            " ON CONFLICT (hall_id) DO UPDATE SET rules = excluded.rules",
            (hall_id, json.dumps(merged.to_dict())),
        )
    current = {item["service_id"]: item for item in before["services"]}
    for index, change in enumerate(body.get("services", [])):
        _change_service(tx, hall_id, current, index, change)
    after = _rules_view(tx, hall_id)
    audit(tx, now, actor.name, hall_id, "appointment.rules", before=before, after=after)
    append_event(tx, hall_id, "appointment.rules_changed", {"hall_id": hall_id, "at": iso(now)})
    return after


def _change_service(
    tx: WriteTx,
    hall_id: str,
    current: dict[str, dict[str, Any]],
    index: int,
    change: dict[str, Any],
) -> None:
    where = f"services[{index}]."
    service_id = change.get("service_id")
    if service_id not in current:
        raise invalid(
            "invalid_rules", f"{where}service_id: no such service here", field=f"{where}service_id"
        )
    old = current[service_id]
    values = {k: change.get(k, old[k]) for k in ("enabled", "slot_minutes", "capacity_per_slot")}
    try:
        booking = ServiceBooking(**values)
    except InvalidRules as err:
        raise _rule_error(err, where) from None
    tx.execute(
        "INSERT INTO appointment_services (service_id, hall_id, enabled, slot_minutes,"
        " capacity_per_slot) VALUES (?, ?, ?, ?, ?) ON CONFLICT (service_id) DO UPDATE SET"
        " enabled = excluded.enabled, slot_minutes = excluded.slot_minutes,"
        " capacity_per_slot = excluded.capacity_per_slot",
        (
            service_id,
            hall_id,
            int(booking.enabled),
            booking.slot_minutes,
            booking.capacity_per_slot,
        ),
    )


def enable_services(tx: WriteTx, hall_id: str, settings: dict[str, dict[str, int]]) -> int:
    """Seed appointment settings for services that have none yet (site set-up, demo)."""
    added = 0
    for service_id, values in settings.items():
        booking = ServiceBooking(True, values["slot_minutes"], values["capacity_per_slot"])
        cur = tx.execute(
            "INSERT OR IGNORE INTO appointment_services (service_id, hall_id, enabled,"
            " slot_minutes, capacity_per_slot) VALUES (?, ?, 1, ?, ?)",
            (service_id, hall_id, booking.slot_minutes, booking.capacity_per_slot),
        )
        added += cur.rowcount
    return added
