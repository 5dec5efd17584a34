"""Offline-first kiosks: number leases, the kiosk catalogue and the sync of offline tickets.

A kiosk leases a block of ticket numbers per service in advance. The block is reserved by
bumping the same ``counters`` row ordinary issuing bumps, inside the same write transaction,
so blocks never overlap between kiosks or with numbers issued online; a leased number the
kiosk never uses is the only kind of gap a day's numbering may have.

While the hall server is unreachable the kiosk issues from its block and keeps the tickets
in its own encrypted queue. When it reaches the server again it syncs them here. Every synced
ticket is accepted, once (idempotent by the ticket id the kiosk generated), with its real
issue time, so the call order stays fair; a rule the kiosk could not check offline (a second
ticket for the same ID, a quota, issuing hours, the age rule) is flagged on the ticket and in
``kiosk_synced`` for the manager instead of refusing the ticket the citizen already holds.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from queue_server.domain.ids import InvalidIdNumber, age_on, mask_id_number, parse_id_number
from queue_server.domain.tickets import Channel, Status, TicketClass
from queue_server.security import PersonalDataCipher
from queue_server.service.actors import Actor
from queue_server.service.errors import ServiceError, conflict, forbidden, invalid, not_found
from queue_server.service.rows import (
    Hall,
    Service,
    audit,
    hall_from_row,
    iso,
    load_hall,
    load_service,
    parse_iso,
    service_from_row,
)
from queue_server.service.ticket_rows import IdColumns, NewTicket, insert_ticket
from queue_server.store.db import ReadTx, WriteTx

MAX_LEASE = 500
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_TICKET_ID = re.compile(r"^[0-9a-f]{16,32}$")
FUTURE_SLACK = timedelta(minutes=2)
"""A synced issue time later than the server's clock plus this is flagged and clamped."""


def _require_kiosk(actor: Actor, hall_id: str) -> None:
    if actor.kind != "device":
        raise forbidden("kiosk devices only")
    actor.require_hall_member(hall_id)


def business_day_end(hall: Hall, day: str) -> datetime:
    """The instant the business day ``day`` ends (the next day's start hour, local)."""
    zone = ZoneInfo(hall.schedule.timezone)
    next_day = datetime.fromisoformat(day) + timedelta(days=1)
    local = next_day.replace(hour=hall.schedule.day_start_hour, tzinfo=zone)
    return local.astimezone(ZoneInfo("UTC"))


