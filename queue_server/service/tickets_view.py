"""How a ticket row is shown: to kiosks and staff, and to the public."""

from __future__ import annotations

import json
from typing import Any

PUBLIC_KEYS = ("id", "number", "service_id", "status", "class", "window_id")


def ticket_view(row: dict[str, Any], staff: bool = False) -> dict[str, Any]:
    """The ticket as the issuing kiosk or staff see it; staff also see the masked ID."""
    view: dict[str, Any] = {
        "id": row["id"],
        "number": row["number"],
        "service_id": row["service_id"],
        "status": str(row["status"]),
        "class": str(row["class"]),
        "channel": str(row["channel"]),
        "issued_at": row["issued_at"],
        "window_id": row.get("window_id"),
        "track_token": row["track_token"],
    }
    if staff:
        view["id_masked"] = row.get("id_masked")
        view["recall_count"] = row.get("recall_count", 0)
        view["call_rule"] = row.get("call_rule")
        view["call_score"] = row.get("call_score")
        view["arrived_at"] = row.get("arrived_at")
        view["called_at"] = row.get("called_at")
        view["flags"] = json.loads(row.get("flags") or "[]")
    return view
