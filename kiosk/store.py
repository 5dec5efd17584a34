"""The kiosk's durable local store: number leases and tickets issued offline, encrypted.

One SQLite file in the agent's data dir (``synchronous=FULL``: a number is on disk before it
is printed, so a crash never hands the same number out twice). A queued ticket's content -
including the ID number the server needs to check anti-hoarding - is sealed with AES-GCM
under a key kept in its own file; a row is deleted as soon as the server has it. Nothing
else personal is ever written here. All calls block, so the agent runs them in
:class:`AsyncStore`'s one worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_P = ParamSpec("_P")
_T = TypeVar("_T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS leases (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL,
    prefix TEXT NOT NULL,
    business_day TEXT NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    next_seq INTEGER NOT NULL,
    valid_until TEXT NOT NULL,
    issuing_until TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    lease_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    sealed BLOB NOT NULL,
    UNIQUE (lease_id, seq)
);
CREATE TABLE IF NOT EXISTS cache (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


def load_key(path: Path) -> bytes:
    """The 256-bit AES key in ``path``, created (mode 0600) on first use."""
    if path.exists():
        key = path.read_bytes()
        if len(key) != 32:
            raise ValueError(f"{path} must hold 32 bytes")
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = AESGCM.generate_key(bit_length=256)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


class OfflineStore:
    """Blocking store; see the module docstring."""

    def __init__(self, path: Path, key: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._aead = AESGCM(key)
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    # -- sealing --------------------------------------------------------------------------

    def _seal(self, ticket_id: str, payload: dict[str, Any]) -> bytes:
        nonce = secrets.token_bytes(12)
        text = json.dumps(payload, ensure_ascii=False).encode()
        return nonce + self._aead.encrypt(nonce, text, ticket_id.encode())

    def _open(self, ticket_id: str, sealed: bytes) -> dict[str, Any]:
        data = self._aead.decrypt(sealed[:12], sealed[12:], ticket_id.encode())
        payload: dict[str, Any] = json.loads(data)
        return payload

    # -- leases ---------------------------------------------------------------------------

    def add_lease(self, lease: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO leases (id, service_id, prefix, business_day, first_seq,"
            " last_seq, next_seq, valid_until, issuing_until, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                lease["id"],
                lease["service_id"],
                lease["prefix"],
                lease["business_day"],
                lease["first_seq"],
                lease["last_seq"],
                lease["first_seq"],
                lease["valid_until"],
                lease["issuing_until"],
                lease["created_at"],
            ),
        )

    def leases(self) -> list[dict[str, Any]]:
        cur = self._db.execute("SELECT * FROM leases ORDER BY created_at, first_seq")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def remaining(self, service_id: str, now_iso: str) -> int:
        row = self._db.execute(
            "SELECT COALESCE(SUM(last_seq - next_seq + 1), 0) FROM leases WHERE service_id = ?"
            " AND valid_until > ? AND issuing_until > ?",
            (service_id, now_iso, now_iso),
        ).fetchone()
        return int(row[0])

    def drop_lease(self, lease_id: str) -> None:
        self._db.execute("DELETE FROM leases WHERE id = ?", (lease_id,))

    def lease_in_use(self, lease_id: str) -> bool:
        row = self._db.execute("SELECT 1 FROM outbox WHERE lease_id = ?", (lease_id,)).fetchone()
        return row is not None

    # -- offline tickets ------------------------------------------------------------------

    def take_number(
        self, service_id: str, now_iso: str, payload: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Use the next leased number of a service and queue the ticket, atomically.

        Returns the queued payload (with ``id``, ``lease_id``, ``seq``, ``prefix``) or None
        when no valid lease has a number left.
        """
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute(
                "SELECT id, prefix, next_seq FROM leases WHERE service_id = ? AND"
                " next_seq <= last_seq AND valid_until > ? AND issuing_until > ?"
                " ORDER BY created_at, first_seq LIMIT 1",
                (service_id, now_iso, now_iso),
            ).fetchone()
            if row is None:
                db.execute("ROLLBACK")
                return None
            lease_id, prefix, seq = row
            db.execute("UPDATE leases SET next_seq = next_seq + 1 WHERE id = ?", (lease_id,))
            item = dict(payload, lease_id=lease_id, seq=seq, service_id=service_id)
            db.execute(
                "INSERT INTO outbox (id, lease_id, seq, sealed) VALUES (?, ?, ?, ?)",
                (item["id"], lease_id, seq, self._seal(item["id"], item)),
            )
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        return dict(item, prefix=prefix)

    def pending(self, limit: int = 200) -> list[dict[str, Any]]:
        """Queued tickets, oldest first, decrypted for the sync."""
        rows = self._db.execute(
            "SELECT id, sealed FROM outbox ORDER BY n LIMIT ?", (limit,)
        ).fetchall()
        return [self._open(ticket_id, sealed) for ticket_id, sealed in rows]

    def pending_count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    def holds(self, service_id: str, id_number: str) -> dict[str, Any] | None:
        """A queued ticket of the same person for the same service (anti-hoarding)."""
        for item in self.pending(limit=10_000):
            if item.get("id_number") == id_number and item["service_id"] == service_id:
                return item
        return None

    def synced(self, ticket_ids: list[str]) -> None:
        """Forget tickets the server has (their personal data goes with them)."""
        self._db.executemany("DELETE FROM outbox WHERE id = ?", [(t,) for t in ticket_ids])

    # -- cache (no personal data) ---------------------------------------------------------

    def put(self, key: str, value: Any) -> None:
        self._db.execute(
            "INSERT INTO cache (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE"
            " SET value = excluded.value",
            (key, json.dumps(value, ensure_ascii=False)),
        )

    def get(self, key: str) -> Any:
        row = self._db.execute("SELECT value FROM cache WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])


class AsyncStore:
    """Runs an :class:`OfflineStore`'s calls in one worker thread, in order."""

    def __init__(self, store: OfflineStore) -> None:
        self.store = store
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-store")

    @classmethod
    def open(cls, data_dir: Path) -> AsyncStore:
        key = load_key(data_dir / "offline.key")
        return cls(OfflineStore(data_dir / "offline.sqlite", key))

    async def run(self, fn: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(fn, *args, **kwargs))

    async def close(self) -> None:
        await self.run(self.store.close)
        self._executor.shutdown(wait=True)
