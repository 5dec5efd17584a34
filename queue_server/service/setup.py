"""Loading a site's halls, services, windows and staff from a JSON definition."""

from __future__ import annotations

import json
from typing import Any

from queue_server.domain.models import HallRules, WindowState
from queue_server.domain.schedule import HallSchedule
from queue_server.service.auth import create_staff
from queue_server.service.errors import invalid
from queue_server.store.db import WriteTx


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _insert_hall(tx: WriteTx, position: int, hall: dict[str, Any]) -> None:
    schedule = HallSchedule.from_dict(hall["schedule"]).to_dict()
    rules = HallRules.from_dict(hall.get("rules", {})).to_dict()
    tx.execute(
        "INSERT INTO halls (id, name, name_en, address, lat, lon, schedule, rules, position)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            hall["id"],
            hall["name"],
            hall.get("name_en", ""),
            hall.get("address", ""),
            hall.get("lat"),
            hall.get("lon"),
            _dump(schedule),
            _dump(rules),
            position,
        ),
    )
    for index, service in enumerate(hall.get("services", [])):
        tx.execute(
            "INSERT INTO services (id, hall_id, code, prefix, name, name_en, department, rules,"
            " info, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                service["id"],
                hall["id"],
                service.get("code", ""),
                service["prefix"],
                service["name"],
                service.get("name_en", ""),
                service.get("department", ""),
                _dump(service.get("rules", {})),
                _dump(service.get("info", {})),
                index,
            ),
        )
    for window in hall.get("windows", []):
        state = WindowState(window.get("state", "closed")).value
        tx.execute(
            "INSERT INTO windows (id, hall_id, number, state, profile, clerk)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                window["id"],
                hall["id"],
                window["number"],
                state,
                _dump(window["profile"]),
                window.get("clerk"),
            ),
        )


def import_site(tx: WriteTx, site: dict[str, Any]) -> dict[str, int]:
    """Add every hall and member of staff that the database does not have yet."""
    added = {"halls": 0, "staff": 0}
    try:
        for position, hall in enumerate(site.get("halls", [])):
            if tx.one("SELECT id FROM halls WHERE id = ?", (hall["id"],)) is None:
                _insert_hall(tx, position, hall)
                added["halls"] += 1
        for member in site.get("staff", []):
            if tx.one("SELECT 1 FROM staff WHERE username = ?", (member["username"],)) is None:
                create_staff(
                    tx,
                    member["username"],
                    member["password"],
                    member["role"],
                    list(member.get("halls", [])),
                    member.get("window_id"),
                    member.get("display_name", ""),
                )
                added["staff"] += 1
    except (KeyError, TypeError, ValueError) as err:
        raise invalid("invalid_site", f"site definition is not valid: {err!r}") from None
    return added
