"""Window states, the end of the business day and notices."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from queue_server.domain.events import window_event_data
from queue_server.domain.models import WindowState
from queue_server.service.actors import Actor
from queue_server.service.errors import conflict, invalid
from queue_server.service.rows import (
    Window,
    append_event,
    audit,
    iso,
    load_hall,
    load_window,
    window_from_row,
)
from queue_server.store.db import WriteTx

MOVES: dict[str, tuple[set[str], WindowState, str]] = {
    "open": ({WindowState.CLOSED}, WindowState.OPEN, "window.opened"),
    "pause": ({WindowState.OPEN}, WindowState.PAUSED, "window.paused"),
    "resume": ({WindowState.PAUSED}, WindowState.OPEN, "window.resumed"),
    "close": ({WindowState.OPEN, WindowState.PAUSED}, WindowState.CLOSED, "window.closed"),
}


def window_view(window: Window) -> dict[str, Any]:
    """A window as staff see it."""
    return {
        "id": window.id,
        "hall_id": window.hall_id,
        "number": window.number,
        "state": window.state,
        "services": window.profile,
        "clerk": window.clerk,
        "current_ticket_id": window.current_ticket_id,
    }


def list_windows(tx: WriteTx, actor: Actor, hall_id: str) -> list[dict[str, Any]]:
    """Every window of a hall, by number."""
    load_hall(tx, hall_id)
    actor.require_hall_member(hall_id)
    rows = tx.all("SELECT * FROM windows WHERE hall_id = ? ORDER BY number", (hall_id,))
    return [window_view(window_from_row(r)) for r in rows]


def stranded_services(tx: WriteTx, window: Window) -> list[dict[str, Any]]:
    """Services that would have waiting tickets and no open window if ``window`` stopped."""
    others = [
        window_from_row(r)
        for r in tx.all(
            "SELECT * FROM windows WHERE hall_id = ? AND state = 'open' AND id != ?",
            (window.hall_id, window.id),
        )
    ]
    covered = {s for w in others for s, weight in w.profile.items() if weight > 0}
    stranded = []
    for service_id in window.profile:
        if service_id in covered:
            continue
        waiting = tx.all(
            "SELECT number FROM tickets WHERE hall_id = ? AND service_id = ? AND status = 'waiting'"
            " ORDER BY n",
            (window.hall_id, service_id),
        )
        if waiting:
            stranded.append({"service_id": service_id, "waiting": [w["number"] for w in waiting]})
    return stranded


def change_state(
    tx: WriteTx, actor: Actor, window_id: str, move: str, now: datetime, confirm: bool = False
) -> dict[str, Any]:
    """Open, pause, resume or close a window.

    Pausing or closing the last open window of a service that still has waiting tickets
    needs ``confirm``; without it the answer lists those tickets.
    """
    window = load_window(tx, window_id)
    actor.require_window(window.hall_id, window.id)
    sources, target, kind = MOVES[move]
    if window.state not in sources:
        raise conflict("invalid_transition", f"a {window.state} window cannot {move}")
    if window.state == WindowState.OPEN and not confirm:
        stranded = stranded_services(tx, window)
        if stranded:
            raise conflict(
                "confirmation_required",
                "waiting tickets would have no open window; repeat with confirm=true",
                stranded=stranded,
            )
    if target is WindowState.CLOSED and window.current_ticket_id is not None:
        raise conflict("window_busy", "finish or hold the current ticket first")
    clerk = actor.name if move == "open" and actor.is_staff else window.clerk
    if target is WindowState.CLOSED:
        clerk = None
    tx.execute(
        "UPDATE windows SET state = ?, clerk = ? WHERE id = ?", (target.value, clerk, window.id)
    )
    append_event(
        tx,
        window.hall_id,
        kind,
        window_event_data(window.id, window.number, target.value, iso(now)),
    )
    audit(tx, now, actor.name, window.hall_id, f"window.{move}", window_id=window.id)
    return window_view(load_window(tx, window.id))


def set_profile(
    tx: WriteTx, actor: Actor, window_id: str, profile: dict[str, float], now: datetime
) -> dict[str, Any]:
    """Replace a window's work profile (services and weights); applies to the next call."""
    window = load_window(tx, window_id)
    actor.require_manager(window.hall_id)
    known = {
        r["id"] for r in tx.all("SELECT id FROM services WHERE hall_id = ?", (window.hall_id,))
    }
    unknown = sorted(set(profile) - known)
    if unknown:
        raise invalid("invalid_request", "unknown services in profile", services=unknown)
    if any(weight < 0 for weight in profile.values()):
        raise invalid("invalid_request", "weights must be zero or more")
    tx.execute("UPDATE windows SET profile = ? WHERE id = ?", (json.dumps(profile), window.id))
    audit(
        tx, now, actor.name, window.hall_id, "window.profile", window_id=window.id, profile=profile
    )
    append_event(
        tx,
        window.hall_id,
        "settings.changed",
        {"what": "profile", "window_id": window.id, "at": iso(now)},
    )
    return window_view(load_window(tx, window.id))


def end_day(tx: WriteTx, actor: Actor, hall_id: str, now: datetime) -> dict[str, Any]:
    """A manager ends the day: every open ticket is cancelled, with a notice."""
    load_hall(tx, hall_id)
    actor.require_manager(hall_id)
    rows = tx.all(
        "SELECT * FROM tickets WHERE hall_id = ?"
        " AND status IN ('waiting', 'not_arrived', 'held', 'called', 'serving')",
        (hall_id,),
    )
    for row in rows:
        tx.execute(
            "UPDATE tickets SET status = 'cancelled', ended_at = ? WHERE id = ?",
            (iso(now), row["id"]),
        )
        append_event(
            tx,
            hall_id,
            "ticket.cancelled",
            {
                "ticket_id": row["id"],
                "number": row["number"],
                "service_id": row["service_id"],
                "window_id": row["window_id"],
                "window_number": None,
                "at": iso(now),
            },
        )
    tx.execute("UPDATE windows SET current_ticket_id = NULL WHERE hall_id = ?", (hall_id,))
    text = "今日服务已结束，未办理的号码已作废，敬请谅解。"
    post_notice_tx(tx, hall_id, text, "Service has ended for today.", now)
    audit(tx, now, actor.name, hall_id, "hall.end_day", cancelled=len(rows))
    return {"cancelled": len(rows)}


def post_notice_tx(tx: WriteTx, hall_id: str, text: str, text_en: str, now: datetime) -> None:
    """Append a ``notice.posted`` event for the signage."""
    append_event(tx, hall_id, "notice.posted", {"text": text, "text_en": text_en, "at": iso(now)})


def post_notice(
    tx: WriteTx, actor: Actor, hall_id: str, text: str, text_en: str, now: datetime
) -> dict[str, Any]:
    """A manager posts a notice to the hall's screens."""
    load_hall(tx, hall_id)
    actor.require_manager(hall_id)
    if not text.strip() or len(text) > 500:
        raise invalid("invalid_request", "a notice has 1 to 500 characters")
    post_notice_tx(tx, hall_id, text, text_en, now)
    audit(tx, now, actor.name, hall_id, "notice.posted", text=text)
    return {"posted": True}
