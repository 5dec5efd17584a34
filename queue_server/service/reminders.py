"""Reminders for remote visitors: subscriptions to "your turn is near", and the reminders that
became due (each written once per ticket and threshold before anything is sent)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from queue_server.security import PersonalDataCipher
from queue_server.service import remote, remote_sweep
from queue_server.service.errors import conflict, invalid, not_found
from queue_server.service.rows import iso, load_hall
from queue_server.store.db import WriteTx


@dataclass(frozen=True)
class Reminder:
    """A reminder to send after commit (the row is already written: at most one per threshold)."""

    ticket_id: str
    threshold: int
    channel: str
    target: str
    masked: str
    params: dict[str, str]


def subscribe(
    tx: WriteTx,
    cipher: PersonalDataCipher,
    ticket_id: str,
    track_token: str,
    channel: str,
    target: str,
    now: datetime,
) -> dict[str, Any]:
    """Ask for "your turn is near" on a channel; the track token is enough (it changes
    nothing about the ticket). SMS is chosen when taking a remote ticket, not here."""
    ticket = tx.one("SELECT * FROM tickets WHERE id = ?", (ticket_id,))
    if ticket is None or not secrets.compare_digest(ticket["track_token"], track_token):
        raise not_found("ticket")
    if channel not in ("webpush", "wechat"):
        raise invalid("invalid_channel", "reminders here are webpush or wechat")
    if ticket["status"] not in remote.OPEN:
        raise conflict("ticket_closed", "this ticket is no longer waiting")
    remote.store_subscription(tx, cipher, ticket_id, channel, target, now)
    hall = load_hall(tx, ticket["hall_id"])
    return {"ticket_id": ticket_id, "channel": channel, "remind_ahead": hall.rules.remind_ahead}


def due_reminders(
    tx: WriteTx, cipher: PersonalDataCipher, hall_id: str, now: datetime
) -> list[Reminder]:
    """Reminders that became due in the hall: each ticket with a subscription whose people
    ahead dropped to the hall's ``remind_ahead`` gets one row per threshold, written here
    before anything is sent, so a ticket is never reminded twice for the same threshold.
    Closed tickets (done, cancelled, lapsed, …) are never considered."""
    hall = load_hall(tx, hall_id)
    threshold = hall.rules.remind_ahead
    rows = tx.all(
        "SELECT t.*, s.channel, s.target_enc FROM tickets t"
        " JOIN remote_subscriptions s ON s.ticket_id = t.id"
        " WHERE t.hall_id = ? AND t.status IN ('waiting', 'not_arrived')"
        " AND NOT EXISTS (SELECT 1 FROM remote_reminders m WHERE m.ticket_id = t.id"
        " AND m.threshold = ?)",
        (hall_id, threshold),
    )
    by_ticket: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_ticket.setdefault(row["id"], []).append(row)
    out: list[Reminder] = []
    for ticket_id, subs in by_ticket.items():
        ahead = remote_sweep.people_ahead(tx, subs[0])
        if ahead > threshold:
            continue
        tx.execute(
            "INSERT INTO remote_reminders (ticket_id, threshold, hall_id, created_at)"
            " VALUES (?, ?, ?, ?)",
            (ticket_id, threshold, hall_id, iso(now)),
        )
        params = {"number": subs[0]["number"], "hall": hall.name, "ahead": str(ahead)}
        for sub in subs:
            target = cipher.decrypt(sub["target_enc"])
            masked = remote.mask_phone(target) if sub["channel"] == "sms" else sub["channel"]
            out.append(Reminder(ticket_id, threshold, sub["channel"], target, masked, params))
    return out


def record_outcome(tx: WriteTx, ticket_id: str, threshold: int, outcome: str) -> None:
    """Note what became of a reminder (for the manager; never resent)."""
    tx.execute(
        "UPDATE remote_reminders SET outcome = ? WHERE ticket_id = ? AND threshold = ?",
        (outcome, ticket_id, threshold),
    )
