"""SQLite behind one writer thread, with group commit, and a small pool of readers.

Every write is a function run in the writer thread inside its own savepoint. The writer
takes whatever writes are queued, runs each, commits once, and only then answers each
caller: an acknowledged write is on disk (``synchronous=FULL`` by default), and a burst
costs one fsync instead of one per write. A write that raises is rolled back alone.
Events appended by a write are handed to ``on_commit`` after the commit, in commit order.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from queue_server.domain.events import EventRecord
from queue_server.store.schema import migrate

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_GROUP = 128
SYNCHRONOUS = {"FULL", "NORMAL", "OFF"}


def connect(path: Path, synchronous: str, readonly: bool = False) -> sqlite_utils.Database:
    """Open a connection with the pragmas every connection needs."""
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    if readonly:
        conn.execute("PRAGMA query_only=ON")
    return sqlite_utils.Database(conn)


class WriteTx:
    """What a write function gets: the connection and an event list of its own."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.conn: sqlite3.Connection = db.conn
        self.events: list[EventRecord] = []

    def execute(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> sqlite3.Cursor:
        """Run one statement."""
        return self.conn.execute(sql, params)

    def one(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> dict[str, Any] | None:
        """The first row of a query as a dict, or None."""
        cur = self.conn.execute(sql, params)
        row = cur.fetchone()
        if row is None:
            return None
        return dict(zip([d[0] for d in cur.description], row, strict=True))

    def all(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        """Every row of a query as dicts."""
        cur = self.conn.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


ReadTx = WriteTx
"""Readers get the same helpers on a query-only connection."""

_Job = tuple[Callable[[WriteTx], Any], Future[Any]]


class Database:
    """The one place the server's SQLite file is opened."""

    def __init__(
        self,
        path: Path,
        synchronous: str = "FULL",
        on_commit: Callable[[list[EventRecord]], None] | None = None,
    ) -> None:
        if synchronous not in SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {sorted(SYNCHRONOUS)}")
        self.path = path
        self.synchronous = synchronous
        self.on_commit = on_commit
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._local = threading.local()
        self._readers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="db-read")
        setup = connect(path, synchronous)
        migrate(setup)
        setup.conn.close()
        self._writer = threading.Thread(target=self._write_loop, name="db-writer", daemon=True)
        self._writer.start()

    async def write(self, fn: Callable[[WriteTx], T]) -> T:
        """Run ``fn`` in the writer thread; return once its changes are committed."""
        future: Future[T] = Future()
        self._jobs.put((fn, future))
        return await asyncio.wrap_future(future)

    async def read(self, fn: Callable[[ReadTx], T]) -> T:
        """Run ``fn`` on a reader connection (a consistent snapshot)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, self._read, fn)

    def _read(self, fn: Callable[[ReadTx], T]) -> T:
        db: sqlite_utils.Database | None = getattr(self._local, "db", None)
        if db is None:
            db = connect(self.path, self.synchronous, readonly=True)
            self._local.db = db
        tx = ReadTx(db)
        tx.execute("BEGIN")
        try:
            return fn(tx)
        finally:
            tx.execute("COMMIT")

    def close(self) -> None:
        """Finish queued writes, then stop the writer and the readers."""
        self._jobs.put(None)
        self._writer.join(timeout=30)
        self._readers.shutdown(wait=True)

    def _write_loop(self) -> None:
        db = connect(self.path, self.synchronous)
        try:
            while True:
                first = self._jobs.get()
                if first is None:
                    return
                batch = [first]
                while len(batch) < MAX_GROUP:
                    try:
                        job = self._jobs.get_nowait()
                    except queue.Empty:
                        break
                    if job is None:
                        self._jobs.put(None)
                        break
                    batch.append(job)
                self._run_group(db, batch)
        finally:
            db.conn.close()

    def _run_group(self, db: sqlite_utils.Database, batch: list[_Job]) -> None:
        conn = db.conn
        outcomes: list[tuple[Future[Any], bool, Any, list[EventRecord]]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for fn, future in batch:
                if not future.set_running_or_notify_cancel():
                    continue
                tx = WriteTx(db)
                conn.execute("SAVEPOINT job")
                try:
                    result = fn(tx)
                except BaseException as exc:
                    conn.execute("ROLLBACK TO job")
                    conn.execute("RELEASE job")
                    outcomes.append((future, False, exc, []))
                    continue
                conn.execute("RELEASE job")
                outcomes.append((future, True, result, tx.events))
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            log.error("commit failed: %s", exc)
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            for _, future in batch:
                if future.running():
                    future.set_exception(exc)
            return
        events = [event for _, ok, _, job_events in outcomes if ok for event in job_events]
        if events and self.on_commit is not None:
            self.on_commit(events)
        for future, ok, value, _ in outcomes:
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
