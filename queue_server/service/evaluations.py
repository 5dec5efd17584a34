"""好差评: one voluntary rating per finished ticket, bad-review follow-up, national export.

Who may rate (nobody else can rate someone else's ticket):

- the counter tablet or evaluator bound to window W (a ``counter`` device token made for W):
  only the ticket W finished last, and only within ``rate_within_minutes`` of its finish;
- whoever holds the ticket's track token (the QR printed on it), within ``qr_within_days``.

Staff never rate. The rating is not sent to the clerk's screens or the public event
stream; managers read it in the alerts list and the export. Nothing is ever recorded for
a citizen who does not rate (no default ratings).
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from queue_server.service.actors import Actor
from queue_server.service.errors import ServiceError, conflict, forbidden, invalid, not_found
from queue_server.service.rows import audit, iso, load_hall, parse_iso
from queue_server.service.screens import bound_window
from queue_server.store.db import ReadTx, WriteTx

LEVELS: dict[int, tuple[str, str]] = {
    5: ("非常满意", "Very satisfied"),
    4: ("满意", "Satisfied"),
    3: ("基本满意", "Basically satisfied"),
    2: ("不满意", "Dissatisfied"),
    1: ("非常不满意", "Very dissatisfied"),
}
BAD_LEVELS = frozenset({1, 2})

# Tags under the four offline indicators (整体满意度, 服务效率, 服务水平, 服务态度):
# code -> (indicator, zh, en, levels it may go with).
GOOD = frozenset({3, 4, 5})
POOR = frozenset({1, 2, 3})
TAGS: dict[str, tuple[str, str, str, frozenset[int]]] = {
    "overall.once": ("整体满意度", "一次办成", "Done in one visit", GOOD),
    "overall.guided": ("整体满意度", "引导清楚", "Clear guidance", GOOD),
    "efficiency.fast": ("服务效率", "办理快捷", "Quick", GOOD),
    "level.skilled": ("服务水平", "业务熟练", "Knows the job", GOOD),
    "level.informed": ("服务水平", "一次性告知清楚", "Told everything at once", GOOD),
    "attitude.warm": ("服务态度", "热情耐心", "Friendly and patient", GOOD),
    "overall.not_done": ("整体满意度", "事情没办成", "Not done", POOR),
    "overall.many_visits": ("整体满意度", "多次跑腿", "Had to come back", POOR),
    "efficiency.slow": ("服务效率", "等候或办理时间长", "Long wait or handling", POOR),
    "level.unclear": ("服务水平", "告知不清楚", "Unclear information", POOR),
    "level.unskilled": ("服务水平", "业务不熟练", "Does not know the job", POOR),
    "attitude.poor": ("服务态度", "态度不好", "Unfriendly", POOR),
}

# Channels of the national record (pf): 1 PC, 2 mobile, 3 QR code, 4 hall tablet, 5 other
# hall terminal.
PF_QR = 3
PF_TABLET = 4
PF_TERMINAL = 5

DEFAULTS = {
    "rate_within_minutes": 10.0,
    "qr_within_days": 7.0,
    "callback_days": 1.0,
    "rectify_days": 15.0,
    "area_code": "",
}

LONG_DIGITS = re.compile(r"\d[\d\s-]{5,}\d[\dXx]?")


@dataclass(frozen=True)
class EvaluationRules:
    """Time limits for rating and for following up a bad review (settings ``evaluations``)."""

    rate_within_minutes: float = 10.0
    qr_within_days: float = 7.0
    callback_days: float = 1.0
    rectify_days: float = 15.0
    area_code: str = ""

    @classmethod
    def from_settings(cls, extra: Mapping[str, Any]) -> EvaluationRules:
        """Read ``[server.extra.evaluations]``; unknown keys are refused."""
        raw = dict(extra.get("evaluations", {}))
        unknown = sorted(set(raw) - set(DEFAULTS))
        if unknown:
            raise ValueError(f"unknown evaluation settings: {unknown}")
        merged: dict[str, Any] = {**DEFAULTS, **raw}
        return cls(
            rate_within_minutes=float(merged["rate_within_minutes"]),
            qr_within_days=float(merged["qr_within_days"]),
            callback_days=float(merged["callback_days"]),
            rectify_days=float(merged["rectify_days"]),
            area_code=str(merged["area_code"]),
        )


@dataclass(frozen=True)
class Rating:
    """What the citizen chose."""

    level: int
    tags: tuple[str, ...] = ()
    comment: str = ""
    source: str = "tablet"


def vocabulary() -> dict[str, Any]:
    """Levels and tags, as the evaluator page shows them."""
    return {
        "levels": [{"level": k, "name": v[0], "name_en": v[1]} for k, v in LEVELS.items()],
        "tags": [
            {"code": c, "indicator": t[0], "name": t[1], "name_en": t[2], "levels": sorted(t[3])}
            for c, t in TAGS.items()
        ],
    }


def mask_digits(text: str) -> str:
    """Hide long digit runs (phone or ID numbers typed into a comment)."""
    return LONG_DIGITS.sub(lambda m: "*" * len(m.group()), text)


def _check_rating(rating: Rating) -> None:
    if rating.level not in LEVELS:
        raise invalid("invalid_request", "level is 1 (非常不满意) to 5 (非常满意)")
    for tag in rating.tags:
        entry = TAGS.get(tag)
        if entry is None:
            raise invalid("invalid_request", f"unknown tag {tag!r}")
        if rating.level not in entry[3]:
            raise invalid("invalid_request", f"tag {tag!r} does not go with level {rating.level}")
    if len(set(rating.tags)) != len(rating.tags):
        raise invalid("invalid_request", "a tag is given twice")


def _ticket(tx: ReadTx, ticket_id: str) -> dict[str, Any]:
    row = tx.one("SELECT * FROM tickets WHERE id = ?", (ticket_id,))
    if row is None:
        raise not_found("ticket")
    return row


def _last_finished(tx: ReadTx, window_id: str) -> dict[str, Any] | None:
    return tx.one(
        "SELECT * FROM tickets WHERE window_id = ? AND status = 'done' AND ended_at IS NOT NULL"
        " ORDER BY ended_at DESC, n DESC LIMIT 1",
        (window_id,),
    )


def _evaluated(tx: ReadTx, ticket_id: str) -> bool:
    return tx.one("SELECT 1 AS x FROM evaluations WHERE ticket_id = ?", (ticket_id,)) is not None


def prompt(
    tx: ReadTx,
    actor: Actor | None,
    token: str | None,
    window_id: str,
    rules: EvaluationRules,
    now: datetime,
) -> dict[str, Any]:
    """For the evaluator bound to a window: the ticket that may be rated now, if any."""
    if bound_window(tx, actor, token, "counter") != window_id:
        raise forbidden("this device is bound to another window")
    window = tx.one("SELECT number FROM windows WHERE id = ?", (window_id,))
    assert window is not None
    row = _last_finished(tx, window_id)
    ticket = None
    if row is not None and not _evaluated(tx, row["id"]):
        until = parse_iso(row["ended_at"]) + timedelta(minutes=rules.rate_within_minutes)
        if until > now:
            ticket = {
                "id": row["id"],
                "number": row["number"],
                "finished_at": row["ended_at"],
                "rate_until": iso(until),
            }
    return {"window_id": window_id, "window_number": window["number"], "ticket": ticket}


def _channel(
    tx: WriteTx,
    row: dict[str, Any],
    actor: Actor | None,
    bearer: str | None,
    track_token: str | None,
    rating: Rating,
    rules: EvaluationRules,
    now: datetime,
) -> int:
    """Check that the caller may rate this ticket now; return the national channel code."""
    ended = parse_iso(row["ended_at"])
    if track_token is not None:
        if not secrets.compare_digest(row["track_token"], track_token):
            raise not_found("ticket")
        if now - ended > timedelta(days=rules.qr_within_days):
            raise conflict("evaluation_closed", "this ticket can no longer be rated")
        if actor is not None and actor.kind == "device" and row["hall_id"] in actor.halls:
            return PF_TERMINAL
        return PF_QR
    if actor is None:
        raise ServiceError("unauthorized", "a counter device token or the track token", 401)
    if actor.is_staff:
        raise forbidden("ratings come from the citizen, not from staff")
    window_id = bound_window(tx, actor, bearer, "counter")
    last = _last_finished(tx, window_id)
    if row["window_id"] != window_id or last is None or last["id"] != row["id"]:
        raise forbidden("this device may rate only the ticket its window finished last")
    if now - ended > timedelta(minutes=rules.rate_within_minutes):
        raise conflict("evaluation_closed", "the time to rate this ticket has passed")
    return PF_TERMINAL if rating.source == "keypad" else PF_TABLET


def evaluate(
    tx: WriteTx,
    ticket_id: str,
    rating: Rating,
    actor: Actor | None,
    bearer: str | None,
    track_token: str | None,
    rules: EvaluationRules,
    now: datetime,
) -> dict[str, Any]:
    """Record one rating; a bad one (the bottom two levels) opens a follow-up alert."""
    _check_rating(rating)
    row = _ticket(tx, ticket_id)
    if row["status"] != "done" or row["ended_at"] is None:
        raise conflict("not_finished", "only a finished ticket can be rated")
    pf = _channel(tx, row, actor, bearer, track_token, rating, rules, now)
    if _evaluated(tx, ticket_id):
        raise conflict("already_evaluated", "this ticket has been rated")
    window = None
    if row["window_id"]:
        window = tx.one("SELECT number, clerk FROM windows WHERE id = ?", (row["window_id"],))
    recent = now - parse_iso(row["ended_at"]) <= timedelta(minutes=rules.rate_within_minutes)
    clerk = window["clerk"] if window is not None and recent else None
    evaluation_id = "ev-" + secrets.token_hex(8)
    tx.execute(
        "INSERT INTO evaluations (id, ticket_id, hall_id, service_id, window_id, window_number,"
        " clerk, level, tags, comment, pf, source, finished_at, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            evaluation_id,
            row["id"],
            row["hall_id"],
            row["service_id"],
            row["window_id"],
            window["number"] if window is not None else None,
            clerk,
            rating.level,
            json.dumps(list(rating.tags)),
            mask_digits(rating.comment.strip()),
            pf,
            "qr" if pf == PF_QR else rating.source,
            row["ended_at"],
            iso(now),
        ),
    )
    alert = None
    if rating.level in BAD_LEVELS:
        alert = _open_alert(tx, evaluation_id, row, rating.level, rules, now)
    return {
        "evaluation": {"id": evaluation_id, "ticket_id": row["id"], "level": rating.level},
        "thanks": True,
        "follow_up": alert is not None,
    }


def _open_alert(
    tx: WriteTx,
    evaluation_id: str,
    row: dict[str, Any],
    level: int,
    rules: EvaluationRules,
    now: datetime,
) -> dict[str, Any]:
    alert_id = "al-" + secrets.token_hex(8)
    callback = now + timedelta(days=rules.callback_days)
    rectify = now + timedelta(days=rules.rectify_days)
    tx.execute(
        "INSERT INTO evaluation_alerts (id, evaluation_id, hall_id, level, status, created_at,"
        " callback_due, rectify_due) VALUES (?, ?, ?, ?, 'open', ?, ?, ?)",
        (alert_id, evaluation_id, row["hall_id"], level, iso(now), iso(callback), iso(rectify)),
    )
    audit(tx, now, "evaluator", row["hall_id"], "evaluation.bad_review", alert_id=alert_id)
    return {"id": alert_id}


def list_alerts(
    tx: ReadTx, actor: Actor, hall_id: str, status: str | None, now: datetime
) -> list[dict[str, Any]]:
    """Bad reviews of a hall for its managers, oldest deadline first."""
    load_hall(tx, hall_id)
    actor.require_manager(hall_id)
    sql = (
        "SELECT a.*, e.ticket_id, e.window_number, e.clerk, e.tags, e.comment, e.pf,"
        " e.created_at AS rated_at, t.number FROM evaluation_alerts a"
        " JOIN evaluations e ON e.id = a.evaluation_id JOIN tickets t ON t.id = e.ticket_id"
        " WHERE a.hall_id = ?"
    )
    params: tuple[Any, ...] = (hall_id,)
    if status is not None:
        sql += " AND a.status = ?"
        params = (hall_id, status)
    rows = tx.all(sql + " ORDER BY a.callback_due, a.id", params)
    return [
        {
            "id": r["id"],
            "evaluation_id": r["evaluation_id"],
            "ticket_id": r["ticket_id"],
            "number": r["number"],
            "window_number": r["window_number"],
            "clerk": r["clerk"],
            "level": r["level"],
            "level_name": LEVELS[r["level"]][0],
            "tags": json.loads(r["tags"]),
            "comment": r["comment"],
            "rated_at": r["rated_at"],
            "status": r["status"],
            "callback_due": r["callback_due"],
            "rectify_due": r["rectify_due"],
            "overdue": r["status"] == "open" and parse_iso(r["rectify_due"]) < now,
            "callback_overdue": r["called_back_at"] is None and parse_iso(r["callback_due"]) < now,
            "called_back_at": r["called_back_at"],
            "closed_at": r["closed_at"],
            "closed_by": r["closed_by"],
            "note": r["note"],
        }
        for r in rows
    ]


def follow_up(
    tx: WriteTx, actor: Actor, alert_id: str, step: str, note: str, now: datetime
) -> dict[str, Any]:
    """A manager records the call-back (``callback``) or the rectification (``close``)."""
    row = tx.one("SELECT * FROM evaluation_alerts WHERE id = ?", (alert_id,))
    if row is None:
        raise not_found("alert")
    actor.require_manager(row["hall_id"])
    if row["status"] != "open":
        raise conflict("alert_closed", "this alert is already closed")
    if step == "callback":
        tx.execute(
            "UPDATE evaluation_alerts SET called_back_at = ?, note = ? WHERE id = ?",
            (iso(now), note, alert_id),
        )
    else:
        tx.execute(
            "UPDATE evaluation_alerts SET status = 'closed', closed_at = ?, closed_by = ?,"
            " note = ?, called_back_at = COALESCE(called_back_at, ?) WHERE id = ?",
            (iso(now), actor.name, note, iso(now), alert_id),
        )
    audit(tx, now, actor.name, row["hall_id"], f"evaluation.{step}", alert_id=alert_id)
    return {"id": alert_id, "status": "open" if step == "callback" else "closed"}


# -- export --------------------------------------------------------------------------------

EXPORT_FIELDS = (
    "projectNo",
    "ticketNumber",
    "businessDay",
    "areaCode",
    "hallId",
    "taskCode",
    "taskName",
    "deptName",
    "pf",
    "promiseTime",
    "assessNumber",
    "satisfaction",
    "satisfactionName",
    "evalDetail",
    "evalDetailName",
    "writingEvaluation",
    "handleUserName",
    "windowNumber",
    "isDefault",
    "effectiveEvalua",
    "finishTime",
    "assessTime",
    "rectification",
)
"""Our names for the national record's fields (reference/domain.md §2.9); no applicant data."""


