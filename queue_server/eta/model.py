"""The predictor's inputs and outputs: a snapshot of the hall and what it predicts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from queue_server.domain.call_order import CallPolicy
from queue_server.domain.tickets import TicketClass


class WindowMode(StrEnum):
    """What a window does right now."""

    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


@dataclass(frozen=True)
class WaitingTicket:
    """A ticket not yet called: checked in (``waiting``) or remote (``not_arrived``).

    ``arrived_at`` is the time the call order counts from. A remote or booked ticket
    that has not checked in carries ``arrival_probability`` (the chance it shows up at
    all) and ``expected_check_in`` (when it is expected; ``None`` means "any moment").
    """

    ticket_id: str
    service_id: str
    ticket_class: TicketClass
    arrived_at: datetime
    issued_seq: int
    pinned_window_id: str | None = None
    slot_start: datetime | None = None
    slot_end: datetime | None = None
    not_arrived: bool = False
    arrival_probability: float = 1.0
    expected_check_in: datetime | None = None


@dataclass(frozen=True)
class WindowState:
    """One window: its work profile, state, current ticket and planned hours (UTC)."""

    window_id: str
    profile: Mapping[str, float]
    mode: WindowMode = WindowMode.OPEN
    current_service_id: str | None = None
    current_started_at: datetime | None = None
    current_arrived_at: datetime | None = None
    hours: Sequence[tuple[datetime, datetime]] = ()


@dataclass(frozen=True)
class HallState:
    """Everything the hall looks like at one instant.

    ``issuing_until`` is when walk-in arrivals stop (ticket cut-off); windows that are
    open at ``closes_at`` keep serving what is left (overtime service). An empty
    ``hours`` on an open window means "open all the time".
    """

    tickets: Sequence[WaitingTicket]
    windows: Sequence[WindowState]
    policy: CallPolicy = field(default_factory=CallPolicy)
    issuing_until: datetime | None = None
    closes_at: datetime | None = None


@dataclass(frozen=True)
class Estimate:
    """Minutes until a call, with a 90% interval."""

    minutes: float
    low: float
    high: float


@dataclass(frozen=True)
class Predictions:
    """Per waiting ticket and per service (a new arrival issued now)."""

    tickets: Mapping[str, Estimate]
    services: Mapping[str, Estimate]
    method: str
    model: Mapping[str, Estimate] = field(default_factory=dict)
    """The model's own ticket estimates before the ranges were recalibrated."""
    features: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    """Per ticket, what to pass to :meth:`HistoryBuilder.outcome` with ``model``."""
