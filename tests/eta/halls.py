"""Small halls and histories shared by the predictor tests."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from queue_server.domain.tickets import TicketClass
from queue_server.eta import History, HistoryBuilder, WaitingTicket, WindowState

NOW = datetime(2026, 3, 4, 3, 0, tzinfo=UTC)


def exponential_history(mean_min: float = 6.0, services: tuple[str, ...] = ("A",)) -> History:
    """400 exponential service times per service, recorded the day before."""
    rnd = random.Random(7)
    builder = HistoryBuilder()
    for sid in services:
        for i in range(400):
            start = NOW - timedelta(days=1, minutes=i)
            seconds = rnd.expovariate(1.0 / (mean_min * 60.0))
            builder.finished(sid, "W0", start, start + timedelta(seconds=seconds))
    return builder.snapshot(NOW)


def queue(n: int, service: str = "A", start_seq: int = 1) -> list[WaitingTicket]:
    """``n`` normal tickets that arrived one minute apart, the oldest first."""
    return [
        WaitingTicket(
            f"t{start_seq + i}",
            service,
            TicketClass.NORMAL,
            NOW - timedelta(minutes=n - i),
            start_seq + i,
        )
        for i in range(n)
    ]


def busy_windows(s: int, service: str = "A") -> list[WindowState]:
    """``s`` windows serving ``service``, each one minute into a ticket."""
    return [
        WindowState(
            f"W{i}",
            {service: 1.0},
            current_service_id=service,
            current_started_at=NOW - timedelta(minutes=1),
        )
        for i in range(s)
    ]
