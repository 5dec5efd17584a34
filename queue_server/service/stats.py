"""The manager's view of a hall: the live floor, today's figures, the day report, the audit log.

Figures come from the ticket rows of the business day (statuses and timestamps), never from
personal data: the report has numbers, services, windows and times only.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from queue_server.service.actors import Actor
from queue_server.service.console import minutes_since
from queue_server.service.estimates import closed_form
from queue_server.service.eta_accuracy import drift_alarms
from queue_server.service.health import devices_with_health
from queue_server.service.help import HELP_KIND_NAMES, list_help_requests
from queue_server.service.live_eta import Forecast, Forecasts, no_forecasts
from queue_server.service.rows import Hall, load_hall, parse_iso, service_from_row
from queue_server.store.db import ReadTx

WAIT_BUCKETS = ((0, 5), (5, 10), (10, 15), (15, 20), (20, 30), (30, 45), (45, 60), (60, None))
HEALTH_NAMES = {"fault": "故障", "warning": "警告", "offline": "离线"}
REPORT_COLUMNS = (
    "number",
    "service_code",
    "service",
    "class",
    "channel",
    "status",
    "window",
    "issued_at",
    "called_at",
    "started_at",
    "ended_at",
    "wait_minutes",
    "service_minutes",
    "recalls",
    "call_rule",
    "call_score",
)


def _minutes(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return max(0.0, (parse_iso(end) - parse_iso(start)).total_seconds() / 60.0)


def _service_minutes(row: dict[str, Any]) -> float | None:
    if row["status"] != "done":
        return None
    return _minutes(row["started_at"] or row["called_at"], row["ended_at"])


def _day_rows(tx: ReadTx, hall_id: str, day: str) -> list[dict[str, Any]]:
    return tx.all(
        "SELECT t.*, w.number AS window_number FROM tickets t"
        " LEFT JOIN windows w ON w.id = t.window_id"
        " WHERE t.hall_id = ? AND t.business_day = ? ORDER BY t.n",
        (hall_id, day),
    )


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def floor(
    tx: ReadTx, actor: Actor, hall_id: str, now: datetime, forecasts: Forecasts = no_forecasts
) -> dict[str, Any]:
    """Every window and service of the hall right now, with alarms; estimated waits from the
    hall's live forecast when it is fresh, else the closed form."""
    hall = load_hall(tx, hall_id)
    actor.require_manager(hall_id)
    day = hall.schedule.business_day(now).isoformat()
    rows = _day_rows(tx, hall_id, day)
    open_servers: Counter[str] = Counter()
    windows = _window_cards(tx, hall_id, rows, open_servers, now)
    services, alarms = _service_rows(tx, hall, rows, open_servers, forecasts(hall_id), now)
    help_requests = list_help_requests(tx, actor, hall_id, False, now)
    alarms += [_help_alarm(h) for h in help_requests]
    alarms += drift_alarms(tx, hall, day)
    devices = devices_with_health(tx, hall_id, now)
    alarms += [_device_alarm(d) for d in devices if d["health"] in ("fault", "warning", "offline")]
    return {
        "hall": {"id": hall.id, "name": hall.name, "business_day": day},
        "windows": windows,
        "services": services,
        "alarms": alarms,
        "help_requests": help_requests,
        "devices": devices,
    }


def _window_cards(
    tx: ReadTx,
    hall_id: str,
    rows: list[dict[str, Any]],
    open_servers: Counter[str],
    now: datetime,
) -> list[dict[str, Any]]:
    """Each window's card; counts the open windows serving each service into ``open_servers``."""
    by_id = {r["id"]: r for r in rows}
    windows = []
    for w in tx.all("SELECT * FROM windows WHERE hall_id = ? ORDER BY number", (hall_id,)):
        profile = json.loads(w["profile"])
        if w["state"] == "open":
            open_servers.update(s for s, weight in profile.items() if weight > 0)
        done = [r for r in rows if r["window_id"] == w["id"] and r["status"] == "done"]
        times = [m for m in (_service_minutes(r) for r in done) if m is not None]
        current = by_id.get(w["current_ticket_id"]) if w["current_ticket_id"] else None
        if current is None and w["current_ticket_id"]:
            current = tx.one("SELECT * FROM tickets WHERE id = ?", (w["current_ticket_id"],))
        windows.append(
            {
                "id": w["id"],
                "number": w["number"],
                "state": w["state"],
                "clerk": w["clerk"],
                "services": profile,
                "current": None if current is None else _current_card(current, now),
                "served_today": len(done),
                "avg_service_minutes": _mean(times),
                "held": sum(1 for r in rows if r["window_id"] == w["id"] and r["status"] == "held"),
            }
        )
    return windows


