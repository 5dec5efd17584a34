"""The demo city: three Hangzhou service halls with their services, windows and staff.

The hall names follow the kind of institution a visitor to Hangzhou meets (the citizen service
centre, the real-estate registration centre, the housing provident fund centre); addresses,
item codes and coordinates (GCJ-02) are illustrative, not an official directory.

``build_site`` returns the site definition the server imports plus the credentials the demo
writes to ``credentials.json``. The random generator drives every data choice (quotas, staff
names), so one seed gives one city; passwords come from ``secrets`` and differ on every run.

The citizen service centre (``civic-center``) is open and issuing around the clock with every
window staffed and no quota, so the demo can be tried - and loaded - at any hour. The other
halls keep ordinary hours: weekdays 09:00-12:00 and 13:30-17:00, a Saturday morning at the
provident fund centre, closed on Sundays and on the 2026 public holidays, open on the make-up
working days (调休).
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from queue_server.demo.catalogue import (
    CIVIC_SERVICES,
    CIVIC_WINDOWS,
    ESTATE_SERVICES,
    ESTATE_WINDOWS,
    FUND_SERVICES,
    FUND_WINDOWS,
    ServiceSpec,
    WindowSpec,
)

TIMEZONE = "Asia/Shanghai"
CIVIC_HALL_ID = "civic-center"
MANAGER_USERNAME = "manager"

WORKDAY_HOURS: list[list[str]] = [["09:00", "12:00"], ["13:30", "17:00"]]
SATURDAY_MORNING: list[list[str]] = [["09:00", "12:00"]]
ALL_DAY: list[list[str]] = [["00:00", "24:00"]]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# 2026 public holidays (国务院办公厅 notice on the 2026 holiday arrangements): first and last
# day of each break, inclusive.
HOLIDAYS_2026: tuple[tuple[str, str, str], ...] = (
    ("2026-01-01", "2026-01-03", "元旦"),
    ("2026-02-15", "2026-02-23", "春节"),
    ("2026-04-04", "2026-04-06", "清明节"),
    ("2026-05-01", "2026-05-05", "劳动节"),
    ("2026-06-19", "2026-06-21", "端午节"),
    ("2026-09-25", "2026-09-27", "中秋节"),
    ("2026-10-01", "2026-10-07", "国庆节"),
)
# Weekend days worked instead (调休 make-up working days), with ordinary weekday hours.
MAKEUP_WORKDAYS_2026: tuple[tuple[str, str], ...] = (
    ("2026-01-04", "元旦调休上班"),
    ("2026-02-14", "春节调休上班"),
    ("2026-02-28", "春节调休上班"),
    ("2026-05-09", "劳动节调休上班"),
    ("2026-09-20", "国庆节调休上班"),
    ("2026-10-10", "国庆节调休上班"),
)

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程"
)
_GIVEN = "伟芳娜敏静丽强磊洋艳勇军杰娟涛明超秀霞平刚桂英华玉萍红鹏辉燕玲婷晨浩宇欣怡佳琳嘉颖峰"

_ZJZWFW = "https://www.zjzwfw.gov.cn/"
_ONLINE_NOTE_ZH = "可通过浙里办APP或浙江政务服务网在线办理，无需到现场。"
_ONLINE_NOTE_EN = "Also available online via the Zheliban app or the Zhejiang government portal."


@dataclass(frozen=True)
class HallSpec:
    """One hall of the demo city."""

    id: str
    short: str
    name: str
    name_en: str
    address: str
    lat: float
    lon: float
    weekly: Mapping[str, list[list[str]]]
    services: tuple[ServiceSpec, ...]
    windows: tuple[WindowSpec, ...]
    keeps_calendar: bool = True
    no_show_mode: str = "cancel"
    extra_calendar: tuple[dict[str, Any], ...] = field(default_factory=tuple)


APPOINTMENTS: dict[str, dict[str, dict[str, int]]] = {
    CIVIC_HALL_ID: {
        "civic-exit-entry": {"slot_minutes": 30, "capacity_per_slot": 4},
        "civic-business-licence": {"slot_minutes": 60, "capacity_per_slot": 3},
    },
    "estate-center": {
        "estate-transfer": {"slot_minutes": 60, "capacity_per_slot": 4},
        "estate-mortgage": {"slot_minutes": 60, "capacity_per_slot": 3},
        "estate-reissue": {"slot_minutes": 40, "capacity_per_slot": 2},
    },
    "fund-center": {
        "fund-loan": {"slot_minutes": 60, "capacity_per_slot": 3},
        "fund-account": {"slot_minutes": 30, "capacity_per_slot": 4},
    },
}
"""Services that take appointments in the demo (hall → service → slot length and capacity),
the longer errands that halls usually book ahead."""

HALLS: tuple[HallSpec, ...] = (
    HallSpec(
        id=CIVIC_HALL_ID,
        short="civic",
        name="杭州市民中心",
        name_en="Hangzhou Citizen Service Centre",
        address="浙江省杭州市上城区解放东路18号市民中心D座",
        lat=30.24436,
        lon=120.21082,
        weekly=dict.fromkeys(WEEKDAYS, ALL_DAY),
        services=CIVIC_SERVICES,
        windows=CIVIC_WINDOWS,
        keeps_calendar=False,
        no_show_mode="requeue",
    ),
    HallSpec(
        id="estate-center",
        short="estate",
        name="杭州市不动产登记服务中心",
        name_en="Hangzhou Real Estate Registration Service Centre",
        address="浙江省杭州市拱墅区环城北路318号",
        lat=30.27738,
        lon=120.16905,
        weekly={**dict.fromkeys(WEEKDAYS[:5], WORKDAY_HOURS), "sat": [], "sun": []},
        services=ESTATE_SERVICES,
        windows=ESTATE_WINDOWS,
        extra_calendar=(
            {
                "day": "2026-02-08",
                "kind": "special",
                "note": "春节前周末专场（仅上午）",
                "intervals": [["09:00", "12:00"]],
            },
        ),
    ),
    HallSpec(
        id="fund-center",
        short="fund",
        name="杭州住房公积金管理中心",
        name_en="Hangzhou Housing Provident Fund Management Centre",
        address="浙江省杭州市西湖区文三路152号",
        lat=30.27961,
        lon=120.13874,
        weekly={**dict.fromkeys(WEEKDAYS[:5], WORKDAY_HOURS), "sat": SATURDAY_MORNING, "sun": []},
        services=FUND_SERVICES,
        windows=FUND_WINDOWS,
        extra_calendar=({"day": "2026-07-18", "kind": "closed", "note": "系统升级，暂停对外服务"},),
    ),
)


def service_traits() -> dict[str, tuple[float, float]]:
    """Every demo service's ``(typical_minutes, popularity)``, for the simulated traffic."""
    return {
        spec.id: (spec.typical_minutes, spec.popularity) for hall in HALLS for spec in hall.services
    }


