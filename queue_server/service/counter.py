"""The counter agent's window: a caller keypad acting for the clerk signed in at the window.

A counter agent holds a ``counter`` device token bound to one window (the same kind of
token as a counter tablet). It never acts on its own authority: every key becomes the
window action of the clerk signed in at that window (the member of staff who opened it,
kept until the window closes), checked by exactly the rules that clerk's console meets,
and audited with both the clerk and the device. With nobody signed in, keys are refused
with ``no_clerk``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from queue_server.security import token_digest
from queue_server.service import calling, windows
from queue_server.service.actors import Actor
from queue_server.service.errors import conflict, invalid, not_found
from queue_server.service.rows import Window, audit, load_hall, load_window
from queue_server.service.screens import require_bound, window_screen
from queue_server.store.db import ReadTx, WriteTx

ACTIONS = (
    "call_next",
    "call_number",
    "recall",
    "start",
    "finish",
    "no_show",
    "hold",
    "call_back",
    "pause",
    "resume",
)
TicketAction = Callable[[WriteTx, Actor, str, datetime], dict[str, Any]]
TICKET_ACTIONS: dict[str, TicketAction] = {
    "recall": calling.recall,
    "start": calling.start,
    "finish": calling.finish,
    "no_show": calling.no_show,
    "hold": calling.hold,
}


def _clerk_row(tx: ReadTx, window: Window) -> dict[str, Any] | None:
    if window.clerk is None:
        return None
    return tx.one("SELECT * FROM staff WHERE username = ? AND active = 1", (window.clerk,))


def _as_clerk(row: dict[str, Any]) -> Actor:
    """The signed-in clerk as an actor, with exactly their own rights."""
    return Actor(
        "staff",
        row["username"],
        row["role"],
        tuple(json.loads(row["halls"])),
        row["window_id"],
        tuple(json.loads(row.get("permissions") or "[]")),
    )


def _waiting(tx: ReadTx, window: Window) -> int:
    """Tickets this window may call: pinned to it, or of a service in its profile."""
    marks = ", ".join("?" for _ in window.profile) or "NULL"
    row = tx.one(
        "SELECT COUNT(*) AS n FROM tickets WHERE hall_id = ? AND status = 'waiting' AND"  # noqa: S608
        f" (pinned_window_id = ? OR (pinned_window_id IS NULL AND service_id IN ({marks})))",
        (window.hall_id, window.id, *window.profile),
    )
    return int(row["n"]) if row else 0


def counter_state(
    tx: ReadTx, device: Actor | None, token: str | None, window_id: str
) -> dict[str, Any]:
    """What the counter agent shows: the window screen's content, the waiting count, and
    who (if anyone) is signed in."""
    require_bound(tx, device, token, window_id)
    window = load_window(tx, window_id)
    screen = window_screen(tx, window_id)
    clerk = _clerk_row(tx, window)
    signed_in = None
    if clerk is not None:
        actor = _as_clerk(clerk)
        signed_in = {
            "staff_number": clerk["username"],
            "can_call_out_of_order": actor.can_manage(window.hall_id)
            or "call_out_of_order" in actor.permissions,
        }
    return {
        "hall": {"id": screen["hall"]["id"], "name": screen["hall"]["name"]},
        "window": screen["window"],
        "ticket": screen["ticket"],
        "led": screen["led"],
        "waiting": _waiting(tx, window),
        "held": _held_count(tx, window),
        "clerk": signed_in,
        "last_event_id": screen["last_event_id"],
    }


def _held_count(tx: ReadTx, window: Window) -> int:
    row = tx.one(
        "SELECT COUNT(*) AS n FROM tickets WHERE window_id = ? AND status = 'held'", (window.id,)
    )
    return int(row["n"]) if row else 0


def _ticket_by_digits(tx: WriteTx, window: Window, digits: str, now: datetime) -> str:
    """Today's waiting ticket of this window's services whose number ends in ``digits``."""
    if not digits.isdigit() or len(digits) > 6:
        raise invalid("invalid_request", "number is 1 to 6 digits")
    hall = load_hall(tx, window.hall_id)
    day = hall.schedule.business_day(now).isoformat()
    marks = ", ".join("?" for _ in window.profile) or "NULL"
    rows = tx.all(
        "SELECT id, number FROM tickets WHERE hall_id = ? AND business_day = ?"  # noqa: S608
        f" AND status = 'waiting' AND service_id IN ({marks})",
        (hall.id, day, *window.profile),
    )
    found = [r for r in rows if _digits(r["number"]) == int(digits)]
    if not found:
        raise not_found("waiting ticket with that number")
    if len(found) > 1:
        numbers = sorted(r["number"] for r in found)
        raise conflict(
            "ambiguous_number", "several waiting tickets have that number", numbers=numbers
        )
    return str(found[0]["id"])


def _digits(number: str) -> int:
    tail = "".join(ch for ch in number if ch.isdigit())
    return int(tail) if tail else -1


def _oldest_held(tx: WriteTx, window: Window) -> str:
    row = tx.one(
        "SELECT id FROM tickets WHERE window_id = ? AND status = 'held' ORDER BY n LIMIT 1",
        (window.id,),
    )
    if row is None:
        raise conflict("nothing_held", "no ticket is held at this window")
    return str(row["id"])


def _run(
    tx: WriteTx, clerk: Actor, window: Window, action: str, number: str | None, now: datetime
) -> dict[str, Any] | None:
    if action == "call_next":
        return calling.call_next(tx, clerk, window.id, now)
    if action == "call_number":
        ticket_id = _ticket_by_digits(tx, window, number or "", now)
        return calling.call_specific(tx, clerk, window.id, ticket_id, now)
    if action == "call_back":
        return calling.unhold(tx, clerk, window.id, _oldest_held(tx, window), now)
    if action in ("pause", "resume"):
        # The keypad has no confirmation step: pausing the last open window of a service
        # with waiting tickets is refused (``confirmation_required``) and left to the console.
        windows.change_state(tx, clerk, window.id, action, now)
        return None
    return TICKET_ACTIONS[action](tx, clerk, window.id, now)


def act(
    tx: WriteTx,
    device: Actor | None,
    token: str | None,
    window_id: str,
    action: str,
    number: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Carry out one keypad action for the clerk signed in at the window; audited."""
    require_bound(tx, device, token, window_id)
    if action not in ACTIONS:
        raise invalid("invalid_request", f"action is one of {list(ACTIONS)}")
    window = load_window(tx, window_id)
    row = _clerk_row(tx, window)
    if row is None:
        raise conflict("no_clerk", "nobody is signed in at this window")
    clerk = _as_clerk(row)
    ticket = _run(tx, clerk, window, action, number, now)
    assert device is not None  # require_bound refused anything else
    assert token is not None
    audit(
        tx,
        now,
        clerk.name,
        window.hall_id,
        f"counter.{action}",
        window_id=window.id,
        device_id=token_digest(token)[:16],
        device=device.name,
        ticket=ticket["number"] if ticket else None,
    )
    return {
        "action": action,
        "ticket": ticket,
        "counter": counter_state(tx, device, token, window_id),
    }
