"""Remote visitors: phone one-time codes, remote tickets, check-in, grace and lapse, reminders.

A remote ticket is issued ``not_arrived``: it keeps its place (its arrival time is the issue
time) but only ``waiting`` tickets are called, so it is skipped until the visitor checks in at
the hall. Check-in needs the hall: a kiosk or staff token with the ticket's check-in code, or
the phone's holder token together with the entrance code shown on a screen at the door (it
changes every few minutes). When no checked-in ticket of its service is ahead any more and a
window serves the service, its turn has come: it waits ``remote_grace_minutes`` (hall rule)
and then lapses (``ticket.lapsed``). :func:`sweep` does this; the server runs it after every
ticket event and on a timer.

Phones are kept as a keyed hash for matching and a masked form (138****5678) for staff;
the full number is stored (encrypted) only when the visitor asked for SMS reminders, and is
deleted as soon as the ticket is closed.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from queue_server.domain.events import ticket_event_data
from queue_server.domain.tickets import Action, Status, TransitionError, next_status
from queue_server.security import PersonalDataCipher, token_digest
from queue_server.service.actors import Actor
from queue_server.service.errors import ServiceError, conflict, forbidden, invalid, not_found
from queue_server.service.issuing import IssueRequest, issue_ticket
from queue_server.service.live_eta import Forecast
from queue_server.service.rows import (
    Hall,
    append_event,
    iso,
    load_hall,
    parse_iso,
)
from queue_server.store.db import ReadTx, WriteTx

PHONE = re.compile(r"^1[3-9]\d{9}$")
OPEN = ("waiting", "not_arrived", "called", "serving", "held")
CHANNELS = ("sms", "webpush", "wechat")


@dataclass(frozen=True)
class Limits:
    """Anti-scalping limits (``[server.extra.remote]`` in the server settings)."""

    code_ttl_minutes: float = 5.0
    code_attempts: int = 5
    code_interval_seconds: float = 60.0
    codes_per_phone_hour: int = 5
    codes_per_phone_day: int = 10
    phones_per_address_hour: int = 5
    tickets_per_phone_day: int = 3
    phones_per_address_day: int = 6
    entrance_period_seconds: int = 300

    @classmethod
    def from_settings(cls, remote: dict[str, Any]) -> Limits:
        """Read the known keys of the ``remote`` settings table; others are ignored."""
        known = {k: remote[k] for k in cls.__dataclass_fields__ if k in remote}
        return cls(**known)


def parse_phone(text: str) -> str:
    """A mainland mobile number (11 digits, ``+86`` and spaces allowed) or ``invalid_phone``."""
    digits = re.sub(r"[\s-]", "", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    if not PHONE.match(digits):
        raise invalid("invalid_phone", "enter an 11-digit mobile number")
    return digits


def mask_phone(phone: str) -> str:
    """``13812345678`` → ``138****5678``."""
    return f"{phone[:3]}****{phone[-4:]}"


def phone_hash(cipher: PersonalDataCipher, phone: str) -> str:
    """The keyed matching hash of a phone number."""
    return cipher.match_hash(f"PHONE:{phone}")


def address_hash(cipher: PersonalDataCipher, address: str) -> str:
    """The keyed hash of a client address (addresses are personal data too)."""
    return cipher.match_hash(f"ADDR:{address}")


def _code_digest(cipher: PersonalDataCipher, phone: str, code: str) -> str:
    return cipher.match_hash(f"CODE:{phone}:{code}")


def count(tx: ReadTx, sql: str, params: tuple[Any, ...]) -> int:
    row = tx.one(sql, params)
    return int(row["n"]) if row else 0


def request_code(
    tx: WriteTx,
    cipher: PersonalDataCipher,
    phone_text: str,
    address: str,
    limits: Limits,
    now: datetime,
) -> tuple[str, str]:
    """Create a one-time code for a phone; returns ``(code, masked phone)`` for the SMS."""
    phone = parse_phone(phone_text)
    ph = phone_hash(cipher, phone)
    ah = address_hash(cipher, address)
    last = tx.one("SELECT MAX(created_at) AS at FROM remote_codes WHERE phone_hash = ?", (ph,))
    if last and last["at"]:
        since = (now - parse_iso(last["at"])).total_seconds()
        if since < limits.code_interval_seconds:
            wait = round(limits.code_interval_seconds - since)
            raise ServiceError(
                "code_too_soon",
                f"a code was just sent to this phone; ask again in {wait} s",
                429,
                {"retry_after": wait},
            )
    hour, day = iso(now - timedelta(hours=1)), iso(now - timedelta(days=1))
    sent_hour = count(
        tx,
        "SELECT COUNT(*) AS n FROM remote_codes WHERE phone_hash = ? AND created_at > ?",
        (ph, hour),
    )
    sent_day = count(
        tx,
        "SELECT COUNT(*) AS n FROM remote_codes WHERE phone_hash = ? AND created_at > ?",
        (ph, day),
    )
    if sent_hour >= limits.codes_per_phone_hour or sent_day >= limits.codes_per_phone_day:
        raise ServiceError(
            "too_many_codes", "too many codes were sent to this phone; try again later", 429
        )
    phones = count(
        tx,
        "SELECT COUNT(DISTINCT phone_hash) AS n FROM remote_codes"
        " WHERE address_hash = ? AND created_at > ? AND phone_hash != ?",
        (ah, hour, ph),
    )
    if phones >= limits.phones_per_address_hour:
        raise ServiceError(
            "too_many_phones",
            "codes were asked for too many different phones from this network; try later",
            429,
        )
    code = f"{secrets.randbelow(1_000_000):06d}"
    tx.execute(
        "INSERT INTO remote_codes (phone_hash, address_hash, code_digest, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (
            ph,
            ah,
            _code_digest(cipher, phone, code),
            iso(now),
            iso(now + timedelta(minutes=limits.code_ttl_minutes)),
        ),
    )
    return code, mask_phone(phone)


def use_code(
    tx: WriteTx, cipher: PersonalDataCipher, phone: str, code: str, limits: Limits, now: datetime
) -> bool:
    """Spend the phone's latest live code; a wrong guess counts (commit it even on failure)."""
    row = tx.one(
        "SELECT * FROM remote_codes WHERE phone_hash = ? AND used_at IS NULL AND expires_at > ?"
        " ORDER BY id DESC LIMIT 1",
        (phone_hash(cipher, phone), iso(now)),
    )
    if row is None or row["attempts"] >= limits.code_attempts:
        return False
    if secrets.compare_digest(row["code_digest"], _code_digest(cipher, phone, code.strip())):
        tx.execute("UPDATE remote_codes SET used_at = ? WHERE id = ?", (iso(now), row["id"]))
        return True
    tx.execute("UPDATE remote_codes SET attempts = attempts + 1 WHERE id = ?", (row["id"],))
    return False