def holiday_calendar_2026() -> list[dict[str, Any]]:
    """The 2026 public holidays, one entry per day, and the make-up working days."""
    entries: list[dict[str, Any]] = []
    for first, last, note in HOLIDAYS_2026:
        day, end = date.fromisoformat(first), date.fromisoformat(last)
        while day <= end:
            entries.append({"day": day.isoformat(), "kind": "holiday", "note": note})
            day += timedelta(days=1)
    for text, note in MAKEUP_WORKDAYS_2026:
        entries.append({"day": text, "kind": "workday", "note": note, "as_weekday": 0})
    return sorted(entries, key=lambda entry: str(entry["day"]))


def build_site(rng: random.Random) -> tuple[dict[str, Any], dict[str, Any]]:
    """The demo site definition and the credentials of its staff.

    ``site`` is what the server imports; ``credentials`` is what the demo writes to
    ``credentials.json`` (``kiosk_tokens`` is filled in once the kiosks are registered).
    """
    names = _NamePicker(rng)
    halls: list[dict[str, Any]] = []
    staff: list[dict[str, Any]] = []
    clerks: list[dict[str, str]] = []
    manager_password = secrets.token_urlsafe(12)
    staff.append(
        {
            "username": MANAGER_USERNAME,
            "password": manager_password,
            "role": "manager",
            "halls": ["*"],
            "window_id": None,
            "display_name": f"{names.pick()}（值班主任）",
        }
    )
    for hall in HALLS:
        windows: list[dict[str, Any]] = []
        for window in hall.windows:
            window_id = f"{hall.short}-w{window.number:02d}"
            clerk: str | None = None
            if window.staffed:
                clerk = f"clerk-{hall.short}-{window.number:02d}"
                password = secrets.token_urlsafe(12)
                staff.append(
                    {
                        "username": clerk,
                        "password": password,
                        "role": "clerk",
                        "halls": [hall.id],
                        "window_id": window_id,
                        "display_name": names.pick(),
                    }
                )
                clerks.append({"username": clerk, "password": password, "window_id": window_id})
            windows.append(
                {
                    "id": window_id,
                    "number": window.number,
                    "state": window.state,
                    "profile": dict(window.profile),
                    "clerk": clerk,
                }
            )
        halls.append(_hall_definition(hall, windows, rng))
    site = {"halls": halls, "staff": staff}
    credentials = {
        "manager": {"username": MANAGER_USERNAME, "password": manager_password},
        "clerks": clerks,
        "kiosk_tokens": {},
    }
    return site, credentials


