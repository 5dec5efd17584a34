"""Waiting estimates at issue time.

This is the closed-form fall-back: people ahead x typical service time / open windows
that serve the service, with a range from the spread of an Erlang-like sum. The
simulation predictor in ``queue_server.eta`` replaces it where history exists.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from queue_server.domain.tickets import TicketClass
from queue_server.service.rows import Hall, Service
from queue_server.store.db import WriteTx

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


def estimate_for_new(
    tx: WriteTx, hall: Hall, service: Service, ticket_class: TicketClass, now: datetime
) -> Estimate:
    """The estimate a ticket of ``service`` gets if issued now."""
    waiting = tx.one(
        "SELECT COUNT(*) AS n FROM tickets WHERE hall_id = ? AND service_id = ?"
        " AND status = 'waiting'",
        (hall.id, service.id),
    )
    ahead = int(waiting["n"]) if waiting else 0
    if ticket_class is TicketClass.GREEN:
        green = tx.one(
            "SELECT COUNT(*) AS n FROM tickets WHERE hall_id = ? AND service_id = ?"
            " AND status = 'waiting' AND class = 'green'",
            (hall.id, service.id),
        )
        ahead = int(green["n"]) if green else 0
    servers = 0
    for row in tx.all(
        "SELECT profile FROM windows WHERE hall_id = ? AND state = 'open'", (hall.id,)
    ):
        if json.loads(row["profile"]).get(service.id, 0) > 0:
            servers += 1
    return closed_form(ahead, servers, service.rules.typical_minutes)