def issuing_until(hall: Hall, now: datetime) -> datetime | None:
    """End of the continuous issuing period containing ``now`` (None: not issuing now)."""
    schedule = hall.schedule
    if not schedule.issuing_now(now):
        return None
    local_day = now.astimezone(ZoneInfo(schedule.timezone)).date()
    spans = []
    for offset in range(-1, 3):
        spans.extend(schedule.serving_intervals_utc(local_day + timedelta(days=offset)))
    spans.sort()
    merged: list[list[datetime]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in merged:
        if start <= now < end:
            return end - timedelta(minutes=schedule.issuing_cutoff_minutes)
    return None


def kiosk_catalogue(tx: ReadTx, actor: Actor, hall_id: str, now: datetime) -> dict[str, Any]:
    """What a kiosk shows: the hall, its rules, and each service with materials and waits."""
    if not actor.is_staff:
        _require_kiosk(actor, hall_id)
    row = tx.one("SELECT * FROM halls WHERE id = ?", (hall_id,))
    if row is None:
        raise not_found("hall")
    hall = hall_from_row(row)
    day = hall.schedule.business_day(now).isoformat()
    waiting = _counts(tx, hall_id, "status = 'waiting'", ())
    issued = _counts(tx, hall_id, "business_day = ?", (day,))
    services = []
    for srow in tx.all(
        "SELECT * FROM services WHERE hall_id = ? ORDER BY position, id", (hall_id,)
    ):
        service = service_from_row(srow)
        info = json.loads(srow["info"] or "{}")
        services.append(
            {
                "id": service.id,
                "code": srow["code"],
                "prefix": service.prefix,
                "name": srow["name"],
                "name_en": srow["name_en"],
                "department": srow["department"],
                "id_required": service.rules.id_required,
                "typical_minutes": service.rules.typical_minutes,
                "materials": info.get("materials", []),
                "online_url": info.get("online_url"),
                "online_note_zh": info.get("online_note_zh"),
                "online_note_en": info.get("online_note_en"),
                "ready_note_zh": info.get("ready_note_zh"),
                "ready_note_en": info.get("ready_note_en"),
                "waiting": waiting.get(service.id, 0),
                "issued_today": issued.get(service.id, 0),
            }
        )
    upcoming = hall.schedule.next_issuing_start(now)
    return {
        "hall": {
            "id": hall.id,
            "name": hall.name,
            "name_en": row["name_en"],
            "timezone": hall.schedule.timezone,
            "green_age": hall.rules.green_age,
            "business_day": day,
            "open_now": hall.schedule.is_open(now),
            "issuing_now": hall.schedule.issuing_now(now),
            "next_issuing_at": iso(upcoming) if upcoming else None,
        },
        "services": services,
        "server_time": iso(now),
    }


def _counts(tx: ReadTx, hall_id: str, where: str, params: tuple[Any, ...]) -> dict[str, int]:
    rows = tx.all(
        f"SELECT service_id, COUNT(*) AS n FROM tickets WHERE hall_id = ? AND {where}"  # noqa: S608
        " GROUP BY service_id",
        (hall_id, *params),
    )
    return {r["service_id"]: int(r["n"]) for r in rows}


def reserve_block(tx: WriteTx, hall_id: str, prefix: str, day: str, size: int) -> tuple[int, int]:
    """Bump the hall x prefix x day counter by ``size``; the block is (first, last)."""
    row = tx.one(
        "INSERT INTO counters (hall_id, prefix, business_day, last_seq) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (hall_id, prefix, business_day) DO UPDATE SET last_seq = last_seq + ?"
        " RETURNING last_seq",
        (hall_id, prefix, day, size, size),
    )
    assert row is not None
    last = int(row["last_seq"])
    return last - size + 1, last


def lease_view(row: dict[str, Any]) -> dict[str, Any]:
    """A lease as the kiosk and the manager see it."""
    return {
        "id": row["id"],
        "service_id": row["service_id"],
        "prefix": row["prefix"],
        "business_day": row["business_day"],
        "first_seq": row["first_seq"],
        "last_seq": row["last_seq"],
        "valid_until": row["valid_until"],
        "issuing_until": row["issuing_until"],
        "created_at": row["created_at"],
        "released_at": row["released_at"],
    }


def take_lease(
    tx: WriteTx,
    actor: Actor,
    device_id: str,
    hall_id: str,
    service_id: str,
    size: int,
    now: datetime,
) -> dict[str, Any]:
    """Reserve ``size`` numbers of a service for this kiosk's offline use today."""
    _require_kiosk(actor, hall_id)
    if not 1 <= size <= MAX_LEASE:
        raise invalid("invalid_request", f"size must be 1..{MAX_LEASE}")
    service = load_service(tx, service_id)
    if service.hall_id != hall_id:
        raise invalid("invalid_request", "no such service in this hall")
    hall = load_hall(tx, hall_id)
    until_issuing = issuing_until(hall, now)
    if until_issuing is None:
        upcoming = hall.schedule.next_issuing_start(now)
        raise conflict(
            "outside_issuing_hours",
            "numbers are leased only while tickets are issued",
            next_issuing_at=iso(upcoming) if upcoming else None,
        )
    day = hall.schedule.business_day(now).isoformat()
    first, last = reserve_block(tx, hall_id, service.prefix, day, size)
    day_end = business_day_end(hall, day)
    row = {
        "id": secrets.token_hex(8),
        "hall_id": hall_id,
        "service_id": service.id,
        "prefix": service.prefix,
        "business_day": day,
        "device_id": device_id,
        "first_seq": first,
        "last_seq": last,
        "created_at": iso(now),
        "valid_until": iso(day_end),
        "issuing_until": iso(min(until_issuing, day_end)),
        "released_at": None,
    }
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    tx.execute(f"INSERT INTO kiosk_leases ({columns}) VALUES ({marks})", tuple(row.values()))  # noqa: S608
    return lease_view(row)


def release_lease(
    tx: WriteTx, actor: Actor, device_id: str, lease_id: str, now: datetime
) -> dict[str, Any]:
    """The kiosk gives a block back; its unused numbers stay unused (the allowed gaps)."""
    row = tx.one("SELECT * FROM kiosk_leases WHERE id = ?", (lease_id,))
    if row is None or row["device_id"] != device_id:
        raise not_found("lease")
    _require_kiosk(actor, row["hall_id"])
    if row["released_at"] is None:
        tx.execute("UPDATE kiosk_leases SET released_at = ? WHERE id = ?", (iso(now), lease_id))
        row["released_at"] = iso(now)
    used = tx.one("SELECT COUNT(*) AS n FROM kiosk_synced WHERE lease_id = ?", (lease_id,))
    view = lease_view(row)
    view["used"] = int(used["n"]) if used else 0
    view["unused"] = row["last_seq"] - row["first_seq"] + 1 - view["used"]
    return view


def sync_tickets(
    tx: WriteTx,
    actor: Actor,
    device_id: str,
    hall_id: str,
    tickets: list[dict[str, Any]],
    cipher: PersonalDataCipher,
    now: datetime,
) -> list[dict[str, Any]]:
    """Accept the kiosk's offline tickets, each once; flag what breaks a rule."""
    _require_kiosk(actor, hall_id)
    hall = load_hall(tx, hall_id)
    results = []
    for item in tickets:
        try:
            results.append(_sync_one(tx, actor, device_id, hall, item, cipher, now))
        except ServiceError as err:
            results.append({"id": item.get("id"), "status": "rejected", "error": err.code})
    return results


def _sync_one(
    tx: WriteTx,
    actor: Actor,
    device_id: str,
    hall: Hall,
    item: dict[str, Any],
    cipher: PersonalDataCipher,
    now: datetime,
) -> dict[str, Any]:
    ticket_id, token = item["id"], item["track_token"]
    if not _TICKET_ID.match(ticket_id) or not _TOKEN.match(token):
        raise invalid("invalid_request", "ticket id or track token is malformed")
    done = tx.one("SELECT * FROM kiosk_synced WHERE ticket_id = ?", (ticket_id,))
    if done is not None:
        if done["lease_id"] != item["lease_id"] or done["seq"] != item["seq"]:
            raise conflict("sync_mismatch", "this ticket id was synced with another number")
        number = tx.one("SELECT number FROM tickets WHERE id = ?", (ticket_id,))
        return {
            "id": ticket_id,
            "status": "already",
            "number": number["number"] if number else None,
            "flags": json.loads(done["flags"]),
        }
    lease = tx.one("SELECT * FROM kiosk_leases WHERE id = ?", (item["lease_id"],))
    if lease is None or lease["device_id"] != device_id or lease["hall_id"] != hall.id:
        raise conflict("not_leased", "this lease does not belong to this kiosk")
    seq = int(item["seq"])
    if not lease["first_seq"] <= seq <= lease["last_seq"]:
        raise conflict("not_leased", "the number is outside the lease")
    if lease["service_id"] != item["service_id"]:
        raise conflict("not_leased", "the lease is for another service")
    service = load_service(tx, lease["service_id"])
    flags: list[str] = ["offline"]
    try:
        issued_at = parse_iso(item["issued_at"])
    except ValueError:
        raise invalid("invalid_request", "issued_at is not a valid time") from None
    if issued_at > now + FUTURE_SLACK:
        flags.append("issued_in_future")
        issued_at = now
    day = lease["business_day"]
    if hall.schedule.business_day(issued_at).isoformat() != day:
        flags.append("outside_business_day")
    if not hall.schedule.issuing_now(issued_at):
        flags.append("outside_issuing_hours")
    if lease["released_at"] is not None:
        flags.append("after_release")
    identity = _identity(item.get("id_number"), hall, cipher, flags)
    ticket_class = _class(item.get("class"), hall, identity, day, flags)
    if identity is None and service.rules.id_required:
        flags.append("id_missing")
    id_hash = identity[0] if identity else None
    if id_hash is not None and _holds_open_ticket(tx, service, day, id_hash):
        flags.append("duplicate_id")
        id_hash = None  # the one-open-ticket index keeps the first; this one is flagged
    if _over_quota(tx, service, day):
        flags.append("over_quota")
    row = insert_ticket(
        tx,
        NewTicket(
            service,
            day,
            Status.WAITING,
            ticket_class,
            Channel.KIOSK,
            issued_at,
            IdColumns(id_hash, identity[1], identity[2]) if identity else IdColumns(),
            flags=flags,
            seq=seq,
            ticket_id=ticket_id,
            track_token=token,
        ),
    )
    tx.execute(
        "INSERT INTO kiosk_synced (ticket_id, lease_id, seq, hall_id, device_id, flags,"
        " issued_at, synced_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (ticket_id, lease["id"], seq, hall.id, device_id, json.dumps(flags), iso(issued_at),
         iso(now)),
    )  # fmt: skip
    if len(flags) > 1:
        audit(
            tx, now, actor.name, hall.id, "kiosk.sync_flagged",
            ticket_id=ticket_id, number=row["number"], flags=flags,
        )  # fmt: skip
    return {"id": ticket_id, "status": "accepted", "number": row["number"], "flags": flags}