BAD_CODE = ServiceError("invalid_code", "the code is wrong or has expired; ask for a new one", 422)


def _check_scalping(
    tx: WriteTx, service_id: str, day: str, ph: str, ah: str, limits: Limits
) -> None:
    existing = tx.one(
        "SELECT t.number FROM remote_tickets r JOIN tickets t ON t.id = r.ticket_id"
        " WHERE r.phone_hash = ? AND r.service_id = ? AND r.business_day = ?"
        " AND t.status IN ('waiting', 'not_arrived', 'called', 'serving', 'held')",
        (ph, service_id, day),
    )
    if existing is not None:
        raise conflict(
            "duplicate_ticket",
            f"this phone already holds ticket {existing['number']} for this service today",
            number=existing["number"],
        )
    taken = count(
        tx,
        "SELECT COUNT(*) AS n FROM remote_tickets WHERE phone_hash = ? AND business_day = ?",
        (ph, day),
    )
    if taken >= limits.tickets_per_phone_day:
        raise conflict(
            "too_many_tickets",
            f"one phone may take at most {limits.tickets_per_phone_day} remote tickets a day",
            limit=limits.tickets_per_phone_day,
        )
    phones = count(
        tx,
        "SELECT COUNT(DISTINCT phone_hash) AS n FROM remote_tickets"
        " WHERE address_hash = ? AND business_day = ? AND phone_hash != ?",
        (ah, day, ph),
    )
    if phones >= limits.phones_per_address_day:
        raise ServiceError(
            "too_many_phones",
            "remote tickets were taken for too many phones from this network today",
            429,
            {"limit": limits.phones_per_address_day},
        )


