"""The append-only event log's vocabulary: what screens, audit and statistics read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TICKET_EVENTS = (
    "ticket.issued",
    "ticket.called",
    "ticket.recalled",
    "ticket.started",
    "ticket.finished",
    "ticket.no_show",
    "ticket.transferred",
    "ticket.held",
    "ticket.cancelled",
    "ticket.lapsed",
    "ticket.checked_in",
)
WINDOW_EVENTS = ("window.opened", "window.paused", "window.resumed", "window.closed")
OTHER_EVENTS = (
    "notice.posted",
    "device.health",
    "help.requested",
    "help.updated",
    "settings.changed",
)
APPOINTMENT_EVENTS = (
    "appointment.booked",
    "appointment.cancelled",
    "appointment.checked_in",
    "appointment.no_show",
    "appointment.rules_changed",
)
EVENT_TYPES = TICKET_EVENTS + WINDOW_EVENTS + OTHER_EVENTS + APPOINTMENT_EVENTS

TICKET_EVENT_KEYS = ("ticket_id", "number", "service_id", "window_id", "window_number", "at")
WINDOW_EVENT_KEYS = ("window_id", "window_number", "state", "at")


@dataclass(frozen=True)
class EventRecord:
    """One logged event. ``id`` is strictly increasing (per hall and overall)."""

    id: int
    hall_id: str
    type: str
    data: dict[str, Any]


def ticket_event_data(
    ticket_id: str,
    number: str,
    service_id: str,
    window_id: str | None,
    window_number: int | None,
    at: str,
) -> dict[str, Any]:
    """The public payload of a ``ticket.*`` event: no personal data, ever."""
    return {
        "ticket_id": ticket_id,
        "number": number,
        "service_id": service_id,
        "window_id": window_id,
        "window_number": window_number,
        "at": at,
    }


def window_event_data(window_id: str, window_number: int, state: str, at: str) -> dict[str, Any]:
    """The public payload of a ``window.*`` event."""
    return {"window_id": window_id, "window_number": window_number, "state": state, "at": at}