def _identity(
    text: str | None, hall: Hall, cipher: PersonalDataCipher, flags: list[str]
) -> tuple[str, str, str, Any] | None:
    if not text:
        return None
    try:
        parsed = parse_id_number(text)
    except InvalidIdNumber:
        flags.append("invalid_id_number")
        return None
    masked = mask_id_number(parsed.value, hall.rules.id_mask_head, hall.rules.id_mask_tail)
    return cipher.match_hash(parsed.value), cipher.encrypt(parsed.value), masked, parsed.birth


def _class(
    requested: str | None,
    hall: Hall,
    identity: tuple[str, str, str, Any] | None,
    day: str,
    flags: list[str],
) -> TicketClass:
    if requested != TicketClass.GREEN.value:
        if requested not in (None, TicketClass.NORMAL.value):
            flags.append("class_downgraded")
        return TicketClass.NORMAL
    birth = identity[3] if identity else None
    age = hall.rules.green_age
    if (
        age is not None
        and birth is not None
        and age_on(birth, datetime.fromisoformat(day).date()) >= age
    ):
        return TicketClass.GREEN
    flags.append("class_downgraded")
    return TicketClass.NORMAL


def _holds_open_ticket(tx: WriteTx, service: Service, day: str, id_hash: str) -> bool:
    row = tx.one(  # written out so SQLite takes the partial one-open-per-holder index
        "SELECT 1 FROM tickets WHERE hall_id = ? AND service_id = ? AND business_day = ?"
        " AND id_hash = ? AND id_hash IS NOT NULL"
        " AND status IN ('waiting', 'not_arrived', 'called', 'serving', 'held')",
        (service.hall_id, service.id, day, id_hash),
    )
    return row is not None