def _new_checkin_code(tx: WriteTx, hall_id: str, day: str) -> str:
    for _ in range(50):
        code = f"{secrets.randbelow(1_000_000):06d}"
        clash = tx.one(
            "SELECT 1 AS x FROM remote_tickets WHERE hall_id = ? AND business_day = ?"
            " AND checkin_code = ?",
            (hall_id, day, code),
        )
        if clash is None:
            return code
    raise ServiceError("busy", "could not find a free check-in code; try again", 503)


def take_ticket(
    tx: WriteTx,
    cipher: PersonalDataCipher,
    hall_id: str,
    service_id: str,
    phone_text: str,
    code: str,
    address: str,
    remind_sms: bool,
    limits: Limits,
    now: datetime,
    forecast: Forecast | None = None,
) -> dict[str, Any] | None:
    """Issue a ``not_arrived`` ticket to a verified phone; None when the code is wrong."""
    phone = parse_phone(phone_text)
    holder = RemoteHolder(
        phone_hash(cipher, phone), mask_phone(phone), f"remote:{mask_phone(phone)}"
    )
    hall = _hall_of_service(tx, hall_id, service_id)
    day = hall.schedule.business_day(now).isoformat()
    _check_scalping(tx, service_id, day, holder.key_hash, address_hash(cipher, address), limits)
    if not use_code(tx, cipher, phone, code, limits, now):
        return None
    view = issue_remote(tx, cipher, hall_id, service_id, holder, address, limits, now, forecast)
    if remind_sms:
        store_subscription(tx, cipher, view["id"], "sms", phone, now)
    return view


@dataclass(frozen=True)
class RemoteHolder:
    """Who holds a remote ticket: the keyed hash that the one-per-day rules match on, what
    may be shown of it (a masked phone, or "微信用户"), and the audit actor name."""

    key_hash: str
    masked: str
    actor: str


def _hall_of_service(tx: WriteTx, hall_id: str, service_id: str) -> Hall:
    service = tx.one("SELECT hall_id FROM services WHERE id = ?", (service_id,))
    if service is None or service["hall_id"] != hall_id:
        raise invalid("invalid_request", "no such service in this hall")
    return load_hall(tx, hall_id)


def issue_remote(
    tx: WriteTx,
    cipher: PersonalDataCipher,
    hall_id: str,
    service_id: str,
    holder: RemoteHolder,
    address: str,
    limits: Limits,
    now: datetime,
    forecast: Forecast | None = None,
) -> dict[str, Any]:
    """Issue the ``not_arrived`` ticket of a verified holder (scalping limits applied);
    ``forecast`` is the hall's live wait forecast, if fresh."""
    hall = _hall_of_service(tx, hall_id, service_id)
    day = hall.schedule.business_day(now).isoformat()
    ah = address_hash(cipher, address)
    _check_scalping(tx, service_id, day, holder.key_hash, ah, limits)
    actor = Actor("remote", holder.actor, "remote", (hall_id,))
    ask = IssueRequest(service_id, channel="remote")
    view = issue_ticket(tx, actor, ask, cipher, now, forecast)
    token = secrets.token_urlsafe(24)
    checkin = _new_checkin_code(tx, hall_id, day)
    tx.execute(
        "INSERT INTO remote_tickets (ticket_id, hall_id, service_id, business_day, phone_hash,"
        " phone_masked, address_hash, holder_digest, checkin_code, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            view["id"],
            hall_id,
            service_id,
            day,
            holder.key_hash,
            holder.masked,
            ah,
            token_digest(token),
            checkin,
            iso(now),
        ),
    )
    view["holder_token"] = token
    view["checkin_code"] = checkin
    view["phone_masked"] = holder.masked
    view["grace_minutes"] = hall.rules.remote_grace_minutes
    return view


