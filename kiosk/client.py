"""The kiosk's HTTP client of the hall server: the only way the kiosk talks to it.

Every call is async (aiohttp), bounded by a timeout, and tells two failures apart:
:class:`Unreachable` (no answer: network down, server stopped, timeout, 5xx) and
:class:`ApiError` (the server answered with a refusal such as ``duplicate_ticket``).
Reads and heartbeats are retried with exponential backoff and jitter; issuing is not
retried (a POST that timed out may have been applied).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import aiohttp

_LOG = logging.getLogger(__name__)
T = TypeVar("T")


class Unreachable(Exception):
    """The hall server did not answer (or answered 5xx)."""


class ApiError(Exception):
    """The hall server refused: ``code`` and the error's details."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, Any]) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.details = details


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter: ``uniform(0, min(cap, base * 2**n))``."""

    base: float = 0.5
    cap: float = 30.0

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        ceiling = min(self.cap, self.base * (2 ** max(attempt, 0)))
        return (rng or random).uniform(ceiling / 2, ceiling)


@dataclass(frozen=True)
class ClockSample:
    """One heartbeat's clock measurement: server minus kiosk, in seconds, and its accuracy."""

    offset: float
    round_trip: float


def parse_time(text: str) -> datetime:
    """The server's UTC timestamps (``…T…Z``)."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def format_time(at: datetime) -> str:
    """The inverse of :func:`parse_time`."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class HallClient:
    """Calls of one kiosk (one device token, one hall)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        hall_id: str,
        *,
        timeout: float = 4.0,
        retries: int = 2,
        backoff: Backoff | None = None,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.hall_id = hall_id
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff or Backoff()
        self.wall_clock = wall_clock
        self._headers = {"Authorization": f"Bearer {token}"}
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout, connect=min(self.timeout, 2.0)),
                headers=self._headers,
            )
        return self._session

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        url = self.base_url + path
        try:
            async with self._client().request(method, url, json=body) as response:
                if response.status >= 500:
                    raise Unreachable(f"{method} {path}: {response.status}")
                if response.status == 204:
                    return None
                try:
                    data = await response.json(content_type=None)
                except ValueError:
                    data = None
                if response.status >= 400:
                    error = (data or {}).get("error", {}) if isinstance(data, dict) else {}
                    details = {k: v for k, v in error.items() if k not in ("code", "message")}
                    raise ApiError(
                        response.status,
                        str(error.get("code", "http_error")),
                        str(error.get("message", "")),
                        details,
                    )
                if not isinstance(data, dict):  # a captive portal or a proxy's page, not ours
                    raise Unreachable(f"{method} {path}: the answer is not the server's JSON")
                return data
        except (aiohttp.ClientError, TimeoutError, OSError) as err:
            raise Unreachable(f"{method} {path}: {type(err).__name__}") from err

    async def _retrying(self, make: Callable[[], Awaitable[T]]) -> T:
        attempt = 0
        while True:
            try:
                return await make()
            except Unreachable:
                if attempt >= self.retries:
                    raise
                await asyncio.sleep(self.backoff.delay(attempt))
                attempt += 1

    # -- reads ----------------------------------------------------------------------------

    async def catalogue(self) -> dict[str, Any]:
        """The hall and its services (``GET /api/v1/halls/{hall_id}/kiosk``)."""
        data: dict[str, Any] = await self._retrying(
            lambda: self._call("GET", f"/api/v1/halls/{self.hall_id}/kiosk")
        )
        return data

    async def halls(self) -> list[dict[str, Any]]:
        """Every hall with live waits, to point citizens elsewhere."""
        data = await self._retrying(lambda: self._call("GET", "/api/v1/halls"))
        halls: list[dict[str, Any]] = data["halls"]
        return halls

    async def track(self, ticket_id: str, token: str) -> dict[str, Any]:
        """A ticket's progress (for a reprint)."""
        data: dict[str, Any] = await self._retrying(
            lambda: self._call("GET", f"/api/v1/tickets/{ticket_id}?token={token}")
        )
        return data

    # -- writes ---------------------------------------------------------------------------

    async def issue(self, request: dict[str, Any]) -> dict[str, Any]:
        """Issue a ticket; not retried. Raises ApiError (refusals) or Unreachable."""
        data = await self._call("POST", f"/api/v1/halls/{self.hall_id}/tickets", request)
        ticket: dict[str, Any] = data["ticket"]
        return ticket

    async def check_in(self, code: str) -> dict[str, Any]:
        """Turn an appointment into a ticket (the server route comes with appointments)."""
        data: dict[str, Any] = await self._call(
            "POST", f"/api/v1/halls/{self.hall_id}/appointments/check-in", {"code": code}
        )
        return data

    async def help_request(self, kind: str = "help", message: str = "") -> dict[str, Any]:
        """Raise an alert on the help desk and the manager console."""
        body = {"kind": kind, "message": message} if message else {"kind": kind}
        data = await self._retrying(
            lambda: self._call("POST", f"/api/v1/halls/{self.hall_id}/help-requests", body)
        )
        request: dict[str, Any] = data["help_request"]
        return request

    async def heartbeat(self, parts: list[dict[str, Any]]) -> ClockSample:
        """Report the parts' health; measure the clock offset from the answer's ``at``."""
        sent_mono = time.monotonic()
        sent_wall = self.wall_clock()
        data = await self._call("POST", "/api/v1/devices/heartbeat", {"devices": parts})
        round_trip = time.monotonic() - sent_mono
        local_mid = sent_wall.timestamp() + round_trip / 2
        offset = parse_time(data["at"]).timestamp() - local_mid
        return ClockSample(offset, round_trip)

    async def lease(self, service_id: str, size: int) -> dict[str, Any]:
        """Reserve a block of numbers of a service for offline issuing."""
        data = await self._call(
            "POST",
            f"/api/v1/halls/{self.hall_id}/kiosk/leases",
            {"service_id": service_id, "size": size},
        )
        lease: dict[str, Any] = data["lease"]
        return lease

    async def release(self, lease_id: str) -> dict[str, Any]:
        """Give a lease back."""
        data = await self._call("POST", f"/api/v1/kiosk/leases/{lease_id}/release", {})
        lease: dict[str, Any] = data["lease"]
        return lease

    async def sync(self, tickets: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Hand over offline tickets; idempotent, so it is safe to retry."""
        data = await self._retrying(
            lambda: self._call(
                "POST", f"/api/v1/halls/{self.hall_id}/kiosk/sync", {"tickets": tickets}
            )
        )
        results: list[dict[str, Any]] = data["results"]
        return results
