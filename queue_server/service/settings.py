"""A manager's live settings: the call-order policy, service quotas and hours, alarms.

Every change is validated by the same domain classes that read it, written in one
transaction with its audit record and a ``settings.changed`` event, and applies to the
next call or issue: the rules are re-read from the row on every use.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from queue_server.domain.models import HallRules
from queue_server.domain.schedule import HallSchedule, InvalidSchedule
from queue_server.service.actors import Actor
from queue_server.service.errors import invalid, not_found
from queue_server.service.rows import append_event, audit, iso, load_hall
from queue_server.store.db import ReadTx, WriteTx

POLICY_KEYS = (
    "green_bonus",
    "appointment_bonus",
    "starvation_cap",
    "recall_limit",
    "keep_arrival_on_transfer",
)
SERVICE_KEYS = ("daily_quota", "slot_quotas", "typical_minutes", "long_wait_minutes", "id_required")


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _changed(tx: WriteTx, hall_id: str, what: str, now: datetime, **extra: Any) -> None:
    append_event(tx, hall_id, "settings.changed", {"what": what, **extra, "at": iso(now)})


def hall_settings(tx: ReadTx, actor: Actor, hall_id: str) -> dict[str, Any]:
    """The hall's rules, schedule and every service's rules, as the manager edits them."""
    hall = load_hall(tx, hall_id)
    actor.require_manager(hall_id)
    services = []
    for row in tx.all("SELECT * FROM services WHERE hall_id = ? ORDER BY position, id", (hall_id,)):
        rules = json.loads(row["rules"])
        services.append(
            {
                "id": row["id"],
                "name": row["name"],
                "prefix": row["prefix"],
                "daily_quota": rules.get("daily_quota"),
                "slot_quotas": rules.get("slot_quotas", []),
                "typical_minutes": rules.get("typical_minutes", 10.0),
                "long_wait_minutes": rules.get("long_wait_minutes"),
                "id_required": rules.get("id_required", True),
            }
        )
    return {
        "hall_id": hall.id,
        "rules": hall.rules.to_dict(),
        "schedule": hall.schedule.to_dict(),
        "services": services,
    }


def update_rules(
    tx: WriteTx, actor: Actor, hall_id: str, changes: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """Merge ``changes`` (``policy`` keys, ``no_show``, ``long_wait_minutes``, …) into the
    hall's rules; the next call uses them."""
    hall = load_hall(tx, hall_id)
    actor.require_manager(hall_id)
    data = hall.rules.to_dict()
    policy = dict(data["policy"])
    for key in POLICY_KEYS:
        if key in changes.get("policy", {}):
            policy[key] = changes["policy"][key]
    if "no_show" in changes.get("policy", {}):
        policy["no_show"] = {**policy["no_show"], **changes["policy"]["no_show"]}
    data["policy"] = policy
    for key in ("long_wait_minutes", "green_age", "capacity_policy", "device_offline_minutes"):
        if key in changes:
            data[key] = changes[key]
    try:
        rules = HallRules.from_dict(data)
    except (TypeError, ValueError) as err:
        raise invalid("invalid_request", f"invalid rules: {err}") from None
    stored = rules.to_dict()
    tx.execute("UPDATE halls SET rules = ? WHERE id = ?", (_dump(stored), hall_id))
    audit(tx, now, actor.name, hall_id, "hall.rules", before=hall.rules.to_dict(), after=stored)
    _changed(tx, hall_id, "rules", now)
    return stored


def update_service(
    tx: WriteTx, actor: Actor, service_id: str, changes: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """Change a service's quotas (daily, per slot), typical time, alarm threshold, ID rule."""
    row = tx.one("SELECT * FROM services WHERE id = ?", (service_id,))
    if row is None:
        raise not_found("service")
    actor.require_manager(row["hall_id"])
    before = json.loads(row["rules"])
    after = dict(before)
    for key in SERVICE_KEYS:
        if key in changes:
            after[key] = changes[key]
    for slot in after.get("slot_quotas", []):
        if not _hhmm(slot["start"]) or not _hhmm(slot["end"]) or slot["start"] >= slot["end"]:
            raise invalid("invalid_request", "slot times are HH:MM with start before end")
    tx.execute("UPDATE services SET rules = ? WHERE id = ?", (_dump(after), service_id))
    audit(
        tx,
        now,
        actor.name,
        row["hall_id"],
        "service.rules",
        service_id=service_id,
        before=before,
        after=after,
    )
    _changed(tx, row["hall_id"], "service", now, service_id=service_id)
    return {"id": service_id, **after}


def _hhmm(text: str) -> bool:
    if len(text) != 5 or text[2] != ":":
        return False
    hours, minutes = text[:2], text[3:]
    return hours.isdigit() and minutes.isdigit() and int(hours) <= 24 and int(minutes) < 60


def update_schedule(
    tx: WriteTx, actor: Actor, hall_id: str, changes: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """Change opening hours per weekday (issuing follows them) and the issuing cut-off."""
    hall = load_hall(tx, hall_id)
    actor.require_manager(hall_id)
    data = hall.schedule.to_dict()
    if "weekly" in changes:
        data["weekly"] = {**data["weekly"], **changes["weekly"]}
    if "issuing_cutoff_minutes" in changes:
        data["issuing_cutoff_minutes"] = changes["issuing_cutoff_minutes"]
    try:
        schedule = HallSchedule.from_dict(data).to_dict()
    except (InvalidSchedule, TypeError, ValueError) as err:
        raise invalid("invalid_request", f"invalid schedule: {err}") from None
    tx.execute("UPDATE halls SET schedule = ? WHERE id = ?", (_dump(schedule), hall_id))
    audit(tx, now, actor.name, hall_id, "hall.schedule", changes=changes)
    _changed(tx, hall_id, "schedule", now)
    return schedule
