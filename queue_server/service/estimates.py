"""Waiting estimates at issue time.

This is the closed-form fall-back: people ahead x typical service time / open windows
that serve the service, with a range from the spread of an Erlang-like sum. The
simulation predictor in ``queue_server.eta`` replaces it where history exists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from queue_server.domain.tickets import TicketClass
from queue_server.service.rows import Hall, Service, profile_of
from queue_server.store.db import ReadTx, WriteTx

Z90 = 1.645


@dataclass(frozen=True)
class Estimate:
    """People ahead and the wait until called, in minutes (None: no window serves it now)."""

    people_ahead: int
    minutes: float | None
    low: float | None
    high: float | None

    def as_json(self) -> dict[str, Any]:
        """The ``eta`` object of the API."""
        return {"minutes": _round(self.minutes), "low": _round(self.low), "high": _round(self.high)}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def closed_form(people_ahead: int, servers: int, mean_minutes: float) -> Estimate:
    """Expected wait and a 90% range when ``servers`` windows work through a queue.

    Calls arrive at rate ``servers / mean``; the (people_ahead + 1)-th call after now comes
    after a sum of that many exponential gaps (Erlang), whose mean and spread give the
    point and the range (normal approximation, floored at zero).
    """
    if servers <= 0:
        return Estimate(people_ahead, None, None, None)
    gap = mean_minutes / servers
    steps = people_ahead + 0.5
    mean = steps * gap
    spread = math.sqrt(steps) * gap
    return Estimate(people_ahead, mean, max(0.0, mean - Z90 * spread), mean + Z90 * spread)


def open_servers(tx: ReadTx, hall_id: str) -> dict[str, int]:
    """How many open windows serve each service (weight above zero)."""
    servers: dict[str, int] = {}
    for row in tx.all(
        "SELECT profile FROM windows WHERE hall_id = ? AND state = 'open'", (hall_id,)
    ):
        for service_id, weight in profile_of(row["profile"]).items():
            if weight > 0:
                servers[service_id] = servers.get(service_id, 0) + 1
    return servers


def estimate_for_new(
    tx: WriteTx, hall: Hall, service: Service, ticket_class: TicketClass, now: datetime
) -> Estimate:
    """The estimate a ticket of ``service`` gets if issued now."""
    class_filter = " AND class = 'green'" if ticket_class is TicketClass.GREEN else ""
    waiting = tx.one(
        "SELECT COUNT(*) AS n FROM tickets WHERE hall_id = ? AND service_id = ?"  # noqa: S608
        f" AND status = 'waiting'{class_filter}",
        (hall.id, service.id),
    )
    ahead = int(waiting["n"]) if waiting else 0
    servers = open_servers(tx, hall.id).get(service.id, 0)
    return closed_form(ahead, servers, service.rules.typical_minutes)