def _current_card(current: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "id": current["id"],
        "number": current["number"],
        "status": current["status"],
        "service_id": current["service_id"],
        "since_minutes": minutes_since(current["called_at"], now),
    }


def _service_rows(
    tx: ReadTx,
    hall: Hall,
    rows: list[dict[str, Any]],
    open_servers: Counter[str],
    live: Forecast | None,
    now: datetime,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each service's line (waiting, longest wait, estimate, quota) and its wait alarms."""
    waiting = tx.all(
        "SELECT service_id, arrived_at FROM tickets WHERE hall_id = ? AND status = 'waiting'",
        (hall.id,),
    )
    services: list[dict[str, Any]] = []
    alarms: list[dict[str, Any]] = []
    for row in tx.all("SELECT * FROM services WHERE hall_id = ? ORDER BY position, id", (hall.id,)):
        service = service_from_row(row)
        waits = [
            minutes_since(t["arrived_at"], now) or 0.0
            for t in waiting
            if t["service_id"] == service.id
        ]
        longest = round(max(waits), 1) if waits else 0.0
        threshold = service.rules.long_wait_minutes or hall.rules.long_wait_minutes
        servers = open_servers[service.id]
        estimate = closed_form(len(waits), servers, service.rules.typical_minutes)
        if live is not None and servers:
            estimate = estimate.or_live(live.service(service.id, len(waits)))
        issued = sum(1 for r in rows if r["service_id"] == service.id)
        quota = service.rules.daily_quota
        over = sum(1 for m in waits if m > threshold)
        services.append(
            {
                "id": service.id,
                "name": service.name,
                "prefix": service.prefix,
                "waiting": len(waits),
                "longest_wait_minutes": longest,
                "eta_minutes": None if estimate.minutes is None else round(estimate.minutes, 1),
                "issued_today": issued,
                "daily_quota": quota,
                "quota_left": None if quota is None else max(0, quota - issued),
                "open_windows": servers,
                "long_wait_minutes": threshold,
                "over_threshold": over,
            }
        )
        if over:
            alarms.append(
                {
                    "kind": "long_wait",
                    "service_id": service.id,
                    "text": f"{service.name}: {over} 人等候超过 {threshold:g} 分钟"
                    f"（最长 {longest:g} 分钟）",
                }
            )
        if waits and servers == 0:
            alarms.append(
                {
                    "kind": "no_window",
                    "service_id": service.id,
                    "text": f"{service.name}: {len(waits)} 人等候，没有开放的窗口",
                }
            )
    return services, alarms


def _help_alarm(h: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "help_request",
        "request_id": h["id"],
        "text": f"{h['device_label'] or h['device_id']} 请求协助："
        f"{HELP_KIND_NAMES.get(h['kind'], h['kind'])}"
        + (f"（{h['message']}）" if h["message"] else ""),
    }


def _device_alarm(d: dict[str, Any]) -> dict[str, Any]:
    bad = [f"{p['kind']}: {p['detail'] or p['status']}" for p in d["parts"] if p["status"] != "ok"]
    return {
        "kind": "device",
        "device_id": d["device_id"],
        "health": d["health"],
        "text": f"{d['label'] or d['role']} {HEALTH_NAMES[d['health']]}"
        + (f"（{'；'.join(bad)}）" if bad else ""),
    }


def _local(hall: Hall, text: str | None, fmt: str) -> str:
    if not text:
        return ""
    return parse_iso(text).astimezone(ZoneInfo(hall.schedule.timezone)).strftime(fmt)


def today(tx: ReadTx, actor: Actor, hall_id: str, now: datetime, day: str | None) -> dict[str, Any]:
    """Figures for the charts: tickets per hour by service, waits, no-shows, service times."""
    hall = load_hall(tx, hall_id)
    actor.require_manager(hall_id)
    day = day or hall.schedule.business_day(now).isoformat()
    rows = _day_rows(tx, hall_id, day)
    per_hour: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows:
        per_hour[_local(hall, r["issued_at"], "%H")][r["service_id"]] += 1
    waits = [r["actual_wait_min"] for r in rows if r["actual_wait_min"] is not None]
    buckets = []
    for low, high in WAIT_BUCKETS:
        count = sum(1 for w in waits if w >= low and (high is None or w < high))
        label = f"{low}-{high}" if high is not None else f"{low}+"
        buckets.append({"label": label, "count": count})
    statuses = Counter(r["status"] for r in rows)
    ended = statuses["done"] + statuses["no_show"]
    per_window: dict[int, list[float]] = defaultdict(list)
    for r in rows:
        minutes = _service_minutes(r)
        if minutes is not None and r["window_number"] is not None:
            per_window[int(r["window_number"])].append(minutes)
    services = tx.all(
        "SELECT id, name, prefix FROM services WHERE hall_id = ? ORDER BY position, id", (hall_id,)
    )
    return {
        "business_day": day,
        "services": services,
        "issued": len(rows),
        "statuses": dict(statuses),
        "per_hour": [
            {"hour": hour, "by_service": dict(per_hour[hour])} for hour in sorted(per_hour)
        ],
        "wait_distribution": buckets,
        "mean_wait_minutes": _mean(waits),
        "no_show_rate": round(statuses["no_show"] / ended, 3) if ended else None,
        "service_time_per_window": [
            {"window": number, "served": len(times), "mean_minutes": _mean(times)}
            for number, times in sorted(per_window.items())
        ],
    }


def report_csv(tx: ReadTx, actor: Actor, hall_id: str, now: datetime, day: str | None) -> str:
    """The day report: one line per ticket, local times, no personal data."""
    hall = load_hall(tx, hall_id)
    actor.require_manager(hall_id)
    day = day or hall.schedule.business_day(now).isoformat()
    date.fromisoformat(day)
    services = {r["id"]: r for r in tx.all("SELECT * FROM services WHERE hall_id = ?", (hall_id,))}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(REPORT_COLUMNS)
    for r in _day_rows(tx, hall_id, day):
        service = services.get(r["service_id"], {})
        wait = r["actual_wait_min"]
        served = _service_minutes(r)
        writer.writerow(
            (
                r["number"],
                service.get("code", ""),
                service.get("name", ""),
                r["class"],
                r["channel"],
                r["status"],
                r["window_number"] if r["window_number"] is not None else "",
                _local(hall, r["issued_at"], "%H:%M:%S"),
                _local(hall, r["called_at"], "%H:%M:%S"),
                _local(hall, r["started_at"], "%H:%M:%S"),
                _local(hall, r["ended_at"], "%H:%M:%S"),
                "" if wait is None else f"{wait:.1f}",
                "" if served is None else f"{served:.1f}",
                r["recall_count"],
                r["call_rule"] or "",
                "" if r["call_score"] is None else f"{r['call_score']:.1f}",
            )
        )
    return out.getvalue()


def audit_log(tx: ReadTx, actor: Actor, hall_id: str, limit: int) -> list[dict[str, Any]]:
    """The newest audit records of the hall."""
    load_hall(tx, hall_id)
    actor.require_manager(hall_id)
    rows = tx.all(
        "SELECT * FROM audit WHERE hall_id = ? ORDER BY id DESC LIMIT ?", (hall_id, limit)
    )
    return [
        {
            "id": r["id"],
            "at": r["at"],
            "actor": r["actor"],
            "action": r["action"],
            "detail": json.loads(r["detail"]),
        }
        for r in rows
    ]
