"""Errors as JSON, bearer-token authentication and the public rate limit."""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from queue_server.api.http import actor_key, error_response, state
from queue_server.service import auth
from queue_server.service.errors import ServiceError

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

UNLIMITED_PATHS = ("/healthz",)


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure becomes ``{"error": {...}}`` with a fitting status; never a trace."""
    try:
        return await handler(request)
    except ServiceError as err:
        return error_response(err.status, err.code, err.message, **err.details)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}.get(
            exc.status, "http_error"
        )
        return error_response(exc.status, code, exc.reason)
    except ConnectionResetError:
        raise
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "something went wrong on our side")


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[7:].strip() or None
    if request.path.startswith("/api/v1/ws"):
        return request.query.get("token") or None
    return None


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Resolve a bearer token to an actor; a bad token is 401, no token is anonymous."""
    token = _bearer(request)
    if token is not None:
        st = state(request)
        now = st.clock()
        actor = await st.db.read(lambda tx: auth.resolve(tx, token, now))
        if actor is None:
            return error_response(401, "unauthorized", "the token is unknown, expired or revoked")
        request[actor_key] = actor
    return await handler(request)


class TokenBuckets:
    """Per-address token buckets for unauthenticated requests."""

    def __init__(self, rate_per_minute: int, burst: int) -> None:
        self.rate = rate_per_minute / 60.0
        self.burst = float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, address: str, now: float) -> float:
        """Spend one token; return 0 when allowed, else seconds until one is free."""
        level, last = self._buckets.get(address, (self.burst, now))
        level = min(self.burst, level + (now - last) * self.rate)
        if level >= 1.0:
            self._buckets[address] = (level - 1.0, now)
            if len(self._buckets) > 100_000:
                self._buckets.clear()
            return 0.0
        self._buckets[address] = (level, now)
        return (1.0 - level) / self.rate if self.rate > 0 else 60.0


buckets_key = web.AppKey("buckets", TokenBuckets)


def _is_stream(request: web.Request) -> bool:
    return request.path.endswith("/events") or request.path.startswith("/api/v1/ws")


@web.middleware
async def rate_limit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Limit anonymous requests per client address, except from trusted networks."""
    if (
        actor_key in request
        or request.path in UNLIMITED_PATHS
        or _is_stream(request)
        or not request.path.startswith("/api/")
    ):
        return await handler(request)
    address = request.remote or "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        ip = None
    if ip is not None and any(ip in net for net in state(request).settings.trusted):
        return await handler(request)
    wait = request.app[buckets_key].take(address, time.monotonic())
    if wait > 0:
        response = error_response(429, "rate_limited", "too many requests; slow down")
        response.headers["Retry-After"] = str(max(1, round(wait)))
        return response
    return await handler(request)
