"""Waiting estimates: the live simulation forecast where it exists, else the closed form.

The closed form is the fall-back: people ahead x typical service time / open windows
that serve the service, with a range from the spread of an Erlang-like sum. The live
estimator (:mod:`queue_server.service.live_eta`) runs the simulation predictor of
``queue_server.eta`` after every event; where its forecast is fresh and the service has
enough history, its numbers are shown instead, marked ``method: "simulation"``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from queue_server.domain.tickets import TicketClass
from queue_server.eta import Estimate as Forecasted
from queue_server.service.live_eta import CLOSED_FORM, SIMULATION, Forecast
from queue_server.service.rows import Hall, Service, servers_per_service
from queue_server.store.db import ReadTx, WriteTx

Z90 = 1.645


@dataclass(frozen=True)
class Estimate:
    """People ahead and the wait until called, in minutes (None: no window serves it now)."""

    people_ahead: int
    minutes: float | None
    low: float | None
    high: float | None
    method: str = CLOSED_FORM

    def as_json(self) -> dict[str, Any]:
        """The ``eta`` object of the API."""
        return {"minutes": _round(self.minutes), "low": _round(self.low), "high": _round(self.high)}

    def as_json_with_method(self) -> dict[str, Any]:
        """The ``eta`` object with ``method`` (``simulation`` or ``closed_form``)."""
        return {**self.as_json(), "method": self.method}

    def or_live(self, live: Forecasted | None) -> Estimate:
        """The simulation's numbers when it has them, keeping the people ahead."""
        if live is None:
            return self
        return Estimate(self.people_ahead, live.minutes, live.low, live.high, SIMULATION)


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
    return servers_per_service(
        tx.all(
            "SELECT state, profile FROM windows WHERE hall_id = ? AND state = 'open'", (hall_id,)
        )
    )


def estimate_for_new(
    tx: WriteTx,
    hall: Hall,
    service: Service,
    ticket_class: TicketClass,
    now: datetime,
    forecast: Forecast | None = None,
) -> Estimate:
    """The estimate a ticket of ``service`` gets if issued now.

    The live forecast's wait for a new arrival is for a normal ticket; a green-channel
    ticket overtakes, so it keeps the closed form over the green tickets ahead of it.
    """
    class_filter = " AND class = 'green'" if ticket_class is TicketClass.GREEN else ""
    waiting = tx.one(
        "SELECT COALESCE(SUM(n), 0) AS n FROM queue_counts"  # noqa: S608
        f" WHERE hall_id = ? AND service_id = ? AND status = 'waiting'{class_filter}",
        (hall.id, service.id),
    )
    ahead = int(waiting["n"]) if waiting else 0
    servers = open_servers(tx, hall.id).get(service.id, 0)
    estimate = closed_form(ahead, servers, service.rules.typical_minutes)
    if forecast is None or ticket_class is not TicketClass.NORMAL or servers == 0:
        return estimate
    return estimate.or_live(forecast.service(service.id, ahead))
