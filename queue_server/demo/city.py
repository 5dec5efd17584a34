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
class ServiceSpec:
    """One service (事项) of the demo city, before the random choices are made."""

    id: str
    code: str
    prefix: str
    name: str
    name_en: str
    department: str
    typical_minutes: float
    popularity: float
    materials: tuple[tuple[str, str], ...]
    quota_range: tuple[int, int] | None = None
    split_slots: bool = False
    id_required: bool = True
    online: bool = False


@dataclass(frozen=True)
class WindowSpec:
    """One counter: its number, services with weights, starting state and whether staffed."""

    number: int
    profile: Mapping[str, float]
    state: str = "open"
    staffed: bool = True


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


def _id_card() -> tuple[str, str]:
    return ("居民身份证原件", "Original resident identity card")


_CIVIC_SERVICES = (
    ServiceSpec(
        id="civic-social-card",
        code="330100-GG-00217-003",
        prefix="A",
        name="社保卡补办",
        name_en="Social security card replacement",
        department="杭州市人力资源和社会保障局",
        typical_minutes=8,
        popularity=3.0,
        materials=(
            _id_card(),
            (
                "近期免冠彩色照片一张（可现场拍照）",
                "One recent colour photo (can be taken on site)",
            ),
            ("原社保卡（损坏换卡时提供）", "The old card, when replacing a damaged one"),
        ),
        online=True,
    ),
    ServiceSpec(
        id="civic-medical",
        code="330100-GG-00305-001",
        prefix="B",
        name="医保业务（参保登记、异地就医备案）",
        name_en="Medical insurance (enrolment, out-of-town care registration)",
        department="杭州市医疗保障局",
        typical_minutes=10,
        popularity=2.5,
        materials=(
            _id_card(),
            ("社会保障卡", "Social security card"),
            (
                "异地就医备案表（备案时提供）",
                "Out-of-town care registration form, when registering",
            ),
        ),
        online=True,
    ),
    ServiceSpec(
        id="civic-hukou",
        code="330100-QR-00112-002",
        prefix="C",
        name="户籍证明开具",
        name_en="Household registration certificate",
        department="杭州市公安局",
        typical_minutes=6,
        popularity=2.0,
        materials=(
            _id_card(),
            ("居民户口簿", "Household register booklet (hukou)"),
            (
                "委托他人办理的，提供委托书及受托人身份证",
                "Power of attorney and agent's ID if by proxy",
            ),
        ),
    ),
    ServiceSpec(
        id="civic-exit-entry",
        code="330100-XK-00421-001",
        prefix="D",
        name="出入境证件办理（护照、往来港澳通行证）",
        name_en="Exit-entry documents (passport, Hong Kong and Macao permit)",
        department="杭州市公安局出入境管理局",
        typical_minutes=12,
        popularity=2.0,
        materials=(
            _id_card(),
            ("现场采集照片和指纹", "Photo and fingerprints taken on site"),
            ("原证件（换发、补发时提供）", "The previous document, when renewing or replacing"),
        ),
    ),
    ServiceSpec(
        id="civic-business-licence",
        code="330100-XK-00036-005",
        prefix="E",
        name="营业执照办理（企业设立登记）",
        name_en="Business licence (company registration)",
        department="杭州市市场监督管理局",
        typical_minutes=20,
        popularity=1.2,
        materials=(
            ("公司登记（备案）申请书", "Company registration application form"),
            ("公司章程", "Articles of association"),
            (
                "股东主体资格证明或自然人身份证件",
                "Shareholders' certificates or identity documents",
            ),
            ("住所使用证明", "Proof of the registered address"),
        ),
        online=True,
    ),
    ServiceSpec(
        id="civic-consult",
        code="330100-GG-00001-001",
        prefix="F",
        name="综合咨询与帮办代办",
        name_en="General enquiries and assisted filing",
        department="杭州市数据资源管理局（市民中心服务管理办公室）",
        typical_minutes=5,
        popularity=1.5,
        materials=(("无需材料", "No documents needed"),),
        id_required=False,
    ),
)

_CIVIC_ALL = {spec.id: 1.0 for spec in _CIVIC_SERVICES}

_CIVIC_WINDOWS = (
    WindowSpec(1, _CIVIC_ALL),  # 无差别综合窗口
    WindowSpec(2, _CIVIC_ALL),
    WindowSpec(3, {"civic-social-card": 2.0, "civic-medical": 1.0}),
    WindowSpec(4, {"civic-medical": 2.0, "civic-social-card": 1.0}),
    WindowSpec(5, {"civic-hukou": 2.0, "civic-exit-entry": 0.5}),
    WindowSpec(6, {"civic-exit-entry": 2.0}),
    WindowSpec(7, {"civic-exit-entry": 2.0, "civic-hukou": 1.0}),
    WindowSpec(8, {"civic-business-licence": 2.0}),
    WindowSpec(9, {"civic-business-licence": 2.0, "civic-consult": 0.0}),
    WindowSpec(
        10,
        {"civic-consult": 2.0, "civic-social-card": 0.0, "civic-medical": 0.0, "civic-hukou": 0.0},
    ),
)

