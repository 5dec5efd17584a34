"""A pass-through HTTP proxy the test can cut: open event streams drop, new requests get 503."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import aiohttp
from aiohttp import web

FORWARDED = ("Authorization", "Content-Type", "Last-Event-ID", "Accept")


class CuttableProxy:
    """Forwards every request to ``upstream``; :meth:`cut` simulates a network outage."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.down = False
        self.session: aiohttp.ClientSession | None = None
        self.open_streams: dict[int, tuple[web.Request, aiohttp.ClientResponse]] = {}
        self.refused = 0
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self.handle)
        self.app.on_cleanup.append(self._close)

    async def _close(self, app: web.Application) -> None:
        if self.session is not None:
            await self.session.close()

    def cut(self) -> None:
        """From now on refuse requests, and drop every open stream."""
        self.down = True
        for request, upstream in list(self.open_streams.values()):
            upstream.close()
            if request.transport is not None:
                request.transport.close()
        self.open_streams.clear()

    def restore(self) -> None:
        self.down = False

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if self.down:
            self.refused += 1
            return web.Response(status=503, text="outage")
        if self.session is None:
            self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
        headers = {k: v for k, v in request.headers.items() if k in FORWARDED}
        body = await request.read()
        upstream = await self.session.request(
            request.method, self.upstream + request.path_qs, headers=headers, data=body or None
        )
        if upstream.content_type != "text/event-stream":
            async with upstream:
                payload = await upstream.read()
                out: dict[str, Any] = {"Content-Type": upstream.headers.get("Content-Type", "")}
                return web.Response(body=payload, status=upstream.status, headers=out)
        response = web.StreamResponse(
            status=upstream.status,
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"},
        )
        await response.prepare(request)
        key = id(request)
        self.open_streams[key] = (request, upstream)
        try:
            async for chunk in upstream.content.iter_any():
                if self.down:
                    break
                await response.write(chunk)
        except (aiohttp.ClientError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.open_streams.pop(key, None)
            upstream.close()
        with contextlib.suppress(ConnectionError):
            await response.write_eof()
        return response
