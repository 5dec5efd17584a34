"""Issuing a ticket: identity, anti-hoarding, numbering and the estimate, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from queue_server.domain.ids import (
    IdNumber,
    InvalidIdNumber,
    age_on,
    mask_id_number,
    parse_id_number,
)
from queue_server.domain.tickets import Channel, Status, TicketClass
from queue_server.security import PersonalDataCipher
from queue_server.service.actors import Actor
from queue_server.service.errors import ServiceError, conflict, forbidden, invalid
from queue_server.service.estimates import estimate_for_new
from queue_server.service.live_eta import Forecast
from queue_server.service.rows import (
    Hall,
    Service,
    iso,
    load_hall,
    load_service,
)
from queue_server.service.ticket_rows import (
    IdColumns,
    NewTicket,
    insert_ticket,
    refuse_duplicate,
)
from queue_server.service.tickets_view import ticket_view
from queue_server.store.db import WriteTx


@dataclass(frozen=True)
class IssueRequest:
    """What a kiosk or a member of staff asks for."""

    service_id: str
    id_number: str | None = None
    ticket_class: str | None = None
    channel: str | None = None


@dataclass(frozen=True)
class Identity:
    """A validated ID number, reduced to what may be stored."""

    parsed: IdNumber
    match_hash: str
    encrypted: str
    masked: str


def _identity(hall: Hall, text: str, cipher: PersonalDataCipher) -> Identity:
    try:
        parsed = parse_id_number(text)
    except InvalidIdNumber as err:
        raise invalid("invalid_id_number", f"invalid ID number: {err.reason}") from None
    rules = hall.rules
    return Identity(
        parsed,
        cipher.match_hash(parsed.value),
        cipher.encrypt(parsed.value),
        mask_id_number(parsed.value, rules.id_mask_head, rules.id_mask_tail),
    )


def _channel(actor: Actor, requested: str | None) -> Channel:
    if requested is None:
        return Channel.KIOSK if not actor.is_staff else Channel.COUNTER
    try:
        channel = Channel(requested)
    except ValueError:
        raise invalid("invalid_channel", f"unknown channel {requested!r}") from None
    if not actor.is_staff and channel not in {Channel.KIOSK, Channel.REMOTE}:
        raise forbidden("only staff may issue on this channel")
    return channel


def _ticket_class(
    actor: Actor, requested: str | None, hall: Hall, identity: Identity | None, now: datetime
) -> tuple[TicketClass, list[str]]:
    """Staff may grant any class; a device only the hall's age rule (green channel)."""
    try:
        wanted = TicketClass(requested) if requested else None
    except ValueError:
        raise invalid("invalid_class", f"unknown class {requested!r}") from None
    age_ok = False
    green_age = hall.rules.green_age
    if green_age is not None and identity is not None and identity.parsed.birth is not None:
        today = hall.schedule.business_day(now)
        age_ok = age_on(identity.parsed.birth, today) >= green_age
    if wanted is None:
        return (TicketClass.GREEN, ["age_rule"]) if age_ok else (TicketClass.NORMAL, [])
    if wanted is TicketClass.NORMAL or actor.is_staff:
        return wanted, []
    if wanted is TicketClass.GREEN and age_ok:
        return wanted, ["age_rule"]
    raise forbidden("priority is granted at the help desk")


def _check_hours(hall: Hall, now: datetime) -> None:
    if hall.schedule.issuing_now(now):
        return
    upcoming = hall.schedule.next_issuing_start(now)
    details: dict[str, Any] = {"next_issuing_at": iso(upcoming) if upcoming else None}
    if not hall.schedule.is_open(now):
        raise ServiceError("hall_closed", "the hall is closed now", 409, details)
    raise ServiceError("outside_issuing_hours", "tickets are not issued now", 409, details)


def _check_quotas(tx: WriteTx, hall: Hall, service: Service, day: str, now: datetime) -> None:
    rules = service.rules
    if rules.daily_quota is not None:
        issued = tx.one(
            "SELECT COUNT(*) AS n FROM tickets WHERE hall_id = ? AND service_id = ?"
            " AND business_day = ?",
            (hall.id, service.id, day),
        )
        if issued is not None and issued["n"] >= rules.daily_quota:
            raise conflict("quota_reached", "today's tickets for this service are all taken")
    zone = ZoneInfo(hall.schedule.timezone)
    local = now.astimezone(zone)
    for slot in rules.slot_quotas:
        if not slot.start <= local.strftime("%H:%M") < slot.end:
            continue
        start = datetime.combine(local.date(), time.fromisoformat(slot.start), tzinfo=zone)
        issued = tx.one(
            "SELECT COUNT(*) AS n FROM tickets WHERE hall_id = ? AND service_id = ?"
            " AND business_day = ? AND issued_at >= ?",
            (hall.id, service.id, day, iso(start)),
        )
        if issued is not None and issued["n"] >= slot.limit:
            raise conflict(
                "quota_reached", f"tickets for {slot.start}-{slot.end} are all taken", slot=slot.end
            )


def issue_ticket(
    tx: WriteTx,
    actor: Actor,
    request: IssueRequest,
    cipher: PersonalDataCipher,
    now: datetime,
    forecast: Forecast | None = None,
) -> dict[str, Any]:
    """Issue one ticket; returns the ticket view with ``people_ahead``, ``eta``, warnings.

    ``forecast`` is the hall's latest live forecast (already computed: issuing never
    waits for the predictor); the estimate shown is stored with the ticket, so the
    manager's accuracy figures compare what the citizen was told with the actual wait.
    """
    service = load_service(tx, request.service_id)
    hall = load_hall(tx, service.hall_id)
    actor.require_hall_member(hall.id)
    channel = _channel(actor, request.channel)
    identity = _identity(hall, request.id_number, cipher) if request.id_number else None
    needs_id = service.rules.id_required and channel is not Channel.REMOTE
    if identity is None and needs_id and not actor.is_staff:
        raise invalid("id_required", "this service needs an ID number")
    ticket_class, flags = _ticket_class(actor, request.ticket_class, hall, identity, now)
    _check_hours(hall, now)
    day = hall.schedule.business_day(now).isoformat()
    refuse_duplicate(tx, hall.id, service.id, day, identity.match_hash if identity else None)
    _check_quotas(tx, hall, service, day, now)
    estimate = estimate_for_new(tx, hall, service, ticket_class, now, forecast)
    warnings = _capacity_warnings(hall, estimate.high, now)
    identity_columns = (
        IdColumns(identity.match_hash, identity.encrypted, identity.masked)
        if identity
        else IdColumns()
    )
    row = insert_ticket(
        tx,
        NewTicket(
            service,
            day,
            Status.NOT_ARRIVED if channel is Channel.REMOTE else Status.WAITING,
            ticket_class,
            channel,
            now,
            identity_columns,
            estimate,
            flags=flags + warnings,
        ),
    )
    view = ticket_view(row)
    view["people_ahead"] = estimate.people_ahead
    view["eta"] = estimate.as_json()
    view["eta_method"] = estimate.method
    view["warnings"] = warnings
    return view


def _capacity_warnings(hall: Hall, eta_high: float | None, now: datetime) -> list[str]:
    left = hall.schedule.minutes_until_close(now)
    if left is None or eta_high is None or eta_high <= left:
        return []
    if hall.rules.capacity_policy == "refuse":
        raise conflict(
            "no_capacity_today",
            "this ticket could not be called before the hall closes today",
            minutes_until_close=round(left, 1),
        )
    return ["no_capacity_today"]
