"""How good today's wait estimates were: what each citizen was told at issue vs the actual wait.

Every ticket stores the estimate it was shown when issued (``eta_minutes``, ``eta_low``,
``eta_high``) and, once called, its actual wait (``actual_wait_min``). The figures per
service and for the hall come from :func:`queue_server.eta.accuracy`, which also decides
when a service's estimates have drifted far enough that a manager should look.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

from queue_server.eta import Accuracy, Outcome, accuracy
from queue_server.service.actors import Actor
from queue_server.service.errors import forbidden, invalid
from queue_server.service.rows import Hall, load_hall
from queue_server.store.db import ReadTx


def _number(value: float, digits: int) -> float | None:
    return round(value, digits) if math.isfinite(value) else None


def accuracy_json(figures: Accuracy) -> dict[str, Any]:
    """``{count, mae_min, bias_min, coverage90, drifting, reason}`` (null where undefined)."""
    return {
        "count": figures.count,
        "mae_min": _number(figures.mae, 2),
        "bias_min": _number(figures.bias, 2),
        "coverage90": _number(figures.coverage, 3),
        "drifting": figures.drifting,
        "reason": figures.reason,
    }


def day_outcomes(tx: ReadTx, hall_id: str, day: str) -> dict[str, list[Outcome]]:
    """The called tickets of a business day as outcomes, by service."""
    rows = tx.all(
        "SELECT service_id, eta_minutes, eta_low, eta_high, actual_wait_min FROM tickets"
        " WHERE hall_id = ? AND business_day = ? AND called_at IS NOT NULL"
        " AND actual_wait_min IS NOT NULL AND eta_minutes IS NOT NULL"
        " AND eta_low IS NOT NULL AND eta_high IS NOT NULL ORDER BY n",
        (hall_id, day),
    )
    by_service: dict[str, list[Outcome]] = {}
    for r in rows:
        outcome = Outcome(r["eta_minutes"], r["eta_low"], r["eta_high"], r["actual_wait_min"])
        by_service.setdefault(r["service_id"], []).append(outcome)
    return by_service


def _services(tx: ReadTx, hall_id: str) -> list[dict[str, Any]]:
    return tx.all(
        "SELECT id, name, name_en, prefix FROM services WHERE hall_id = ? ORDER BY position, id",
        (hall_id,),
    )


def hall_accuracy(
    tx: ReadTx, actor: Actor, hall_id: str, now: datetime, day: str | None
) -> dict[str, Any]:
    """The accuracy of one business day (today by default) per service and overall.

    Staff of the hall (managers, clerks) may read it: it holds numbers only.
    """
    hall = load_hall(tx, hall_id)
    if not actor.is_staff:
        raise forbidden("staff only")
    actor.require_hall_member(hall_id)
    business_day = _business_day(hall, now, day)
    outcomes = day_outcomes(tx, hall_id, business_day)
    services = []
    for s in _services(tx, hall_id):
        figures = accuracy(outcomes.get(s["id"], []))
        services.append(
            {
                "service_id": s["id"],
                "name": s["name"],
                "name_en": s["name_en"],
                "prefix": s["prefix"],
                **accuracy_json(figures),
            }
        )
    overall = accuracy(o for items in outcomes.values() for o in items)
    return {
        "hall_id": hall_id,
        "business_day": business_day,
        "overall": accuracy_json(overall),
        "services": services,
    }


def _business_day(hall: Hall, now: datetime, day: str | None) -> str:
    if day is None:
        return hall.schedule.business_day(now).isoformat()
    try:
        return date.fromisoformat(day).isoformat()
    except ValueError:
        raise invalid("invalid_request", "date is YYYY-MM-DD") from None


def drift_alarms(tx: ReadTx, hall: Hall, day: str) -> list[dict[str, Any]]:
    """One alarm per service whose estimates drifted today (for the manager's floor)."""
    outcomes = day_outcomes(tx, hall.id, day)
    alarms = []
    for s in _services(tx, hall.id):
        figures = accuracy(outcomes.get(s["id"], []))
        if not figures.drifting:
            continue
        alarms.append(
            {
                "kind": "eta_drift",
                "service_id": s["id"],
                "reason": figures.reason,
                "text": f"{s['name']}: 等候预估失准（今日 {figures.count} 张，"
                f"{figures.coverage:.0%} 落在预估范围内，平均偏差 {figures.bias:+.1f} 分钟）",
            }
        )
    return alarms
