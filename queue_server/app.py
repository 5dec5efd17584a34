"""The application factory: wires settings, storage, events and routes together."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from functools import partial

from aiohttp import web

from queue_server.api import setup_routes
from queue_server.api.http import State, state_key
from queue_server.api.live import eta_context
from queue_server.api.middlewares import (
    TokenBuckets,
    auth_middleware,
    buckets_key,
    errors_middleware,
    rate_limit_middleware,
)
from queue_server.api.remote_runtime import remote_context
from queue_server.config import Settings
from queue_server.display_mount import mount_display
from queue_server.events import EventBus
from queue_server.security import PersonalDataCipher
from queue_server.service.eventlog import prune_events
from queue_server.service.retention import purge_personal_data
from queue_server.service.setup import import_site
from queue_server.store import Database

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    """The real clock (tests and the simulator pass their own)."""
    return datetime.now(UTC)


def create_app(settings: Settings, clock: Callable[[], datetime] = utc_now) -> web.Application:
    """A ready-to-run hall server for ``settings``."""
    app = web.Application(
        middlewares=[errors_middleware, auth_middleware, rate_limit_middleware],
        client_max_size=settings.max_body_bytes,
    )
    app[buckets_key] = TokenBuckets(settings.public_rate_per_minute, settings.public_burst)
    app.cleanup_ctx.append(_storage(settings, clock))
    app.cleanup_ctx.append(_housekeeping)
    app.cleanup_ctx.append(remote_context)
    app.cleanup_ctx.append(eta_context)
    app.on_shutdown.append(_close_streams)
    setup_routes(app)
    mount_display(app)
    return app


def _storage(
    settings: Settings, clock: Callable[[], datetime]
) -> Callable[[web.Application], contextlib.AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        bus = EventBus(asyncio.get_running_loop())
        cipher = PersonalDataCipher.from_key_file(settings.resolved_key_file, create=True)
        db = await asyncio.to_thread(
            Database, settings.database_path, settings.synchronous, bus.publish_threadsafe
        )
        app[state_key] = State(settings, db, bus, cipher, clock)
        if settings.site_file is not None:
            site = json.loads(settings.site_file.read_text(encoding="utf-8"))
            added = await db.write(lambda tx: import_site(tx, site))
            log.info("site loaded: %s", added)
        try:
            yield
        finally:
            await asyncio.to_thread(db.close)

    return ctx


async def _housekeeping(app: web.Application) -> AsyncIterator[None]:
    """The daily purge of personal data and old events, run hourly."""
    st = app[state_key]

    async def loop() -> None:
        while True:
            now = st.clock()
            erased = await st.db.write(partial(purge_personal_data, now=now))
            pruned = await st.db.write(
                partial(prune_events, now=now, keep_days=st.settings.event_retention_days)
            )
            if erased or pruned:
                log.info("purged personal data of %d tickets, %d old events", erased, pruned)
            await asyncio.sleep(st.settings.purge_interval_seconds)

    task = asyncio.create_task(loop())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _close_streams(app: web.Application) -> None:
    """Let SSE and WebSocket handlers end on shutdown."""
    st = app.get(state_key)
    if st is None:
        return
    st.bus.drop_all()
