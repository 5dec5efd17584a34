"""Writing a new ticket: the one place a ``tickets`` row and its ``ticket.issued`` event are made.

Every way a ticket comes into being (a kiosk or staff issuing it, an appointment checked in,
a ticket issued offline and synced later) goes through :func:`insert_ticket`, so a new column
or rule is added once. The caller has already applied its own rules (hours, quotas, anti-
hoarding); this module numbers, stores and announces.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from queue_server.domain.events import ticket_event_data
from queue_server.domain.tickets import Channel, Status, TicketClass, format_number
from queue_server.service.errors import conflict
from queue_server.service.estimates import Estimate
from queue_server.service.rows import Service, append_event, iso
from queue_server.service.tickets_view import ticket_view
from queue_server.store.db import WriteTx


@dataclass(frozen=True)
class IdColumns:
    """An ID number as stored: keyed hash (matching), ciphertext, mask."""

    match_hash: str | None = None
    encrypted: str | None = None
    masked: str | None = None


@dataclass(frozen=True)
class NewTicket:
    """What a new ticket is; ``seq``, ``ticket_id`` and ``track_token`` are chosen here unless
    given (a kiosk that issued offline brings its own)."""

    service: Service
    day: str
    status: Status
    ticket_class: TicketClass
    channel: Channel
    issued_at: datetime
    identity: IdColumns = field(default_factory=IdColumns)
    estimate: Estimate | None = None
    slot: tuple[str, str] | None = None
    flags: Sequence[str] = ()
    seq: int | None = None
    ticket_id: str | None = None
    track_token: str | None = None


def next_sequence(tx: WriteTx, hall_id: str, prefix: str, day: str) -> int:
    """Bump and return the counter of hall x prefix x business day (same transaction)."""
    row = tx.one(
        "INSERT INTO counters (hall_id, prefix, business_day, last_seq) VALUES (?, ?, ?, 1)"
        " ON CONFLICT (hall_id, prefix, business_day) DO UPDATE SET last_seq = last_seq + 1"
        " RETURNING last_seq",
        (hall_id, prefix, day),
    )
    assert row is not None
    return int(row["last_seq"])


def refuse_duplicate(
    tx: WriteTx, hall_id: str, service_id: str, day: str, id_hash: str | None
) -> None:
    """One open ticket per ID per service per day: 409 with the existing one (to reprint)."""
    if id_hash is None:
        return
    # Written out (and "id_hash IS NOT NULL") so SQLite takes the partial one-open-per-holder
    # index; with bound values it scans the whole day of the service instead.
    row = tx.one(
        "SELECT * FROM tickets WHERE hall_id = ? AND service_id = ? AND business_day = ?"
        " AND id_hash = ? AND id_hash IS NOT NULL"
        " AND status IN ('waiting', 'not_arrived', 'called', 'serving', 'held')",
        (hall_id, service_id, day, id_hash),
    )
    if row is not None:
        raise conflict(
            "duplicate_ticket",
            f"this ID already holds ticket {row['number']} for this service today",
            ticket=ticket_view(row),
        )


def insert_ticket(tx: WriteTx, new: NewTicket) -> dict[str, Any]:
    """Number, store and announce (``ticket.issued``) a ticket; returns the stored row."""
    service = new.service
    seq = (
        new.seq
        if new.seq is not None
        else next_sequence(tx, service.hall_id, service.prefix, new.day)
    )
    estimate = new.estimate
    row: dict[str, Any] = {
        "id": new.ticket_id or secrets.token_hex(8),
        "hall_id": service.hall_id,
        "service_id": service.id,
        "prefix": service.prefix,
        "seq": seq,
        "number": format_number(service.prefix, seq),
        "business_day": new.day,
        "status": new.status.value,
        "class": new.ticket_class.value,
        "channel": new.channel.value,
        "track_token": new.track_token or secrets.token_urlsafe(16),
        "issued_at": iso(new.issued_at),
        "arrived_at": iso(new.issued_at),
        "id_hash": new.identity.match_hash,
        "id_enc": new.identity.encrypted,
        "id_masked": new.identity.masked,
        "eta_minutes": estimate.minutes if estimate else None,
        "eta_low": estimate.low if estimate else None,
        "eta_high": estimate.high if estimate else None,
        "slot_start": new.slot[0] if new.slot else None,
        "slot_end": new.slot[1] if new.slot else None,
        "flags": json.dumps(list(new.flags)),
    }
    columns, marks = ", ".join(row), ", ".join("?" for _ in row)
    tx.execute(f"INSERT INTO tickets ({columns}) VALUES ({marks})", tuple(row.values()))  # noqa: S608
    append_event(
        tx,
        service.hall_id,
        "ticket.issued",
        ticket_event_data(row["id"], row["number"], service.id, None, None, row["issued_at"]),
    )
    return row
