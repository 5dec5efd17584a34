"""Docs are part of the contract: every route and event type is described."""

from __future__ import annotations

from pathlib import Path

from queue_server.api import ROUTES
from queue_server.domain.events import EVENT_TYPES

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_every_route_is_in_the_api_doc() -> None:
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    missing = [f"{r.method} {r.path}" for r in ROUTES if f"`{r.method} {r.path}" not in text]
    assert not missing, f"describe these routes in docs/api.md: {missing}"
    assert "`GET /api/v1/openapi.json`" in text


def test_every_event_type_is_in_the_api_doc() -> None:
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    missing = [kind for kind in EVENT_TYPES if f"`{kind}`" not in text]
    assert not missing, f"describe these events in docs/api.md: {missing}"


def test_docs_exist() -> None:
    for name in ("api.md", "config.md", "deploy.md", "devices.md"):
        assert (DOCS / name).is_file(), name
