"""Staff log-in, bearer tokens and device tokens."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from queue_server.domain.models import Role
from queue_server.security import hash_password, new_token, token_digest, verify_password
from queue_server.service.actors import Actor
from queue_server.service.errors import ServiceError, invalid, not_found
from queue_server.service.rows import audit, iso, load_hall, parse_iso
from queue_server.store.db import WriteTx

DEVICE_ROLES = {"kiosk", "screen", "counter"}


def login(
    tx: WriteTx, username: str, password: str, now: datetime, ttl: timedelta
) -> dict[str, Any]:
    """Check a password and hand out an expiring bearer token."""
    row = tx.one("SELECT * FROM staff WHERE username = ? AND active = 1", (username,))
    if row is None or not verify_password(password, row["password_hash"]):
        raise ServiceError("invalid_credentials", "wrong username or password", 401)
    token = new_token()
    tx.execute(
        "INSERT INTO tokens (digest, kind, subject, role, created_at, expires_at)"
        " VALUES (?, 'staff', ?, ?, ?, ?)",
        (token_digest(token), username, row["role"], iso(now), iso(now + ttl)),
    )
    return {
        "token": token,
        "role": row["role"],
        "expires_at": iso(now + ttl),
        "window_id": row["window_id"],
        "halls": json.loads(row["halls"]),
    }


def resolve(tx: WriteTx, token: str, now: datetime) -> Actor | None:
    """The actor behind a bearer token, or None when unknown, expired or revoked."""
    row = tx.one("SELECT * FROM tokens WHERE digest = ?", (token_digest(token),))
    if row is None or row["revoked_at"] is not None:
        return None
    if row["expires_at"] is not None and parse_iso(row["expires_at"]) <= now:
        return None
    if row["kind"] == "device":
        return Actor("device", row["subject"], row["role"], (row["hall_id"],))
    staff = tx.one("SELECT * FROM staff WHERE username = ? AND active = 1", (row["subject"],))
    if staff is None:
        return None
    return Actor(
        "staff",
        staff["username"],
        staff["role"],
        tuple(json.loads(staff["halls"])),
        staff["window_id"],
        tuple(json.loads(staff.get("permissions") or "[]")),
    )


def logout(tx: WriteTx, token: str, now: datetime) -> None:
    """Revoke the caller's own token."""
    tx.execute("UPDATE tokens SET revoked_at = ? WHERE digest = ?", (iso(now), token_digest(token)))


def create_staff(
    tx: WriteTx,
    username: str,
    password: str,
    role: str,
    halls: list[str],
    window_id: str | None = None,
    display_name: str = "",
) -> None:
    """Add (or replace) a member of staff; the password is stored as a scrypt hash only."""
    if role not in {r.value for r in Role}:
        raise invalid("invalid_request", f"unknown role {role!r}")
    if len(password) < 8:
        raise invalid("invalid_request", "passwords have at least 8 characters")
    tx.execute(
        "INSERT OR REPLACE INTO staff (username, password_hash, role, halls, window_id,"
        " display_name, active) VALUES (?, ?, ?, ?, ?, ?, 1)",
        (username, hash_password(password), role, json.dumps(halls), window_id, display_name),
    )


def register_device(
    tx: WriteTx, actor: Actor, hall_id: str, role: str, label: str, now: datetime
) -> dict[str, Any]:
    """A manager registers a kiosk, screen or counter agent; the token is shown once."""
    load_hall(tx, hall_id)
    actor.require_manager(hall_id)
    if role not in DEVICE_ROLES:
        raise invalid("invalid_request", f"device role is one of {sorted(DEVICE_ROLES)}")
    token = issue_device_token(tx, hall_id, role, label, now)
    audit(tx, now, actor.name, hall_id, "device.registered", role=role, label=label)
    return {"token": token, "device_id": token_digest(token)[:16], "role": role, "label": label}


def issue_device_token(tx: WriteTx, hall_id: str, role: str, label: str, now: datetime) -> str:
    """Create a device token (no expiry; revocable)."""
    token = new_token()
    tx.execute(
        "INSERT INTO tokens (digest, kind, subject, role, hall_id, label, created_at)"
        " VALUES (?, 'device', ?, ?, ?, ?, ?)",
        (token_digest(token), label or role, role, hall_id, label, iso(now)),
    )
    return token


def list_devices(tx: WriteTx, actor: Actor, hall_id: str) -> list[dict[str, Any]]:
    """The hall's device tokens (never the tokens themselves)."""
    actor.require_manager(hall_id)
    rows = tx.all(
        "SELECT * FROM tokens WHERE kind = 'device' AND hall_id = ? ORDER BY created_at", (hall_id,)
    )
    return [
        {
            "device_id": r["digest"][:16],
            "role": r["role"],
            "label": r["label"],
            "created_at": r["created_at"],
            "revoked": r["revoked_at"] is not None,
            "last_seen_at": r["last_seen_at"],
        }
        for r in rows
    ]


def revoke_device(
    tx: WriteTx, actor: Actor, hall_id: str, device_id: str, now: datetime
) -> dict[str, Any]:
    """Revoke a device token by its id (the first 16 hex digits of its digest)."""
    actor.require_manager(hall_id)
    row = tx.one(
        "SELECT digest FROM tokens WHERE kind = 'device' AND hall_id = ? AND digest LIKE ?",
        (hall_id, device_id + "%"),
    )
    if row is None or len(device_id) != 16:
        raise not_found("device")
    tx.execute("UPDATE tokens SET revoked_at = ? WHERE digest = ?", (iso(now), row["digest"]))
    audit(tx, now, actor.name, hall_id, "device.revoked", device_id=device_id)
    return {"device_id": device_id, "revoked": True}
