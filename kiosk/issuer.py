"""Issuing online when the hall server answers, from leased numbers when it does not.

The :class:`Issuer` owns the kiosk's view of the network: the clock offset measured by
heartbeats, the leases of ticket numbers, and the queue of tickets issued offline, which it
syncs as soon as the server answers again. Offline issuing needs a known clock offset of at
most ``max_offset`` seconds (so the synced issue times are true), a lease of the service
still valid for the business day and the issuing period, and no ticket of the same person for
the same service in the queue.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from kiosk.client import ApiError, ClockSample, HallClient, Unreachable, format_time
from kiosk.store import AsyncStore

_LOG = logging.getLogger(__name__)
MAX_OFFSET_S = 30.0
SYNC_BATCH = 100


class OfflineUnavailable(Exception):
    """The server is unreachable and this ticket cannot be issued offline (``reason``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def format_number(prefix: str, seq: int) -> str:
    """``A023``; past 999 the number grows (``A1000``)."""
    return f"{prefix}{seq:03d}"


class Issuer:
    """See the module docstring."""

    def __init__(
        self,
        client: HallClient,
        store: AsyncStore,
        *,
        lease_size: int = 20,
        max_offset: float = MAX_OFFSET_S,
        public_url: str | None = None,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = client
        self.store = store
        self.lease_size = lease_size
        self.max_offset = max_offset
        self.public_url = (public_url or client.base_url).rstrip("/")
        self.wall_clock = wall_clock
        self.online: bool | None = None
        self.offset: float | None = None
        self.offset_measured_at: float | None = None
        self.catalog: dict[str, Any] = {}
        self.rejected = 0
        self.synced_total = 0
        self._samples: deque[ClockSample] = deque(maxlen=8)

    # -- network state --------------------------------------------------------------------

    def mark(self, online: bool) -> None:
        if online != self.online:
            _LOG.info("hall server %s", "reachable" if online else "unreachable")
        self.online = online

    async def heartbeat(self, parts: list[dict[str, Any]]) -> bool:
        """Send the parts' health and measure the clock; True when the server answered."""
        try:
            sample = await self.client.heartbeat(parts)
        except Unreachable:
            self.mark(False)
            return False
        except ApiError as err:
            _LOG.warning("heartbeat refused: %s", err.code)
            self.mark(True)
            return True
        # Like NTP: the sample with the shortest round trip has the smallest error (the server
        # reads its clock before its own write, so a slow write skews a sample).
        self._samples.append(sample)
        self.offset = min(self._samples, key=lambda s: s.round_trip).offset
        self.offset_measured_at = time.monotonic()
        self.mark(True)
        return True

    @property
    def clock_error(self) -> float | None:
        """Bound of the offset's error in seconds (half the best round trip), or None."""
        if not self._samples:
            return None
        return min(s.round_trip for s in self._samples) / 2

    def server_now(self) -> datetime:
        """The kiosk's clock corrected by the measured offset (the kiosk's own if unknown)."""
        return self.wall_clock() + timedelta(seconds=self.offset or 0.0)

    def offline_blocked(self) -> str | None:
        """Why offline issuing is not allowed now, or None."""
        if self.offset is None:
            return "clock_unknown"
        if abs(self.offset) > self.max_offset:
            return "clock_offset"
        return None

    # -- catalogue and leases -------------------------------------------------------------

    async def refresh_catalog(self) -> dict[str, Any]:
        """Fetch the hall's services (cached on disk for an offline start)."""
        catalog = await self.client.catalogue()
        self.catalog = catalog
        await self.store.run(self.store.store.put, "catalog", catalog)
        self.mark(True)
        return catalog

    async def cached_catalog(self) -> dict[str, Any]:
        cached = await self.store.run(self.store.store.get, "catalog")
        if isinstance(cached, dict):
            self.catalog = cached
        return self.catalog

    async def maintain_leases(self) -> int:
        """Drop dead leases; lease a new block for each service running low. Returns new."""
        now_iso = format_time(self.server_now())
        taken = 0
        for lease in await self.store.run(self.store.store.leases):
            expired = lease["valid_until"] <= now_iso or lease["issuing_until"] <= now_iso
            used_up = lease["next_seq"] > lease["last_seq"]
            if (expired or used_up) and not await self.store.run(
                self.store.store.lease_in_use, lease["id"]
            ):
                await self.store.run(self.store.store.drop_lease, lease["id"])
                if expired and not used_up:
                    with contextlib.suppress(ApiError, Unreachable):
                        await self.client.release(lease["id"])
        for service in self.catalog.get("services", []):
            left = await self.store.run(self.store.store.remaining, service["id"], now_iso)
            if left > self.lease_size // 2:
                continue
            try:
                lease = await self.client.lease(service["id"], self.lease_size)
            except ApiError as err:
                _LOG.info("no lease for a service now: %s", err.code)
                continue
            await self.store.run(self.store.store.add_lease, lease)
            taken += 1
        return taken

    # -- issuing --------------------------------------------------------------------------

    def track_url(self, ticket_id: str, token: str) -> str:
        """The printed QR: the hall server's "my ticket" page, read-only with the track token."""
        return f"{self.public_url}/mobile?t={ticket_id}&token={token}"

    async def issue(self, request: dict[str, Any]) -> dict[str, Any]:
        """A ticket, online if possible; raises ApiError (refusal) or OfflineUnavailable."""
        if self.online is not False:
            try:
                ticket = await self.client.issue(request)
            except Unreachable:
                self.mark(False)
            else:
                self.mark(True)
                ticket["offline"] = False
                ticket["track_url"] = self.track_url(ticket["id"], ticket["track_token"])
                return ticket
        return await self.issue_offline(request)

    async def issue_offline(self, request: dict[str, Any]) -> dict[str, Any]:
        """Issue from a leased number and queue the ticket for the sync."""
        blocked = self.offline_blocked()
        if blocked is not None:
            raise OfflineUnavailable(blocked)
        service_id = request["service_id"]
        id_number = request.get("id_number")
        if id_number:
            held = await self.store.run(self.store.store.holds, service_id, id_number)
            if held is not None:
                existing = self._offline_view(held, held.get("prefix", ""))
                raise ApiError(409, "duplicate_ticket", "queued offline", {"ticket": existing})
        now = self.server_now()
        payload: dict[str, Any] = {
            "id": secrets.token_hex(8),
            "track_token": secrets.token_urlsafe(16),
            "issued_at": format_time(now),
        }
        if id_number:
            payload["id_number"] = id_number
        if request.get("class"):
            payload["class"] = request["class"]
        item = await self.store.run(
            self.store.store.take_number, service_id, format_time(now), payload
        )
        if item is None:
            raise OfflineUnavailable("no_numbers")
        return self._offline_view(item, item["prefix"])

    def _offline_view(self, item: dict[str, Any], prefix: str) -> dict[str, Any]:
        services: list[dict[str, Any]] = self.catalog.get("services", [])
        service: dict[str, Any] = next((s for s in services if s["id"] == item["service_id"]), {})
        prefix = prefix or service.get("prefix", "")
        return {
            "id": item["id"],
            "number": format_number(prefix, item["seq"]),
            "service_id": item["service_id"],
            "status": "waiting",
            "class": item.get("class", "normal"),
            "issued_at": item["issued_at"],
            "track_token": item["track_token"],
            "track_url": self.track_url(item["id"], item["track_token"]),
            "people_ahead": None,
            "eta": {"minutes": None, "low": None, "high": None},
            "offline": True,
        }

    async def progress(self, ticket: dict[str, Any]) -> dict[str, Any]:
        """A ticket to reprint, with its current place in the queue when the server answers."""
        out = dict(ticket)
        out["track_url"] = self.track_url(ticket["id"], ticket["track_token"])
        out.setdefault("people_ahead", None)
        out.setdefault("eta", {"minutes": None, "low": None, "high": None})
        try:
            now = await self.client.track(ticket["id"], ticket["track_token"])
        except (Unreachable, ApiError):
            return out
        out["people_ahead"] = now.get("people_ahead")
        out["eta"] = now.get("eta", out["eta"])
        out["status"] = now.get("status", out.get("status"))
        return out

    # -- sync -----------------------------------------------------------------------------

    async def pending(self) -> int:
        return await self.store.run(self.store.store.pending_count)

    async def sync(self) -> int:
        """Send queued tickets, oldest first, until the queue is empty; returns how many."""
        sent = 0
        while True:
            batch = await self.store.run(self.store.store.pending, SYNC_BATCH)
            if not batch:
                return sent
            wire = [{k: v for k, v in item.items() if k not in ("prefix",)} for item in batch]
            results = await self.client.sync(wire)
            done = [r["id"] for r in results if r["status"] in ("accepted", "already")]
            rejected = [r["id"] for r in results if r["status"] == "rejected"]
            if rejected:
                # Only a number that is not this kiosk's can be rejected: keeping it would block
                # the queue forever. Counted and reported in heartbeats.
                self.rejected += len(rejected)
                _LOG.error("server rejected %d offline tickets", len(rejected))
            await self.store.run(self.store.store.synced, done + rejected)
            sent += len(done)
            self.synced_total += len(done)