def _hall_definition(
    hall: HallSpec, windows: list[dict[str, Any]], rng: random.Random
) -> dict[str, Any]:
    calendar: list[dict[str, Any]] = []
    if hall.keeps_calendar:
        calendar = sorted(
            [*holiday_calendar_2026(), *(dict(entry) for entry in hall.extra_calendar)],
            key=lambda entry: str(entry["day"]),
        )
    return {
        "id": hall.id,
        "name": hall.name,
        "name_en": hall.name_en,
        "address": hall.address,
        "lat": hall.lat,
        "lon": hall.lon,
        "schedule": {
            "timezone": TIMEZONE,
            "weekly": {day: [list(pair) for pair in hall.weekly[day]] for day in WEEKDAYS},
            "calendar": calendar,
            "issuing_cutoff_minutes": 15,
            "day_start_hour": 4,
        },
        "rules": {
            "policy": {
                "green_bonus": 30,
                "appointment_bonus": 15,
                "starvation_cap": 30,
                "recall_limit": 3,
                "no_show": {"mode": hall.no_show_mode, "requeue_behind": 3},
            },
            "green_age": 70,
            "capacity_policy": "warn",
            "retention_days": 30,
        },
        "services": [_service_definition(spec, hall, rng) for spec in hall.services],
        "windows": windows,
    }


def _service_definition(spec: ServiceSpec, hall: HallSpec, rng: random.Random) -> dict[str, Any]:
    daily_quota: int | None = None
    slot_quotas: list[dict[str, Any]] = []
    if spec.quota_range is not None:
        low, high = spec.quota_range
        daily_quota = rng.randrange(low, high + 1, 10)
        if spec.split_slots:
            # Roughly 55 % of the day's numbers in the morning, the rest in the afternoon.
            morning = round(daily_quota * 0.55)
            (first, second) = hall.weekly["mon"]
            slot_quotas = [
                {"start": first[0], "end": first[1], "limit": morning},
                {"start": second[0], "end": second[1], "limit": daily_quota - morning},
            ]
    return {
        "id": spec.id,
        "code": spec.code,
        "prefix": spec.prefix,
        "name": spec.name,
        "name_en": spec.name_en,
        "department": spec.department,
        "rules": {
            "daily_quota": daily_quota,
            "slot_quotas": slot_quotas,
            "id_required": spec.id_required,
            "typical_minutes": float(spec.typical_minutes),
        },
        "info": {
            "materials": [{"zh": zh, "en": en} for zh, en in spec.materials],
            "online_url": _ZJZWFW if spec.online else None,
            "online_note_zh": _ONLINE_NOTE_ZH if spec.online else None,
            "online_note_en": _ONLINE_NOTE_EN if spec.online else None,
        },
    }


class _NamePicker:
    """Distinct two- or three-character Chinese names for the staff."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[str] = set()

    def pick(self) -> str:
        while True:
            length = self._rng.choice((1, 2, 2))
            name = self._rng.choice(_SURNAMES) + "".join(
                self._rng.choice(_GIVEN) for _ in range(length)
            )
            if name not in self._used:
                self._used.add(name)
                return name
