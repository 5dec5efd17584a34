"""Window actions on tickets: call next, recall, start, finish, no-show, transfer, hold."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from queue_server.domain.call_order import CallDecision, Candidate, choose_next, rank
from queue_server.domain.events import ticket_event_data
from queue_server.domain.models import WindowState
from queue_server.domain.tickets import Action, Status, TicketClass, TransitionError, next_status
from queue_server.service.actors import Actor
from queue_server.service.errors import ServiceError, conflict, invalid, not_found
from queue_server.service.rows import (
    Hall,
    Window,
    append_event,
    iso,
    load_hall,
    load_service,
    load_window,
    parse_iso,
)
from queue_server.service.tickets_view import ticket_view
from queue_server.store.db import WriteTx


def _window_for(tx: WriteTx, actor: Actor, window_id: str) -> tuple[Hall, Window]:
    window = load_window(tx, window_id)
    actor.require_window(window.hall_id, window.id)
    return load_hall(tx, window.hall_id), window


def _ticket(tx: WriteTx, ticket_id: str) -> dict[str, Any]:
    row = tx.one("SELECT * FROM tickets WHERE id = ?", (ticket_id,))
    if row is None:
        raise not_found("ticket")
    return row


def _current(tx: WriteTx, window: Window) -> dict[str, Any]:
    if window.current_ticket_id is None:
        raise conflict("no_current_ticket", "this window has no ticket in progress")
    return _ticket(tx, window.current_ticket_id)


def _advance(row: dict[str, Any], action: Action) -> Status:
    try:
        return next_status(Status(row["status"]), action)
    except TransitionError as err:
        raise conflict("invalid_transition", str(err)) from None


def _emit(
    tx: WriteTx, kind: str, row: dict[str, Any], window: Window | None, now: datetime
) -> None:
    append_event(
        tx,
        row["hall_id"],
        kind,
        ticket_event_data(
            row["id"],
            row["number"],
            row["service_id"],
            window.id if window else None,
            window.number if window else None,
            iso(now),
        ),
    )


def _update(tx: WriteTx, ticket_id: str, **changes: Any) -> dict[str, Any]:
    sets = ", ".join(f"{column} = ?" for column in changes)
    tx.execute(f"UPDATE tickets SET {sets} WHERE id = ?", (*changes.values(), ticket_id))  # noqa: S608
    return _ticket(tx, ticket_id)


def _set_current(tx: WriteTx, window: Window, ticket_id: str | None) -> None:
    tx.execute("UPDATE windows SET current_ticket_id = ? WHERE id = ?", (ticket_id, window.id))


CANDIDATE_COLUMNS = "id, n, service_id, class, arrived_at, pinned_window_id, slot_start, slot_end"


def _candidate(r: dict[str, Any]) -> Candidate:
    return Candidate(
        ticket_id=r["id"],
        service_id=r["service_id"],
        ticket_class=TicketClass(r["class"]),
        arrived_at=parse_iso(r["arrived_at"]),
        issued_seq=r["n"],
        pinned_window_id=r["pinned_window_id"],
        slot_start=parse_iso(r["slot_start"]) if r["slot_start"] else None,
        slot_end=parse_iso(r["slot_end"]) if r["slot_end"] else None,
    )


def _window_filter(window: Window) -> tuple[str, tuple[Any, ...]]:
    marks = ", ".join("?" for _ in window.profile)
    sql = f"(pinned_window_id = ? OR (pinned_window_id IS NULL AND service_id IN ({marks})))"
    return sql, (window.id, *window.profile)


def candidates(tx: WriteTx, hall_id: str, window: Window | None = None) -> list[Candidate]:
    """Checked-in waiting tickets as the call order sees them: the hall's, or those a window
    may call (pinned to it, or unpinned of its profile's services)."""
    sql = f"SELECT {CANDIDATE_COLUMNS} FROM tickets WHERE hall_id = ? AND status = 'waiting'"  # noqa: S608
    params: tuple[Any, ...] = (hall_id,)
    if window is not None:
        where, extra = _window_filter(window)
        sql += f" AND {where}"
        params = (hall_id, *extra)
    return [_candidate(r) for r in tx.all(sql, params)]


HEAD_CLASSES = tuple(c.value for c in TicketClass if c is not TicketClass.APPOINTMENT)


def call_candidates(tx: WriteTx, hall_id: str, window: Window) -> list[Candidate]:
    """The few tickets that can win the window's next call.

    Within one service and class the score only grows with the wait, so the oldest unpinned
    ticket of each (service, class) beats the others; tickets pinned to the window and
    appointment tickets (whose slot decides) are all kept. ``choose_next`` over this set picks
    exactly what it picks over every waiting ticket, and each head is one index seek
    (``tickets_heads``), so a deep queue costs no more than a short one.
    """
    base = f"SELECT {CANDIDATE_COLUMNS} FROM tickets WHERE hall_id = ? AND status = 'waiting'"  # noqa: S608
    rows: list[dict[str, Any]] = []
    for service_id in window.profile:
        for ticket_class in HEAD_CLASSES:
            head = tx.one(
                f"{base} AND service_id = ? AND class = ? AND pinned_window_id IS NULL"
                " ORDER BY arrived_at, n LIMIT 1",
                (hall_id, service_id, ticket_class),
            )
            if head is not None:
                rows.append(head)
        rows += tx.all(
            f"{base} AND service_id = ? AND class = 'appointment' AND pinned_window_id IS NULL",
            (hall_id, service_id),
        )
    rows += tx.all(
        f"SELECT {CANDIDATE_COLUMNS} FROM tickets"  # noqa: S608
        " WHERE pinned_window_id = ? AND status = 'waiting' AND hall_id = ?",
        (window.id, hall_id),
    )
    return [_candidate(r) for r in rows]


def _finish_current(tx: WriteTx, window: Window, now: datetime) -> None:
    if window.current_ticket_id is None:
        return
    row = _ticket(tx, window.current_ticket_id)
    if row["status"] in (Status.CALLED, Status.SERVING):
        _update(tx, row["id"], status=Status.DONE.value, ended_at=iso(now))
        _emit(tx, "ticket.finished", row, window, now)


def call_next(tx: WriteTx, actor: Actor, window_id: str, now: datetime) -> dict[str, Any] | None:
    """Finish the window's current ticket, then call the next one (None: nothing waits)."""
    hall, window = _window_for(tx, actor, window_id)
    if window.state != WindowState.OPEN:
        raise conflict("window_not_open", f"window {window.number} is {window.state}")
    _finish_current(tx, window, now)
    decision = choose_next(
        window.id, window.profile, call_candidates(tx, hall.id, window), now, hall.rules.policy
    )
    if decision is None:
        _set_current(tx, window, None)
        return None
    return _call(tx, window, decision, now)


def call_specific(
    tx: WriteTx, actor: Actor, window_id: str, ticket_id: str, now: datetime
) -> dict[str, Any]:
    """Call one ticket out of order: a manager, or staff a manager allowed; always audited."""
    hall, window = _window_for(tx, actor, window_id)
    actor.require_out_of_order(hall.id, window.id)
    row = _ticket(tx, ticket_id)
    if row["hall_id"] != hall.id or row["status"] != Status.WAITING:
        raise conflict("not_waiting", "only a waiting ticket of this hall can be called")
    _finish_current(tx, window, now)
    return _call(tx, window, CallDecision(ticket_id, "manual", None), now)


def _call(tx: WriteTx, window: Window, decision: CallDecision, now: datetime) -> dict[str, Any]:
    row = _ticket(tx, decision.ticket_id)
    waited = (now - parse_iso(row["issued_at"])).total_seconds() / 60.0
    row = _update(
        tx,
        row["id"],
        status=Status.CALLED.value,
        window_id=window.id,
        pinned_window_id=None,
        called_at=iso(now),
        call_rule=decision.rule,
        call_score=decision.score,
        recall_count=0,
        actual_wait_min=row["actual_wait_min"] if row["actual_wait_min"] is not None else waited,
    )
    _set_current(tx, window, row["id"])
    _emit(tx, "ticket.called", row, window, now)
    return ticket_view(row, staff=True)


def recall(tx: WriteTx, actor: Actor, window_id: str, now: datetime) -> dict[str, Any]:
    """Call the current ticket again, up to the hall's recall limit."""
    hall, window = _window_for(tx, actor, window_id)
    row = _current(tx, window)
    _advance(row, Action.RECALL)
    limit = hall.rules.policy.recall_limit
    if row["recall_count"] >= limit:
        raise conflict("recall_limit_reached", f"already recalled {limit} times", limit=limit)
    row = _update(tx, row["id"], recall_count=row["recall_count"] + 1)
    _emit(tx, "ticket.recalled", row, window, now)
    return ticket_view(row, staff=True)


def start(tx: WriteTx, actor: Actor, window_id: str, now: datetime) -> dict[str, Any]:
    """The citizen arrived at the counter: service starts."""
    _, window = _window_for(tx, actor, window_id)
    row = _current(tx, window)
    status = _advance(row, Action.START)
    row = _update(tx, row["id"], status=status.value, started_at=iso(now))
    _emit(tx, "ticket.started", row, window, now)
    return ticket_view(row, staff=True)


def finish(tx: WriteTx, actor: Actor, window_id: str, now: datetime) -> dict[str, Any]:
    """Service done (from called or serving)."""
    _, window = _window_for(tx, actor, window_id)
    row = _current(tx, window)
    status = _advance(row, Action.FINISH)
    row = _update(tx, row["id"], status=status.value, ended_at=iso(now))
    _set_current(tx, window, None)
    _emit(tx, "ticket.finished", row, window, now)
    return ticket_view(row, staff=True)


def no_show(tx: WriteTx, actor: Actor, window_id: str, now: datetime) -> dict[str, Any]:
    """The called citizen did not come: cancel (过号无效) or re-queue, per hall policy."""
    hall, window = _window_for(tx, actor, window_id)
    row = _current(tx, window)
    _advance(row, Action.NO_SHOW)
    policy = hall.rules.policy.no_show
    if policy.mode == "requeue":
        arrived = _requeue_arrival(tx, row, policy.requeue_behind, now)
        row = _update(
            tx, row["id"], status=Status.WAITING.value, window_id=None, arrived_at=iso(arrived)
        )
    else:
        row = _update(tx, row["id"], status=Status.NO_SHOW.value, ended_at=iso(now))
    _set_current(tx, window, None)
    _emit(tx, "ticket.no_show", row, window, now)
    return ticket_view(row, staff=True)


def _requeue_arrival(tx: WriteTx, row: dict[str, Any], behind: int, now: datetime) -> datetime:
    """An arrival time that sorts the ticket just behind the next ``behind`` waiting tickets."""
    ahead = tx.all(
        "SELECT arrived_at FROM tickets WHERE hall_id = ? AND service_id = ? AND status = 'waiting'"
        " ORDER BY arrived_at, n LIMIT ?",
        (row["hall_id"], row["service_id"], behind),
    )
    if len(ahead) < behind or not ahead:
        return now
    return min(now, parse_iso(ahead[-1]["arrived_at"]) + timedelta(microseconds=1))


def transfer(
    tx: WriteTx,
    actor: Actor,
    window_id: str,
    now: datetime,
    service_id: str | None = None,
    target_window_id: str | None = None,
) -> dict[str, Any]:
    """Move the same ticket (number and track token) to another service and/or window."""
    hall, window = _window_for(tx, actor, window_id)
    if service_id is None and target_window_id is None:
        raise invalid("invalid_request", "give service_id, window_id or both")
    row = _current(tx, window)
    status = _advance(row, Action.TRANSFER)
    changes: dict[str, Any] = {"status": status.value, "window_id": None}
    if service_id is not None:
        service = load_service(tx, service_id)
        if service.hall_id != hall.id:
            raise invalid("invalid_request", "the service belongs to another hall")
        changes["service_id"] = service.id
    target = None
    if target_window_id is not None:
        target = load_window(tx, target_window_id)
        if target.hall_id != hall.id:
            raise invalid("invalid_request", "the window belongs to another hall")
        changes["pinned_window_id"] = target.id
    if not hall.rules.policy.keep_arrival_on_transfer:
        changes["arrived_at"] = iso(now)
    row = _update(tx, row["id"], **changes)
    _set_current(tx, window, None)
    _emit(tx, "ticket.transferred", row, target or window, now)
    return ticket_view(row, staff=True)


def hold(tx: WriteTx, actor: Actor, window_id: str, now: datetime) -> dict[str, Any]:
    """Put the current ticket aside (the citizen fetches a document); the window is free."""
    _, window = _window_for(tx, actor, window_id)
    row = _current(tx, window)
    status = _advance(row, Action.HOLD)
    row = _update(tx, row["id"], status=status.value)
    _set_current(tx, window, None)
    _emit(tx, "ticket.held", row, window, now)
    return ticket_view(row, staff=True)


def unhold(
    tx: WriteTx, actor: Actor, window_id: str, ticket_id: str, now: datetime
) -> dict[str, Any]:
    """Call a held ticket back to the window that held it (回呼)."""
    _, window = _window_for(tx, actor, window_id)
    row = _ticket(tx, ticket_id)
    if row["window_id"] != window.id:
        raise conflict("invalid_transition", "the ticket is held at another window")
    status = _advance(row, Action.UNHOLD)
    if window.current_ticket_id is not None:
        raise conflict("window_busy", "finish the current ticket first")
    row = _update(tx, row["id"], status=status.value, called_at=iso(now), call_rule="held")
    _set_current(tx, window, row["id"])
    _emit(tx, "ticket.called", row, window, now)
    return ticket_view(row, staff=True)


def queue_for_window(tx: WriteTx, actor: Actor, window_id: str, now: datetime) -> dict[str, Any]:
    """The waiting list in the order this window would call it, each with why."""
    hall, window = _window_for(tx, actor, window_id)
    order = rank(window.id, window.profile, candidates(tx, hall.id, window), now, hall.rules.policy)
    rows = {
        r["id"]: r
        for r in tx.all(
            "SELECT * FROM tickets WHERE hall_id = ? AND status = 'waiting'", (hall.id,)
        )
    }
    held = tx.all(
        "SELECT * FROM tickets WHERE window_id = ? AND status = 'held' ORDER BY n", (window.id,)
    )
    current = _ticket(tx, window.current_ticket_id) if window.current_ticket_id else None
    return {
        "window_id": window.id,
        "current": ticket_view(current, staff=True) if current else None,
        "held": [ticket_view(r, staff=True) for r in held],
        "queue": [
            {**ticket_view(rows[d.ticket_id], staff=True), "rule": d.rule, "score": d.score}
            for d in order
        ],
    }


def cancel_ticket(tx: WriteTx, actor: Actor, ticket_id: str, now: datetime) -> dict[str, Any]:
    """Staff cancel a ticket that has not been served."""
    row = _ticket(tx, ticket_id)
    actor.require_hall_member(row["hall_id"])
    if not actor.is_staff:
        raise ServiceError("forbidden", "only staff may cancel a ticket", 403)
    status = _advance(row, Action.CANCEL)
    row = _update(tx, row["id"], status=status.value, ended_at=iso(now))
    tx.execute(
        "UPDATE windows SET current_ticket_id = NULL WHERE current_ticket_id = ?", (row["id"],)
    )
    _emit(tx, "ticket.cancelled", row, None, now)
    return ticket_view(row, staff=True)
