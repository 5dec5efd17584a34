"""Serves the pages of the ``display`` package; the only import of ``display``.

Every ``display/pages/<name>.html`` is served at ``/<name>`` (``index.html`` at ``/``), and
``display/static`` at ``/static/``. Pages hold no rules: they render the API and its events.
"""

from __future__ import annotations

import re

from aiohttp import web

import display

PAGE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,40}$")


async def index(request: web.Request) -> web.FileResponse:
    """The hall overview page."""
    return web.FileResponse(display.PAGES_DIR / "index.html")


async def page(request: web.Request) -> web.FileResponse:
    """``/<name>`` → ``display/pages/<name>.html``, or 404."""
    name = request.match_info["name"]
    path = display.PAGES_DIR / f"{name}.html"
    if not PAGE_NAME.match(name) or not path.is_file():
        raise web.HTTPNotFound(reason="no such page")
    return web.FileResponse(path, headers={"Cache-Control": "no-cache"})


def mount_display(app: web.Application) -> None:
    """``/``, ``/<page>`` and ``/static/…``."""
    app.router.add_get("/", index)
    app.router.add_static("/static/", display.STATIC_DIR, append_version=False)
    app.router.add_get("/{name}", page)
