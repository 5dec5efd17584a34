"""Reading halls, services and windows inside a transaction, and appending events."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from queue_server.domain.events import EventRecord
from queue_server.domain.models import HallRules, ServiceRules, SlotQuota
from queue_server.domain.schedule import HallSchedule
from queue_server.service.errors import not_found
from queue_server.store.db import WriteTx


def iso(at: datetime) -> str:
    """UTC timestamp text as stored: sortable, with microseconds."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> datetime:
    """The inverse of :func:`iso`."""
    return datetime.fromisoformat(text)


@lru_cache(maxsize=256)
def _schedule(text: str) -> HallSchedule:
    return HallSchedule.from_dict(json.loads(text))


@lru_cache(maxsize=256)
def _hall_rules(text: str) -> HallRules:
    return HallRules.from_dict(json.loads(text))


@lru_cache(maxsize=1024)
def _service_rules(text: str) -> ServiceRules:
    data = json.loads(text)
    slots = tuple(SlotQuota(**s) for s in data.pop("slot_quotas", []))
    return ServiceRules(slot_quotas=slots, **data)


@lru_cache(maxsize=1024)
def profile_of(text: str) -> dict[str, float]:
    """A window's stored work profile, parsed once per distinct text."""
    return {k: float(v) for k, v in json.loads(text).items()}


def servers_per_service(windows: Iterable[dict[str, Any]]) -> dict[str, int]:
    """How many of these window rows are open and serve each service (weight above zero)."""
    servers: dict[str, int] = {}
    for window in windows:
        if window["state"] != "open":
            continue
        for service_id, weight in profile_of(window["profile"]).items():
            if weight > 0:
                servers[service_id] = servers.get(service_id, 0) + 1
    return servers


@dataclass(frozen=True)
class Hall:
    """A hall row with its schedule and rules parsed."""

    id: str
    name: str
    row: dict[str, Any]
    schedule: HallSchedule
    rules: HallRules


@dataclass(frozen=True)
class Service:
    """A service row with its rules parsed."""

    id: str
    hall_id: str
    prefix: str
    name: str
    row: dict[str, Any]
    rules: ServiceRules


@dataclass(frozen=True)
class Window:
    """A window row with its work profile parsed."""

    id: str
    hall_id: str
    number: int
    state: str
    profile: dict[str, float]
    clerk: str | None
    current_ticket_id: str | None


def hall_from_row(row: dict[str, Any]) -> Hall:
    """Parse a ``halls`` row."""
    return Hall(row["id"], row["name"], row, _schedule(row["schedule"]), _hall_rules(row["rules"]))


def service_from_row(row: dict[str, Any]) -> Service:
    """Parse a ``services`` row."""
    return Service(
        row["id"], row["hall_id"], row["prefix"], row["name"], row, _service_rules(row["rules"])
    )


def window_from_row(row: dict[str, Any]) -> Window:
    """Parse a ``windows`` row."""
    return Window(
        row["id"],
        row["hall_id"],
        row["number"],
        row["state"],
        profile_of(row["profile"]),
        row["clerk"],
        row["current_ticket_id"],
    )


def load_hall(tx: WriteTx, hall_id: str) -> Hall:
    """The hall, or a ``not_found`` error."""
    row = tx.one("SELECT * FROM halls WHERE id = ?", (hall_id,))
    if row is None:
        raise not_found("hall")
    return hall_from_row(row)


def load_service(tx: WriteTx, service_id: str) -> Service:
    """The service, or a ``not_found`` error."""
    row = tx.one("SELECT * FROM services WHERE id = ?", (service_id,))
    if row is None:
        raise not_found("service")
    return service_from_row(row)


def load_window(tx: WriteTx, window_id: str) -> Window:
    """The window, or a ``not_found`` error."""
    row = tx.one("SELECT * FROM windows WHERE id = ?", (window_id,))
    if row is None:
        raise not_found("window")
    return window_from_row(row)


def append_event(tx: WriteTx, hall_id: str, kind: str, data: dict[str, Any]) -> EventRecord:
    """Log an event in the caller's transaction; it is published after commit."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    cur = tx.execute(
        "INSERT INTO events (hall_id, type, at, data) VALUES (?, ?, ?, ?)",
        (hall_id, kind, data.get("at") or "", text),
    )
    assert cur.lastrowid is not None
    record = EventRecord(cur.lastrowid, hall_id, kind, data)
    tx.events.append(record)
    return record


def audit(
    tx: WriteTx, at: datetime, actor: str, hall_id: str | None, action: str, **detail: Any
) -> None:
    """Record who changed what, for the manager's audit log."""
    tx.execute(
        "INSERT INTO audit (at, actor, hall_id, action, detail) VALUES (?, ?, ?, ?, ?)",
        (iso(at), actor, hall_id, action, json.dumps(detail, ensure_ascii=False)),
    )