def entrance_code(cipher: PersonalDataCipher, hall_id: str, at: datetime, period: int) -> str:
    """The 6-digit code shown at the hall's entrance for the period containing ``at``."""
    bucket = int(at.timestamp()) // period
    digest = cipher.match_hash(f"ENTRANCE:{hall_id}:{bucket}")
    return f"{int(digest[:12], 16) % 1_000_000:06d}"


def current_entrance_code(
    tx: ReadTx,
    cipher: PersonalDataCipher,
    actor: Actor,
    hall_id: str,
    limits: Limits,
    now: datetime,
) -> dict[str, Any]:
    """For a screen or kiosk of the hall: the code to show and when it changes."""
    load_hall(tx, hall_id)
    actor.require_hall_member(hall_id)
    period = limits.entrance_period_seconds
    ends = (int(now.timestamp()) // period + 1) * period
    return {
        "hall_id": hall_id,
        "code": entrance_code(cipher, hall_id, now, period),
        "changes_at": iso(datetime.fromtimestamp(ends, now.tzinfo)),
    }


def _entrance_ok(
    cipher: PersonalDataCipher, hall_id: str, code: str, period: int, now: datetime
) -> bool:
    earlier = now - timedelta(seconds=period)
    return any(
        secrets.compare_digest(entrance_code(cipher, hall_id, at, period), code.strip())
        for at in (now, earlier)
    )


def remote_row(tx: ReadTx, ticket_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    ticket = tx.one("SELECT * FROM tickets WHERE id = ?", (ticket_id,))
    remote = tx.one("SELECT * FROM remote_tickets WHERE ticket_id = ?", (ticket_id,))
    if ticket is None or remote is None:
        raise not_found("remote ticket")
    return ticket, remote


def transition(
    tx: WriteTx,
    ticket: dict[str, Any],
    action: Action,
    kind: str,
    now: datetime,
    **changes: Any,
) -> dict[str, Any]:
    try:
        status = next_status(Status(ticket["status"]), action)
    except TransitionError as err:
        raise conflict("invalid_transition", str(err), current=ticket["status"]) from None
    values = {"status": status.value, **changes}
    sets = ", ".join(f"{c} = ?" for c in values)
    tx.execute(f"UPDATE tickets SET {sets} WHERE id = ?", (*values.values(), ticket["id"]))  # noqa: S608
    append_event(
        tx,
        ticket["hall_id"],
        kind,
        ticket_event_data(
            ticket["id"], ticket["number"], ticket["service_id"], None, None, iso(now)
        ),
    )
    return {
        "id": ticket["id"],
        "number": ticket["number"],
        "status": status.value,
        "service_id": ticket["service_id"],
    }


def check_in(
    tx: WriteTx,
    cipher: PersonalDataCipher,
    actor: Actor | None,
    ticket_id: str,
    body: dict[str, Any],
    limits: Limits,
    now: datetime,
) -> dict[str, Any]:
    """Check a remote ticket in at the hall.

    Either a kiosk/staff token of the ticket's hall with ``code`` (the ticket's check-in
    code), or no token with ``holder_token`` (kept by the phone that took it) and
    ``entrance_code`` (shown at the hall's entrance). A track token is never enough.
    """
    ticket, remote = remote_row(tx, ticket_id)
    if actor is not None:
        actor.require_hall_member(ticket["hall_id"])
        if not actor.is_staff and not secrets.compare_digest(
            remote["checkin_code"], str(body.get("code", "")).strip()
        ):
            raise invalid("invalid_code", "the check-in code does not match this ticket")
    else:
        holder = str(body.get("holder_token", ""))
        if not holder or not secrets.compare_digest(remote["holder_digest"], token_digest(holder)):
            raise forbidden("checking in from a phone needs the phone that took the ticket")
        if not _entrance_ok(
            cipher,
            ticket["hall_id"],
            str(body.get("entrance_code", "")),
            limits.entrance_period_seconds,
            now,
        ):
            raise ServiceError(
                "not_at_hall",
                "scan the code at the hall's entrance, or check in at a kiosk",
                403,
            )
    return transition(tx, ticket, Action.CHECK_IN, "ticket.checked_in", now)


def check_in_by_code(
    tx: WriteTx, actor: Actor, hall_id: str, code: str, now: datetime
) -> dict[str, Any]:
    """A kiosk (or staff) types the visitor's check-in code."""
    actor.require_hall_member(hall_id)
    hall = load_hall(tx, hall_id)
    day = hall.schedule.business_day(now).isoformat()
    row = tx.one(
        "SELECT ticket_id FROM remote_tickets WHERE hall_id = ? AND business_day = ?"
        " AND checkin_code = ?",
        (hall_id, day, code.strip()),
    )
    if row is None:
        raise not_found("remote ticket with this code")
    ticket, _ = remote_row(tx, row["ticket_id"])
    return transition(tx, ticket, Action.CHECK_IN, "ticket.checked_in", now)


def cancel(
    tx: WriteTx,
    cipher: PersonalDataCipher,
    ticket_id: str,
    phone_text: str,
    code: str,
    limits: Limits,
    now: datetime,
) -> dict[str, Any] | None:
    """Cancel a remote ticket with a fresh one-time code of its phone; None: wrong code."""
    phone = parse_phone(phone_text)
    ticket = _cancellable(tx, ticket_id, phone_hash(cipher, phone))
    if not use_code(tx, cipher, phone, code, limits, now):
        return None
    return transition(tx, ticket, Action.CANCEL, "ticket.cancelled", now, ended_at=iso(now))


def cancel_by_holder(
    tx: WriteTx, ticket_id: str, holder: RemoteHolder, now: datetime
) -> dict[str, Any]:
    """Cancel a remote ticket for a holder whose identity was proven another way (WeChat)."""
    ticket = _cancellable(tx, ticket_id, holder.key_hash)
    return transition(tx, ticket, Action.CANCEL, "ticket.cancelled", now, ended_at=iso(now))


def _cancellable(tx: WriteTx, ticket_id: str, key_hash: str) -> dict[str, Any]:
    ticket, remote = remote_row(tx, ticket_id)
    if not secrets.compare_digest(remote["phone_hash"], key_hash):
        raise forbidden("this ticket was taken by someone else")
    if ticket["status"] not in ("not_arrived", "waiting"):
        raise conflict("invalid_transition", f"a {ticket['status']} ticket cannot be cancelled")
    return ticket


def store_subscription(
    tx: WriteTx,
    cipher: PersonalDataCipher,
    ticket_id: str,
    channel: str,
    target: str,
    now: datetime,
) -> None:
    """Remember where to send the reminders of ``ticket_id`` (the target encrypted)."""
    tx.execute(
        "INSERT INTO remote_subscriptions (ticket_id, channel, target_enc, created_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (ticket_id, channel)"
        " DO UPDATE SET target_enc = excluded.target_enc, created_at = excluded.created_at",
        (ticket_id, channel, cipher.encrypt(target), iso(now)),
    )


def remote_status(tx: ReadTx, ticket_id: str, holder_token: str) -> dict[str, Any]:
    """What the phone that took a remote ticket may see: its check-in code and masked phone."""
    ticket, remote = remote_row(tx, ticket_id)
    if not secrets.compare_digest(remote["holder_digest"], token_digest(holder_token)):
        raise not_found("remote ticket")
    return {
        "id": ticket_id,
        "number": ticket["number"],
        "status": ticket["status"],
        "checkin_code": remote["checkin_code"],
        "phone_masked": remote["phone_masked"],
        "due_at": remote["due_at"],
    }