def _over_quota(tx: WriteTx, service: Service, day: str) -> bool:
    quota = service.rules.daily_quota
    if quota is None:
        return False
    row = tx.one(
        "SELECT COUNT(*) AS n FROM tickets WHERE hall_id = ? AND service_id = ?"
        " AND business_day = ?",
        (service.hall_id, service.id, day),
    )
    return row is not None and int(row["n"]) >= quota


def flagged_tickets(tx: ReadTx, actor: Actor, hall_id: str, now: datetime) -> dict[str, Any]:
    """For the manager: offline tickets that broke a rule, and today's leases with their use."""
    actor.require_manager(hall_id)
    hall_row = tx.one("SELECT * FROM halls WHERE id = ?", (hall_id,))
    if hall_row is None:
        raise not_found("hall")
    day = hall_from_row(hall_row).schedule.business_day(now).isoformat()
    flagged = []
    for row in tx.all(
        "SELECT s.*, t.number, t.service_id FROM kiosk_synced s JOIN tickets t"
        " ON t.id = s.ticket_id WHERE s.hall_id = ? ORDER BY s.synced_at DESC LIMIT 500",
        (hall_id,),
    ):
        flags = json.loads(row["flags"])
        if len(flags) > 1:
            flagged.append(
                {
                    "ticket_id": row["ticket_id"],
                    "number": row["number"],
                    "service_id": row["service_id"],
                    "device_id": row["device_id"],
                    "flags": flags,
                    "issued_at": row["issued_at"],
                    "synced_at": row["synced_at"],
                }
            )
    leases = []
    for row in tx.all(
        "SELECT l.*, (SELECT COUNT(*) FROM kiosk_synced s WHERE s.lease_id = l.id) AS used"
        " FROM kiosk_leases l WHERE l.hall_id = ? AND l.business_day = ? ORDER BY l.created_at",
        (hall_id, day),
    ):
        view = lease_view(row)
        view["device_id"] = row["device_id"]
        view["used"] = row["used"]
        leases.append(view)
    return {"flagged": flagged, "leases": leases}
