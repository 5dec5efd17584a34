"""Serves the pages of the ``display`` package; the only import of ``display``."""

from __future__ import annotations

from aiohttp import web

import display


async def index(request: web.Request) -> web.FileResponse:
    """The hall overview page."""
    return web.FileResponse(display.PAGES_DIR / "index.html")


def mount_display(app: web.Application) -> None:
    """``/`` and ``/static/…``."""
    app.router.add_get("/", index)
    app.router.add_static("/static/", display.STATIC_DIR, append_version=False)
