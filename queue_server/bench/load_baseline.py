"""The bare baseline for ``onevisit bench load``: one insert per request, one writer.

``python -m queue_server.bench.load_baseline --port P --db FILE --synchronous FULL`` serves

* ``POST /insert`` - insert one row with sqlite-utils into a WAL SQLite file and answer
  ``201 {"id": rowid}`` once the row is committed (one commit per request, no batching);
* ``GET /healthz`` - ``{"status": "ok"}``.

Every insert runs in a single-thread executor, so there is exactly one writer, as in the
hall server. Nothing else happens per request: this is what an aiohttp process writing to
SQLite with the same durability setting can do on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils
from aiohttp import web

SYNCHRONOUS = ("FULL", "NORMAL")


class Writer:
    """One SQLite connection used from one thread only."""

    def __init__(self, path: Path, synchronous: str) -> None:
        self.path = path
        self.synchronous = synchronous
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="baseline-writer")
        self.db: sqlite_utils.Database | None = None

    def open(self) -> None:
        """Open the file (in the writer thread)."""
        conn = sqlite3.connect(str(self.path), check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self.synchronous}")
        db = sqlite_utils.Database(conn)
        db.table("rows").create({"id": int, "at": str, "payload": str}, pk="id", if_not_exists=True)
        self.db = db

    def insert(self, payload: str) -> int:
        """Insert and commit one row; return its rowid (in the writer thread)."""
        assert self.db is not None
        table = self.db.table("rows")
        table.insert({"at": datetime.now(UTC).isoformat(), "payload": payload})
        return int(table.last_rowid or 0)

    def close(self) -> None:
        """Close the connection (in the writer thread)."""
        if self.db is not None:
            self.db.conn.close()
            self.db = None


_writer_key = web.AppKey("writer", Writer)


async def insert(request: web.Request) -> web.Response:
    """Insert one row; 201 once it is committed."""
    writer = request.app[_writer_key]
    body = await request.read()
    loop = asyncio.get_running_loop()
    rowid = await loop.run_in_executor(
        writer.executor, writer.insert, body.decode("utf-8", "replace")[:1000]
    )
    return web.json_response({"id": rowid}, status=201)


async def healthz(request: web.Request) -> web.Response:
    """Liveness."""
    return web.json_response({"status": "ok"})


def create_app(path: Path, synchronous: str) -> web.Application:
    """The baseline application."""
    app = web.Application()
    writer = Writer(path, synchronous)
    app[_writer_key] = writer

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(writer.executor, writer.open)
        yield
        await loop.run_in_executor(writer.executor, writer.close)
        writer.executor.shutdown(wait=True)

    app.cleanup_ctx.append(lifecycle)
    app.router.add_post("/insert", insert)
    app.router.add_get("/healthz", healthz)
    return app


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the baseline on 127.0.0.1 until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m queue_server.bench.load_baseline")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", type=Path, required=True, help="SQLite file to write")
    parser.add_argument("--synchronous", choices=SYNCHRONOUS, default="FULL")
    args = parser.parse_args(None if argv is None else list(argv))
    app = create_app(args.db, args.synchronous)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
