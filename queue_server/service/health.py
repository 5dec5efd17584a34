"""Device heartbeats: each kiosk, screen or counter agent reports its parts' health.

A heartbeat is ``[{"kind", "status", "detail"}]`` (e.g. ``{"kind": "printer", "status":
"fault", "detail": "paper_out"}``). The server keeps the last status of each part and the
time of the last heartbeat, and appends a ``device.health`` event whenever a part's status
or detail changes, so the manager console turns red without polling.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from queue_server.service.actors import Actor
from queue_server.service.console import minutes_since
from queue_server.service.errors import forbidden
from queue_server.service.rows import append_event, iso, load_hall
from queue_server.store.db import ReadTx, WriteTx

HEALTH_STATUSES = ("ok", "warning", "fault", "offline")


def heartbeat(
    tx: WriteTx, actor: Actor, device_id: str, parts: list[dict[str, Any]], now: datetime
) -> dict[str, Any]:
    """Store one heartbeat; emit ``device.health`` for every part whose health changed."""
    if actor.kind != "device":
        raise forbidden("devices only")
    hall_id = actor.halls[0]
    token = tx.one(
        "SELECT label, role FROM tokens WHERE kind = 'device' AND digest LIKE ?",
        (device_id + "%",),
    )
    label = (token["label"] if token else "") or actor.name
    tx.execute(
        "UPDATE tokens SET last_seen_at = ? WHERE kind = 'device' AND digest LIKE ?",
        (iso(now), device_id + "%"),
    )
    changed = 0
    for part in parts:
        kind, status, detail = part["kind"], part["status"], part.get("detail", "")
        before = tx.one(
            "SELECT status, detail FROM device_health WHERE device_id = ? AND kind = ?",
            (device_id, kind),
        )
        if before is not None and before["status"] == status and before["detail"] == detail:
            tx.execute(
                "UPDATE device_health SET seen_at = ? WHERE device_id = ? AND kind = ?",
                (iso(now), device_id, kind),
            )
            continue
        tx.execute(
            "INSERT INTO device_health (device_id, hall_id, kind, status, detail, changed_at,"
            " seen_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (device_id, kind) DO UPDATE"
            " SET status = excluded.status, detail = excluded.detail,"
            " changed_at = excluded.changed_at, seen_at = excluded.seen_at",
            (device_id, hall_id, kind, status, detail, iso(now), iso(now)),
        )
        append_event(
            tx,
            hall_id,
            "device.health",
            {
                "device_id": device_id,
                "label": label,
                "role": actor.role,
                "kind": kind,
                "status": status,
                "detail": detail,
                "at": iso(now),
            },
        )
        changed += 1
    return {"device_id": device_id, "changed": changed, "at": iso(now)}


def devices_with_health(tx: ReadTx, hall_id: str, now: datetime) -> list[dict[str, Any]]:
    """Every registered device of the hall, its last heartbeat and its parts' health.

    A device not heard from for the hall's ``device_offline_minutes`` shows as offline.
    """
    stale_minutes = load_hall(tx, hall_id).rules.device_offline_minutes
    parts: dict[str, list[dict[str, Any]]] = {}
    for row in tx.all(
        "SELECT * FROM device_health WHERE hall_id = ? ORDER BY device_id, kind", (hall_id,)
    ):
        parts.setdefault(row["device_id"], []).append(
            {
                "kind": row["kind"],
                "status": row["status"],
                "detail": row["detail"],
                "since": row["changed_at"],
            }
        )
    devices = []
    for row in tx.all(
        "SELECT * FROM tokens WHERE kind = 'device' AND hall_id = ? ORDER BY created_at",
        (hall_id,),
    ):
        device_id = row["digest"][:16]
        age = minutes_since(row["last_seen_at"], now)
        revoked = row["revoked_at"] is not None
        health = _overall(parts.get(device_id, []), age, stale_minutes, revoked)
        devices.append(
            {
                "device_id": device_id,
                "role": row["role"],
                "label": row["label"],
                "created_at": row["created_at"],
                "revoked": row["revoked_at"] is not None,
                "last_heartbeat_at": row["last_seen_at"],
                "heartbeat_age_minutes": age,
                "health": health,
                "parts": parts.get(device_id, []),
            }
        )
    return devices


def _overall(
    parts: list[dict[str, Any]], age: float | None, stale_minutes: float, revoked: bool
) -> str:
    if revoked:
        return "revoked"
    if age is None:
        return "unknown"
    if age > stale_minutes:
        return "offline"
    statuses = {p["status"] for p in parts}
    for status in ("fault", "offline", "warning"):
        if status in statuses:
            return status
    return "ok"
