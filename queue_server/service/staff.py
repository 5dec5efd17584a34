"""Staff accounts a hall manager looks after: clerks, their windows, passwords, rights.

A manager adds clerks to the halls they manage, moves them between windows, resets their
passwords and grants or withdraws ``call_out_of_order``. Password hashes never leave the
server; every change is audited.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from queue_server.security import hash_password
from queue_server.service.actors import Actor
from queue_server.service.auth import create_staff
from queue_server.service.errors import conflict, forbidden, invalid, not_found
from queue_server.service.rows import audit, iso, load_hall
from queue_server.store.db import ReadTx, WriteTx

PERMISSIONS = ("call_out_of_order",)


def staff_view(row: dict[str, Any]) -> dict[str, Any]:
    """A member of staff without the password hash."""
    return {
        "username": row["username"],
        "display_name": row["display_name"],
        "role": row["role"],
        "halls": json.loads(row["halls"]),
        "window_id": row["window_id"],
        "active": bool(row["active"]),
        "permissions": json.loads(row.get("permissions") or "[]"),
    }


def list_staff(tx: ReadTx, actor: Actor, hall_id: str) -> list[dict[str, Any]]:
    """Everyone who works in the hall."""
    load_hall(tx, hall_id)
    actor.require_manager(hall_id)
    rows = tx.all("SELECT * FROM staff ORDER BY role, username")
    members = []
    for row in rows:
        halls = json.loads(row["halls"])
        if hall_id in halls or "*" in halls:
            members.append(staff_view(row))
    return members


def _window_in_hall(tx: WriteTx, hall_id: str, window_id: str | None) -> None:
    if window_id is None:
        return
    row = tx.one("SELECT hall_id FROM windows WHERE id = ?", (window_id,))
    if row is None or row["hall_id"] != hall_id:
        raise invalid("invalid_request", "the window is not in this hall")


def _clerk_of_hall(tx: WriteTx, actor: Actor, hall_id: str, username: str) -> dict[str, Any]:
    load_hall(tx, hall_id)
    actor.require_manager(hall_id)
    row = tx.one("SELECT * FROM staff WHERE username = ?", (username,))
    if row is None or hall_id not in json.loads(row["halls"]):
        raise not_found("staff member")
    if row["role"] != "clerk":
        raise forbidden("a manager looks after clerks only")
    return row


def add_clerk(
    tx: WriteTx, actor: Actor, hall_id: str, body: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """Add a clerk to the hall (optionally at a window)."""
    load_hall(tx, hall_id)
    actor.require_manager(hall_id)
    username = body["username"]
    if tx.one("SELECT 1 AS x FROM staff WHERE username = ?", (username,)) is not None:
        raise conflict("username_taken", f"{username!r} already exists")
    _window_in_hall(tx, hall_id, body.get("window_id"))
    create_staff(
        tx,
        username,
        body["password"],
        "clerk",
        [hall_id],
        body.get("window_id"),
        body.get("display_name", ""),
    )
    audit(
        tx,
        now,
        actor.name,
        hall_id,
        "staff.added",
        username=username,
        window_id=body.get("window_id"),
    )
    row = tx.one("SELECT * FROM staff WHERE username = ?", (username,))
    assert row is not None
    return staff_view(row)


def update_clerk(
    tx: WriteTx, actor: Actor, hall_id: str, username: str, body: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """Change a clerk's window, name, rights or whether the account is active."""
    row = _clerk_of_hall(tx, actor, hall_id, username)
    if "window_id" in body:
        _window_in_hall(tx, hall_id, body["window_id"])
        tx.execute(
            "UPDATE staff SET window_id = ? WHERE username = ?", (body["window_id"], username)
        )
    if "display_name" in body:
        tx.execute(
            "UPDATE staff SET display_name = ? WHERE username = ?", (body["display_name"], username)
        )
    if "permissions" in body:
        unknown = sorted(set(body["permissions"]) - set(PERMISSIONS))
        if unknown:
            raise invalid("invalid_request", "unknown permissions", permissions=unknown)
        tx.execute(
            "UPDATE staff SET permissions = ? WHERE username = ?",
            (json.dumps(sorted(set(body["permissions"]))), username),
        )
    if "active" in body:
        tx.execute(
            "UPDATE staff SET active = ? WHERE username = ?", (int(bool(body["active"])), username)
        )
        if not body["active"]:
            _revoke_tokens(tx, username, now)
    audit(
        tx,
        now,
        actor.name,
        hall_id,
        "staff.updated",
        username=username,
        changes=body,
        before=staff_view(row),
    )
    updated = tx.one("SELECT * FROM staff WHERE username = ?", (username,))
    assert updated is not None
    return staff_view(updated)


def reset_password(
    tx: WriteTx, actor: Actor, hall_id: str, username: str, password: str, now: datetime
) -> dict[str, Any]:
    """Set a new password; the clerk's open sessions end."""
    _clerk_of_hall(tx, actor, hall_id, username)
    if len(password) < 8:
        raise invalid("invalid_request", "passwords have at least 8 characters")
    tx.execute(
        "UPDATE staff SET password_hash = ? WHERE username = ?", (hash_password(password), username)
    )
    _revoke_tokens(tx, username, now)
    audit(tx, now, actor.name, hall_id, "staff.password_reset", username=username)
    return {"username": username, "password_reset": True}


def _revoke_tokens(tx: WriteTx, username: str, now: datetime) -> None:
    tx.execute(
        "UPDATE tokens SET revoked_at = ? WHERE kind = 'staff' AND subject = ?"
        " AND revoked_at IS NULL",
        (iso(now), username),
    )
