"""The remote tickets' clock: which ones have come to their turn without having arrived, and
which are lapsed after the hall's grace (run by the remote worker after events and on a timer)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from queue_server.domain.tickets import Action
from queue_server.service import remote
from queue_server.service.rows import hall_from_row, iso, parse_iso, servers_per_service
from queue_server.store.db import ReadTx, WriteTx


def people_ahead(tx: ReadTx, ticket: dict[str, Any]) -> int:
    """Checked-in tickets of the same service that arrived before ``ticket``."""
    return remote.count(
        tx,
        "SELECT COUNT(*) AS n FROM tickets WHERE hall_id = ? AND service_id = ?"
        " AND status = 'waiting' AND (arrived_at < ? OR (arrived_at = ? AND n < ?))",
        (
            ticket["hall_id"],
            ticket["service_id"],
            ticket["arrived_at"],
            ticket["arrived_at"],
            ticket["n"],
        ),
    )


def _served(tx: ReadTx, hall_id: str) -> set[str]:
    windows = tx.all("SELECT state, profile FROM windows WHERE hall_id = ?", (hall_id,))
    return set(servers_per_service(windows))


def sweep(tx: WriteTx, now: datetime) -> list[dict[str, Any]]:
    """Mark remote tickets whose turn has come, lapse those past their grace, tidy up.

    Returns the lapsed tickets. Also deletes spent codes older than a day and the
    reminder targets (phones, push subscriptions) of tickets that are closed.
    """
    lapsed: list[dict[str, Any]] = []
    rows = tx.all(
        "SELECT t.*, r.due_at FROM tickets t JOIN remote_tickets r ON r.ticket_id = t.id"
        " WHERE t.status = 'not_arrived' ORDER BY t.hall_id, t.n"
    )
    served: dict[str, set[str]] = {}
    halls: dict[str, Any] = {}
    for ticket in rows:
        hall_id = ticket["hall_id"]
        if hall_id not in halls:
            hall_row = tx.one("SELECT * FROM halls WHERE id = ?", (hall_id,))
            assert hall_row is not None
            halls[hall_id] = hall_from_row(hall_row)
            served[hall_id] = _served(tx, hall_id)
        grace = timedelta(minutes=halls[hall_id].rules.remote_grace_minutes)
        due_at = ticket["due_at"]
        if due_at is None:
            if ticket["service_id"] not in served[hall_id] or people_ahead(tx, ticket) > 0:
                continue
            tx.execute(
                "UPDATE remote_tickets SET due_at = ? WHERE ticket_id = ?", (iso(now), ticket["id"])
            )
            due_at = iso(now)
        if now >= parse_iso(due_at) + grace:
            lapsed.append(
                remote.transition(tx, ticket, Action.LAPSE, "ticket.lapsed", now, ended_at=iso(now))
            )
    tx.execute("DELETE FROM remote_codes WHERE created_at < ?", (iso(now - timedelta(days=1)),))
    tx.execute(
        "DELETE FROM remote_subscriptions WHERE NOT EXISTS (SELECT 1 FROM tickets t"
        " WHERE t.id = remote_subscriptions.ticket_id"
        " AND t.status IN ('waiting', 'not_arrived', 'called', 'serving', 'held'))"
    )
    return lapsed