def _cell(value: Any) -> str:
    """Text that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def export_rows(
    tx: ReadTx, actor: Actor, hall_id: str, since: str | None, until: str | None
) -> list[dict[str, Any]]:
    """The hall's evaluations as export records (business days ``since``..``until``)."""
    load_hall(tx, hall_id)
    actor.require_manager(hall_id)
    sql = (
        "SELECT e.*, t.number, t.business_day, s.code, s.name AS service_name, s.department,"
        " a.status AS alert_status, a.note AS alert_note FROM evaluations e"
        " JOIN tickets t ON t.id = e.ticket_id JOIN services s ON s.id = e.service_id"
        " LEFT JOIN evaluation_alerts a ON a.evaluation_id = e.id WHERE e.hall_id = ?"
    )
    params: list[Any] = [hall_id]
    if since is not None:
        sql += " AND t.business_day >= ?"
        params.append(since)
    if until is not None:
        sql += " AND t.business_day <= ?"
        params.append(until)
    return tx.all(sql + " ORDER BY e.created_at, e.id", tuple(params))


def to_csv(rows: Iterable[dict[str, Any]], rules: EvaluationRules) -> str:
    """CSV (UTF-8 with BOM so spreadsheet programs read the Chinese) of :data:`EXPORT_FIELDS`."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_FIELDS)
    for r in rows:
        tags = json.loads(r["tags"])
        rectification = ""
        if r["alert_status"] is not None:
            rectification = r["alert_status"] + (f": {r['alert_note']}" if r["alert_note"] else "")
        record = {
            "projectNo": r["ticket_id"],
            "ticketNumber": r["number"],
            "businessDay": r["business_day"],
            "areaCode": rules.area_code,
            "hallId": r["hall_id"],
            "taskCode": r["code"],
            "taskName": r["service_name"],
            "deptName": r["department"],
            "pf": r["pf"],
            "promiseTime": 1,
            "assessNumber": 1,
            "satisfaction": r["level"],
            "satisfactionName": LEVELS[r["level"]][0],
            "evalDetail": "|".join(tags),
            "evalDetailName": "|".join(TAGS[t][1] for t in tags if t in TAGS),
            "writingEvaluation": r["comment"],
            "handleUserName": r["clerk"] or "",
            "windowNumber": r["window_number"] if r["window_number"] is not None else "",
            "isDefault": 0,
            "effectiveEvalua": 1,
            "finishTime": r["finished_at"],
            "assessTime": r["created_at"],
            "rectification": rectification,
        }
        writer.writerow([_cell(record[f]) for f in EXPORT_FIELDS])
    return out.getvalue()