_ESTATE_SERVICES = (
    ServiceSpec(
        id="estate-transfer",
        code="330100-QR-00208-001",
        prefix="A",
        name="不动产转移登记（二手房过户）",
        name_en="Real estate transfer registration (resale)",
        department="杭州市规划和自然资源局（不动产登记服务中心）",
        typical_minutes=25,
        popularity=3.0,
        materials=(
            ("买卖双方居民身份证原件", "Original ID cards of buyer and seller"),
            ("不动产权证书原件", "Original real estate title certificate"),
            ("网签存量房买卖合同", "Registered resale contract"),
            ("完税凭证（税费可现场缴纳）", "Tax receipt (taxes may be paid on site)"),
        ),
        quota_range=(140, 200),
        split_slots=True,
    ),
    ServiceSpec(
        id="estate-mortgage",
        code="330100-QR-00211-002",
        prefix="B",
        name="不动产抵押登记",
        name_en="Mortgage registration",
        department="杭州市规划和自然资源局（不动产登记服务中心）",
        typical_minutes=18,
        popularity=2.0,
        materials=(
            ("抵押人、抵押权人身份证明", "Identity documents of mortgagor and mortgagee"),
            ("不动产权证书", "Real estate title certificate"),
            ("主债权合同及抵押合同", "Loan contract and mortgage contract"),
        ),
        quota_range=(100, 160),
        online=True,
    ),
    ServiceSpec(
        id="estate-records",
        code="330100-GG-00219-001",
        prefix="C",
        name="不动产登记资料查询",
        name_en="Real estate register enquiry",
        department="杭州市规划和自然资源局（不动产登记服务中心）",
        typical_minutes=6,
        popularity=2.5,
        materials=(
            _id_card(),
            ("查询申请书（现场填写）", "Enquiry application (filled in on site)"),
        ),
        online=True,
    ),
    ServiceSpec(
        id="estate-reissue",
        code="330100-QR-00215-003",
        prefix="D",
        name="不动产权证书补证换证",
        name_en="Title certificate replacement",
        department="杭州市规划和自然资源局（不动产登记服务中心）",
        typical_minutes=15,
        popularity=0.8,
        materials=(
            _id_card(),
            ("遗失声明或损坏的原证书", "Loss statement, or the damaged certificate"),
        ),
        quota_range=(50, 80),
    ),
)

_ESTATE_WINDOWS = (
    WindowSpec(1, {"estate-transfer": 2.0, "estate-mortgage": 1.0}),
    WindowSpec(2, {"estate-transfer": 2.0, "estate-mortgage": 1.0}),
    WindowSpec(3, {"estate-mortgage": 2.0, "estate-transfer": 1.0}),
    WindowSpec(4, {"estate-records": 2.0, "estate-reissue": 0.0}),
    WindowSpec(5, {"estate-reissue": 2.0, "estate-records": 1.0}),
    # AB岗 backup counter, opened by a manager when the queue grows.
    WindowSpec(6, {"estate-transfer": 1.0, "estate-mortgage": 1.0}, "closed", staffed=False),
)

_FUND_SERVICES = (
    ServiceSpec(
        id="fund-withdrawal",
        code="330100-JF-00102-001",
        prefix="A",
        name="住房公积金提取",
        name_en="Housing provident fund withdrawal",
        department="杭州住房公积金管理中心",
        typical_minutes=8,
        popularity=3.0,
        materials=(
            _id_card(),
            ("本人银行卡（一类账户）", "Own bank card (type I account)"),
            ("购房合同、租赁备案或还贷证明", "Purchase contract, rental record or loan statement"),
        ),
        quota_range=(280, 400),
        online=True,
    ),
    ServiceSpec(
        id="fund-loan",
        code="330100-JF-00108-002",
        prefix="B",
        name="住房公积金贷款受理",
        name_en="Provident fund mortgage application",
        department="杭州住房公积金管理中心",
        typical_minutes=22,
        popularity=1.5,
        materials=(
            (
                "借款人及配偶身份证、户口簿、婚姻证明",
                "Borrower's and spouse's IDs, hukou, marriage proof",
            ),
            ("购房合同及首付款发票", "Purchase contract and down-payment invoice"),
            ("收入证明", "Proof of income"),
        ),
        quota_range=(60, 100),
        split_slots=True,
    ),
    ServiceSpec(
        id="fund-account",
        code="330100-GG-00110-001",
        prefix="C",
        name="公积金缴存与转移接续",
        name_en="Provident fund contributions and account transfer",
        department="杭州住房公积金管理中心",
        typical_minutes=10,
        popularity=1.5,
        materials=(
            _id_card(),
            (
                "单位经办人授权委托书（单位业务）",
                "Employer's authorisation letter (employer business)",
            ),
        ),
        online=True,
    ),
)

_FUND_WINDOWS = (
    WindowSpec(1, {"fund-withdrawal": 2.0, "fund-account": 1.0}),
    WindowSpec(2, {"fund-withdrawal": 2.0, "fund-account": 1.0}),
    WindowSpec(3, {"fund-loan": 2.0}),
    WindowSpec(4, {"fund-loan": 2.0, "fund-withdrawal": 0.0}),
    WindowSpec(5, {"fund-account": 2.0, "fund-withdrawal": 1.0}, "closed", staffed=False),
)

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
        services=_CIVIC_SERVICES,
        windows=_CIVIC_WINDOWS,
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
        services=_ESTATE_SERVICES,
        windows=_ESTATE_WINDOWS,
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
        services=_FUND_SERVICES,
        windows=_FUND_WINDOWS,
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
