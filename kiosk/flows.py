"""The citizen's path through the kiosk, as a pure state machine.

:class:`Flow` takes one :class:`Event` at a time (a tap on the page, a card on the reader,
the answer of the hall server, the printer's outcome, the passing of time) and answers the
:class:`Effect` list the agent must carry out (issue, print, check in, ask for help). It
never does I/O and never reads a clock, so every path is table-tested.

Screens (``Flow.screen``): ``idle`` → ``services`` → ``materials`` → ``issuing`` → ``ticket``;
``keypad`` (typed ID), ``appointment`` (QR or typed code), ``duplicate`` (reprint?),
``refused`` (quota, hours, closed: when to come back and where else), ``failed`` (cannot
issue now), and ``ask`` ("还需要继续吗", after the card is lifted or 60 s without a touch).

Personal data (the ID number, the name, the birth date) lives only in ``Flow.person`` and is
dropped as soon as the ticket is issued, when the citizen leaves, or when "还需要继续吗" is
not answered within 30 s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kiosk.idcheck import age_on, birth_date, check_partial, mask_name

IDLE_ASK_SECONDS = 60.0
ASK_SECONDS = 30.0
TICKET_SECONDS = 30.0
NOTICE_SECONDS = 8.0
REFUSALS = ("quota_reached", "outside_issuing_hours", "hall_closed", "no_capacity_today")
CODE_MAX = 16


@dataclass(frozen=True)
class Event:
    """Something that happened: ``kind`` plus its data."""

    kind: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Effect:
    """Something the agent must do, then report back as an event."""

    kind: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Person:
    """Who is taking the ticket; kept in memory only until it is issued."""

    id_number: str
    name_masked: str
    birth: date | None
    from_card: bool


@dataclass
class Catalog:
    """What the hall offers, as the agent last heard it (or loaded from its cache)."""

    hall: dict[str, Any] = field(default_factory=dict)
    services: list[dict[str, Any]] = field(default_factory=list)
    usage: dict[str, int] = field(default_factory=dict)

    def service(self, service_id: str | None) -> dict[str, Any] | None:
        return next((s for s in self.services if s["id"] == service_id), None)

    def popularity(self, service: dict[str, Any]) -> int:
        return int(service.get("issued_today", 0)) + self.usage.get(service["id"], 0)


@dataclass
class Flow:
    """One kiosk's screen and the citizen's data (see the module docstring)."""

    catalog: Catalog = field(default_factory=Catalog)
    today: date | None = None
    screen: str = "idle"
    lang: str = "zh"
    elder: bool = False
    person: Person | None = None
    walk_in: bool = False
    query: str = ""
    typed: str = ""
    code: str = ""
    service_id: str | None = None
    ticket: dict[str, Any] | None = None
    duplicate: dict[str, Any] | None = None
    refusal: dict[str, Any] | None = None
    notice: str | None = None
    notice_at: float = 0.0
    online: bool = True
    last_input: float = 0.0
    screen_at: float = 0.0
    ask_reason: str | None = None
    resume: str = "idle"
    help_pending: bool = False
    seq: int = 0
    idle_ask_seconds: float = IDLE_ASK_SECONDS
    ask_seconds: float = ASK_SECONDS
    ticket_seconds: float = TICKET_SECONDS

    # -- the one entry point ------------------------------------------------------------

    def handle(self, event: Event, now: float) -> list[Effect]:
        """Apply ``event`` at monotonic time ``now``; return what the agent must do."""
        handler = getattr(self, f"_on_{event.kind}", None)
        if handler is None:
            raise ValueError(f"unknown event {event.kind!r}")
        if event.kind in ("tap", "card"):
            self.last_input = now
        effects: list[Effect] = handler(event.data, now)
        self.seq += 1
        return effects

    def _go(self, screen: str, now: float) -> None:
        self.screen = screen
        self.screen_at = now

    def clear(self, now: float) -> None:
        """Forget everything personal and go back to the welcome screen."""
        self.person = None
        self.walk_in = False
        self.query = self.typed = self.code = ""
        self.service_id = None
        self.ticket = self.duplicate = self.refusal = None
        self.ask_reason = None
        self.help_pending = False
        self._go("idle", now)

    # -- devices ------------------------------------------------------------------------

    def _on_card(self, data: dict[str, Any], now: float) -> list[Effect]:
        if self.screen in ("issuing",):
            return []
        self.clear(now)
        number = str(data.get("id_number", "")).upper()
        born = _parse_birth(str(data.get("birth", ""))) or birth_date(number)
        self.person = Person(number, mask_name(str(data.get("name", ""))), born, True)
        self._go("services", now)
        return []

    def _on_card_error(self, data: dict[str, Any], now: float) -> list[Effect]:
        self._notify("card_unreadable", now)
        return []

    def _on_card_lifted(self, data: dict[str, Any], now: float) -> list[Effect]:
        person = self.person
        if person is not None and person.from_card and self.screen not in ("issuing", "ticket"):
            self._ask("card_lifted", now)
        return []

    def _on_qr(self, data: dict[str, Any], now: float) -> list[Effect]:
        if self.screen not in ("idle", "appointment"):
            return []
        self.last_input = now
        self.code = str(data.get("code", ""))[:CODE_MAX]
        self._go("issuing", now)
        return [Effect("checkin", {"code": self.code})]

    # -- time ---------------------------------------------------------------------------

    def _on_tick(self, data: dict[str, Any], now: float) -> list[Effect]:
        if self.notice and now - self.notice_at >= NOTICE_SECONDS:
            self.notice = None
        if self.screen == "ask":
            if now - self.screen_at >= self.ask_seconds:
                self.clear(now)
            return []
        if self.screen == "ticket":
            if now - max(self.screen_at, self.last_input) >= self.ticket_seconds:
                self.clear(now)
            return []
        if self.screen in ("idle", "issuing"):
            return []
        if now - self.last_input >= self.idle_ask_seconds:
            self._ask("idle", now)
        return []

    def _ask(self, reason: str, now: float) -> None:
        if self.screen != "ask":
            self.resume = self.screen
        self.ask_reason = reason
        self._go("ask", now)

    def _notify(self, key: str, now: float) -> None:
        self.notice = key
        self.notice_at = now

    # -- the hall server and the printer -------------------------------------------------

    def _on_catalog(self, data: dict[str, Any], now: float) -> list[Effect]:
        self.catalog.hall = data.get("hall", self.catalog.hall)
        self.catalog.services = data.get("services", self.catalog.services)
        if "today" in data:
            self.today = data["today"]
        return []

    def _on_network(self, data: dict[str, Any], now: float) -> list[Effect]:
        self.online = bool(data.get("online"))
        return []

    def _on_issued(self, data: dict[str, Any], now: float) -> list[Effect]:
        if self.screen != "issuing":
            return []
        ticket = dict(data["ticket"])
        service = self.catalog.service(ticket.get("service_id"))
        if service is not None:
            sid = service["id"]
            self.catalog.usage[sid] = self.catalog.usage.get(sid, 0) + 1
        ticket.setdefault("printed", "printing")
        self.ticket = ticket
        self.person = None  # nothing personal is kept once the ticket exists
        self.typed = self.code = ""
        self._go("ticket", now)
        return [Effect("print", {"ticket": ticket})]

    def _on_printed(self, data: dict[str, Any], now: float) -> list[Effect]:
        if self.ticket is not None and self.ticket.get("id") == data.get("ticket_id"):
            self.ticket["printed"] = data.get("status", "printed")
            self.screen_at = now
        return []

    def _on_refused(self, data: dict[str, Any], now: float) -> list[Effect]:
        if self.screen != "issuing":
            return []
        code = str(data.get("code", ""))
        if code == "duplicate_ticket" and data.get("ticket"):
            self.duplicate = dict(data["ticket"])
            self._go("duplicate", now)
        elif code in REFUSALS:
            self.refusal = {k: v for k, v in data.items() if k != "ticket"}
            self._go("refused", now)
        elif code in ("invalid_id_number", "id_required"):
            self.person = None
            self.refusal = {"code": code}
            self._go("failed", now)
        else:
            self.refusal = {"code": code or "unavailable", **data}
            self._go("failed", now)
        return []

    def _on_help_sent(self, data: dict[str, Any], now: float) -> list[Effect]:
        self.help_pending = False
        self._notify("help_sent" if data.get("ok") else "help_failed", now)
        return []

    # -- taps ---------------------------------------------------------------------------

    def _on_tap(self, data: dict[str, Any], now: float) -> list[Effect]:
        action = str(data.get("action", ""))
        value = data.get("value")
        if action == "lang":
            self.lang = "en" if value == "en" else "zh"
            return []
        if action == "elder":
            self.elder = not self.elder if value is None else bool(value)
            return []
        if action == "help":
            if self.help_pending:
                return []
            self.help_pending = True
            self._notify("help_sending", now)
            return [Effect("help", {"kind": "no_id_card" if self.screen == "keypad" else "help"})]
        if action == "home":
            self.clear(now)
            return []
        if self.screen == "ask":
            if action == "continue":
                self._go(self.resume, now)
                self.ask_reason = None
            elif action == "finish":
                self.clear(now)
            return []
        method = getattr(self, f"_tap_{self.screen}", None)
        if method is None:
            return []
        effects: list[Effect] = method(action, value, now)
        return effects

    def _tap_idle(self, action: str, value: Any, now: float) -> list[Effect]:
        if action == "typed":
            self.typed = ""
            self._go("keypad", now)
        elif action == "walk_in":
            self.walk_in = True
            self._go("services", now)
        elif action == "appointment":
            self.code = ""
            self._go("appointment", now)
        return []

    def _tap_keypad(self, action: str, value: Any, now: float) -> list[Effect]:
        if action == "key" and isinstance(value, str) and len(value) == 1:
            candidate = (self.typed + value.upper())[:18]
            if check_partial(candidate) != "characters":
                self.typed = candidate
        elif action == "backspace":
            self.typed = self.typed[:-1]
        elif action == "clear":
            self.typed = ""
        elif action == "submit" and check_partial(self.typed) == "ok":
            self.person = Person(self.typed, "", birth_date(self.typed), False)
            self.typed = ""
            self._go("services", now)
        elif action == "back":
            self.clear(now)
        return []

    def _tap_appointment(self, action: str, value: Any, now: float) -> list[Effect]:
        if action == "key" and isinstance(value, str) and value.isdigit():
            self.code = (self.code + value)[:CODE_MAX]
        elif action == "backspace":
            self.code = self.code[:-1]
        elif action == "clear":
            self.code = ""
        elif action == "submit" and len(self.code) >= 6:
            self._go("issuing", now)
            return [Effect("checkin", {"code": self.code})]
        elif action == "back":
            self.clear(now)
        return []

    def _tap_services(self, action: str, value: Any, now: float) -> list[Effect]:
        if action == "search":
            self.query = str(value or "")[:40]
        elif action == "choose":
            service = self.catalog.service(str(value))
            if service is not None and self._allowed(service):
                self.service_id = service["id"]
                self._go("materials", now)
        elif action == "back":
            self.clear(now)
        return []

    def _tap_materials(self, action: str, value: Any, now: float) -> list[Effect]:
        if action == "back":
            self.service_id = None
            self._go("services", now)
            return []
        if action != "confirm" or self.service_id is None:
            return []
        request: dict[str, Any] = {"service_id": self.service_id}
        if self.person is not None:
            request["id_number"] = self.person.id_number
            if self.green():
                request["class"] = "green"
        self._go("issuing", now)
        return [Effect("issue", request)]

    def _tap_duplicate(self, action: str, value: Any, now: float) -> list[Effect]:
        if action == "reprint" and self.duplicate is not None:
            ticket = dict(self.duplicate)
            self.duplicate = None
            self._go("issuing", now)
            return [Effect("reprint", {"ticket": ticket})]
        if action == "back":
            self.clear(now)
        return []

    def _tap_refused(self, action: str, value: Any, now: float) -> list[Effect]:
        if action in ("back", "finish"):
            self.clear(now)
        return []

    _tap_failed = _tap_refused

    def _tap_ticket(self, action: str, value: Any, now: float) -> list[Effect]:
        if action == "finish":
            self.clear(now)
        return []

    # -- rules --------------------------------------------------------------------------

    def _allowed(self, service: dict[str, Any]) -> bool:
        return self.person is not None or not service.get("id_required", True)

    def green(self) -> bool:
        """The hall's age rule (default 70) holds for the person, from their birth date."""
        person, today = self.person, self.today
        limit = self.catalog.hall.get("green_age")
        if person is None or person.birth is None or today is None or limit is None:
            return False
        return age_on(person.birth, today) >= int(limit)

    # -- what the page shows ------------------------------------------------------------

    def view(self) -> dict[str, Any]:
        """Everything the page needs to draw the screen; no ID number, no full name."""
        out: dict[str, Any] = {
            "seq": self.seq,
            "screen": self.screen,
            "lang": self.lang,
            "elder": self.elder,
            "online": self.online,
            "notice": self.notice,
            "hall": {k: self.catalog.hall.get(k) for k in ("id", "name", "name_en")},
            "help_pending": self.help_pending,
        }
        if self.person is not None:
            out["greeting"] = self.person.name_masked
            out["green"] = self.green()
        if self.screen == "services":
            out["walk_in"] = self.walk_in
            out["query"] = self.query
            out["groups"] = self._groups()
        if self.screen == "materials":
            out["service"] = self.catalog.service(self.service_id)
        if self.screen == "keypad":
            out["typed"] = self.typed
            out["check"] = check_partial(self.typed) if self.typed else "empty"
        if self.screen == "appointment":
            out["code"] = self.code
        if self.screen == "ticket":
            out["ticket"] = self.ticket
        if self.screen == "duplicate" and self.duplicate is not None:
            out["duplicate"] = {"number": self.duplicate.get("number")}
        if self.screen in ("refused", "failed"):
            out["refusal"] = self.refusal
        if self.screen == "ask":
            out["ask_reason"] = self.ask_reason
            out["ask_seconds"] = self.ask_seconds
        return out

    def _groups(self) -> list[dict[str, Any]]:
        query = self.query.strip().lower()
        found = [
            s
            for s in self.catalog.services
            if not query
            or any(
                query in str(s.get(key) or "").lower()
                for key in ("name", "name_en", "department", "code")
            )
        ]
        found.sort(key=lambda s: -self.catalog.popularity(s))
        groups: dict[str, list[dict[str, Any]]] = {}
        for service in found:
            groups.setdefault(service.get("department") or "", []).append(
                {
                    "id": service["id"],
                    "name": service["name"],
                    "name_en": service.get("name_en") or service["name"],
                    "prefix": service.get("prefix"),
                    "waiting": service.get("waiting"),
                    "enabled": self._allowed(service),
                    "online": bool(service.get("online_url")),
                }
            )
        return [{"department": name, "services": items} for name, items in groups.items()]


def _parse_birth(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
