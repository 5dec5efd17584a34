"""Reading the event log back: replay after a disconnect, and its pruning."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from queue_server.domain.events import EventRecord
from queue_server.service.rows import iso
from queue_server.store.db import ReadTx, WriteTx

PRUNED_KEY = "events_pruned_before"


def hall_exists(tx: ReadTx, hall_id: str) -> bool:
    """Whether the hall is known."""
    return tx.one("SELECT 1 AS x FROM halls WHERE id = ?", (hall_id,)) is not None


def can_replay(tx: ReadTx, last_event_id: int) -> bool:
    """False when events after ``last_event_id`` may have been pruned, or the id is unknown."""
    pruned = tx.one("SELECT value FROM meta WHERE key = ?", (PRUNED_KEY,))
    if pruned is not None and last_event_id < int(pruned["value"]) - 1:
        return False
    newest = tx.one("SELECT COALESCE(MAX(id), 0) AS id FROM events")
    return newest is not None and last_event_id <= int(newest["id"])


def events_after(tx: ReadTx, hall_id: str, last_event_id: int, limit: int) -> list[EventRecord]:
    """The hall's events with ids above ``last_event_id``, oldest first."""
    rows = tx.all(
        "SELECT id, hall_id, type, data FROM events WHERE hall_id = ? AND id > ?"
        " ORDER BY id LIMIT ?",
        (hall_id, last_event_id, limit),
    )
    return [EventRecord(r["id"], r["hall_id"], r["type"], json.loads(r["data"])) for r in rows]


def newest_event_id(tx: ReadTx) -> int:
    """The highest event id so far (0 when none)."""
    row = tx.one("SELECT COALESCE(MAX(id), 0) AS id FROM events")
    return int(row["id"]) if row else 0


def prune_events(tx: WriteTx, now: datetime, keep_days: int) -> int:
    """Drop events older than ``keep_days``; later replays from before them get a reset."""
    cutoff = iso(now - timedelta(days=keep_days))
    row = tx.one("SELECT MAX(id) AS id FROM events WHERE at < ?", (cutoff,))
    if row is None or row["id"] is None:
        return 0
    first_kept = int(row["id"]) + 1
    cur = tx.execute("DELETE FROM events WHERE id < ?", (first_kept,))
    tx.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = ?",
        (PRUNED_KEY, str(first_kept), str(first_kept)),
    )
    return cur.rowcount
