"""Tickets: their vocabulary, numbers and the state machine every action goes through."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    """Where a ticket is in its visit."""

    WAITING = "waiting"
    NOT_ARRIVED = "not_arrived"
    CALLED = "called"
    SERVING = "serving"
    HELD = "held"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    LAPSED = "lapsed"


class TicketClass(StrEnum):
    """Priority class; anything but normal is granted by staff or the age rule."""

    NORMAL = "normal"
    GREEN = "green"
    APPOINTMENT = "appointment"


class Channel(StrEnum):
    """How the ticket was taken."""

    KIOSK = "kiosk"
    REMOTE = "remote"
    APPOINTMENT = "appointment"
    COUNTER = "counter"
    HELP_DESK = "help_desk"


class Action(StrEnum):
    """Everything that can happen to a ticket after it is issued."""

    CHECK_IN = "check_in"
    CALL = "call"
    RECALL = "recall"
    START = "start"
    FINISH = "finish"
    NO_SHOW = "no_show"
    REQUEUE = "requeue"
    TRANSFER = "transfer"
    HOLD = "hold"
    UNHOLD = "unhold"
    CANCEL = "cancel"
    LAPSE = "lapse"


OPEN_STATUSES = frozenset(
    {Status.WAITING, Status.NOT_ARRIVED, Status.CALLED, Status.SERVING, Status.HELD}
)
"""Statuses of a ticket that still counts as the holder's open ticket."""

ACTIVE_AT_WINDOW = frozenset({Status.CALLED, Status.SERVING})
"""Statuses in which a ticket occupies a window."""

TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (Status.NOT_ARRIVED, Action.CHECK_IN): Status.WAITING,
    (Status.NOT_ARRIVED, Action.LAPSE): Status.LAPSED,
    (Status.NOT_ARRIVED, Action.CANCEL): Status.CANCELLED,
    (Status.NOT_ARRIVED, Action.TRANSFER): Status.NOT_ARRIVED,
    (Status.WAITING, Action.CALL): Status.CALLED,
    (Status.WAITING, Action.CANCEL): Status.CANCELLED,
    (Status.WAITING, Action.TRANSFER): Status.WAITING,
    (Status.CALLED, Action.RECALL): Status.CALLED,
    (Status.CALLED, Action.START): Status.SERVING,
    (Status.CALLED, Action.FINISH): Status.DONE,
    (Status.CALLED, Action.NO_SHOW): Status.NO_SHOW,
    (Status.CALLED, Action.REQUEUE): Status.WAITING,
    (Status.CALLED, Action.TRANSFER): Status.WAITING,
    (Status.CALLED, Action.HOLD): Status.HELD,
    (Status.CALLED, Action.CANCEL): Status.CANCELLED,
    (Status.SERVING, Action.FINISH): Status.DONE,
    (Status.SERVING, Action.TRANSFER): Status.WAITING,
    (Status.SERVING, Action.HOLD): Status.HELD,
    (Status.HELD, Action.UNHOLD): Status.CALLED,
    (Status.HELD, Action.CANCEL): Status.CANCELLED,
}


class TransitionError(ValueError):
    """An action that the ticket's current status does not allow."""

    def __init__(self, status: Status, action: Action) -> None:
        super().__init__(f"a {status.value} ticket cannot be {action.value}")
        self.status = status
        self.action = action


def next_status(status: Status, action: Action) -> Status:
    """Return the status after ``action``, or raise :class:`TransitionError`."""
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise TransitionError(status, action) from None


def allowed_actions(status: Status) -> frozenset[Action]:
    """Every action a ticket in ``status`` accepts."""
    return frozenset(action for (src, action) in TRANSITIONS if src is status)


def format_number(prefix: str, seq: int) -> str:
    """Render a ticket number: at least three digits, growing past 999, never wrapping.

    >>> format_number("A", 23), format_number("A", 1000)
    ('A023', 'A1000')
    """
    if seq < 1:
        raise ValueError("ticket sequence numbers start at 1")
    return f"{prefix}{seq:03d}"


@dataclass(frozen=True)
class NoShowPolicy:
    """What a no-show does: cancel (过号无效) or re-queue behind ``requeue_behind`` tickets."""

    mode: str = "cancel"
    requeue_behind: int = 3

    def __post_init__(self) -> None:
        if self.mode not in {"cancel", "requeue"}:
            raise ValueError("no-show mode must be 'cancel' or 'requeue'")
        if self.requeue_behind < 0:
            raise ValueError("requeue_behind must be zero or more")
