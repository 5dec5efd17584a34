"""Builds the OpenAPI 3.0 document from the route table."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from queue_server.api import schemas

if TYPE_CHECKING:
    from queue_server.api import Route

SECURITY: dict[str, list[dict[str, list[str]]]] = {
    "public": [],
    "track_token": [],
    "staff": [{"bearer": []}],
    "device_or_staff": [{"bearer": []}],
    "any": [{"bearer": []}],
}


def _parameters(route: Route) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "maxLength": 64},
        }
        for name in re.findall(r"{(\w+)}", route.path)
    ]
    if route.auth == "track_token":
        params.append(
            {"name": "token", "in": "query", "required": True, "schema": {"type": "string"}}
        )
    if route.path.endswith("/events"):
        params.append(
            {
                "name": "last_event_id",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 0},
            }
        )
    return params


def _responses(route: Route) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for status, text in route.responses.items():
        entry: dict[str, Any] = {"description": text}
        if status == 200 and not route.path.endswith("/events") and route.tag != "events":
            entry["content"] = {"application/json": {"schema": {"type": "object"}}}
        if status in (201,) and route.body is schemas.ISSUE:
            entry["content"] = {
                "application/json": {
                    "schema": {"type": "object", "properties": {"ticket": schemas.TICKET}}
                }
            }
        if status >= 400:
            entry["content"] = {"application/json": {"schema": schemas.ERROR}}
        out[str(status)] = entry
    for status, text in (
        (400, "malformed request"),
        (401, "missing or bad token"),
        (403, "not allowed"),
        (404, "not found"),
        (422, "invalid input"),
        (429, "rate limited"),
    ):
        out.setdefault(
            str(status),
            {"description": text, "content": {"application/json": {"schema": schemas.ERROR}}},
        )
    return out


def build(routes: Iterable[Route]) -> dict[str, Any]:
    """OpenAPI 3.0.3 for every route."""
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        operation: dict[str, Any] = {
            "summary": route.summary,
            "operationId": f"{route.method.lower()}_{re.sub(r'[^a-z0-9]+', '_', route.path)}",
            "tags": [route.tag],
            "security": SECURITY.get(route.auth, [{"bearer": []}]),
            "parameters": _parameters(route),
            "responses": _responses(route),
        }
        if route.body is not None:
            operation["requestBody"] = {
                "required": False,
                "content": {"application/json": {"schema": route.body}},
            }
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.0.3",
        "info": {"title": "OneVisit hall server", "version": "1"},
        "paths": paths,
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
