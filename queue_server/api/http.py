"""Small helpers every handler uses: app state, JSON bodies, validation, the caller."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import jsonschema
from aiohttp import web

from queue_server.config import Settings
from queue_server.events import EventBus
from queue_server.security import PersonalDataCipher
from queue_server.service.actors import Actor
from queue_server.service.errors import ServiceError, forbidden
from queue_server.store import Database
from queue_server.store.db import WriteTx


@dataclass
class State:
    """Everything the handlers share, held under one app key."""

    settings: Settings
    db: Database
    bus: EventBus
    cipher: PersonalDataCipher
    clock: Callable[[], datetime]


state_key = web.AppKey("state", State)
actor_key = web.RequestKey("actor", Actor)


def state(request: web.Request) -> State:
    """The shared state of the application serving ``request``."""
    return request.app[state_key]


def json_response(data: Any, status: int = 200) -> web.Response:
    """Compact UTF-8 JSON."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return web.Response(text=text, status=status, content_type="application/json")


def error_response(status: int, code: str, message: str, **details: Any) -> web.Response:
    """The one error shape: ``{"error": {"code", "message", ...}}``."""
    body: dict[str, Any] = {"code": code, "message": message}
    body.update(details)
    return json_response({"error": body}, status)


@lru_cache(maxsize=128)
def _validator(schema_text: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(schema_text))


async def read_json(request: web.Request, schema: dict[str, Any]) -> dict[str, Any]:
    """Parse and validate a JSON object body, or raise a 4xx ``ServiceError``."""
    limit = state(request).settings.max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise ServiceError("body_too_large", f"bodies are at most {limit} bytes", 413)
    raw = await request.content.read(limit + 1)
    if len(raw) > limit:
        raise ServiceError("body_too_large", f"bodies are at most {limit} bytes", 413)
    if not raw.strip():
        data: Any = {}
    else:
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise ServiceError("malformed_json", "the body is not valid JSON", 400) from None
    validator = _validator(json.dumps(schema, sort_keys=True))
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "body"
        raise ServiceError("invalid_request", f"{where}: {error.message}", 422)
    assert isinstance(data, dict)
    return data


def caller(request: web.Request) -> Actor | None:
    """The authenticated actor, if any."""
    return request.get(actor_key)


def require_actor(request: web.Request, *, staff: bool = False) -> Actor:
    """The authenticated actor, or 401; with ``staff``, 403 for devices."""
    actor = caller(request)
    if actor is None:
        raise ServiceError("unauthorized", "a bearer token is required", 401)
    if staff and not actor.is_staff:
        raise forbidden("staff only")
    return actor


StaffUseCase = Callable[[WriteTx, Actor, dict[str, Any], datetime], Any]


async def staff_write(request: web.Request, schema: dict[str, Any], use_case: StaffUseCase) -> Any:
    """The common shape of a staff action: authenticate, validate the body, run the use case
    in one write transaction at the server's current time, and return its result."""
    actor = require_actor(request, staff=True)
    body = await read_json(request, schema)
    st = state(request)
    now = st.clock()
    return await st.db.write(lambda tx: use_case(tx, actor, body, now))
