"""The demo city's shape and rules, the generated ID numbers, and the traffic against a stub."""

from __future__ import annotations

import asyncio
import random
import socket
import statistics
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from queue_server.demo.city import (
    CIVIC_HALL_ID,
    HOLIDAYS_2026,
    MAKEUP_WORKDAYS_2026,
    build_site,
    service_traits,
)
from queue_server.demo.traffic import (
    arrivals_per_minute,
    citizen_id_number,
    load_factor,
    make_id_number,
    run_traffic,
    service_minutes,
)
from queue_server.domain.ids import IdKind, age_on, parse_id_number
from queue_server.domain.models import HallRules, ServiceRules, SlotQuota, WindowState
from queue_server.domain.schedule import HallSchedule

SHANGHAI = ZoneInfo("Asia/Shanghai")
SITE, CREDENTIALS = build_site(random.Random(2026))
HALLS: list[dict[str, Any]] = SITE["halls"]
HALL_BY_ID = {hall["id"]: hall for hall in HALLS}
CIVIC = HALL_BY_ID[CIVIC_HALL_ID]
OTHER_HALLS = [hall for hall in HALLS if hall["id"] != CIVIC_HALL_ID]
SERVICES = [(hall, service) for hall in HALLS for service in hall["services"]]
WINDOWS = [(hall, window) for hall in HALLS for window in hall["windows"]]

HALL_KEYS = {"id", "name", "name_en", "address", "lat", "lon", "schedule", "rules", "services"}
HALL_KEYS |= {"windows"}
SERVICE_KEYS = {"id", "code", "prefix", "name", "name_en", "department", "rules", "info"}
WINDOW_KEYS = {"id", "number", "state", "profile", "clerk"}
STAFF_KEYS = {"username", "password", "role", "halls", "window_id", "display_name"}


def local(day: str, hhmm: str) -> datetime:
    """A local Shanghai wall-clock time as an aware instant."""
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=SHANGHAI)


def schedule(hall: dict[str, Any]) -> HallSchedule:
    return HallSchedule.from_dict(hall["schedule"])


# -- size and identity --------------------------------------------------------------------


def test_the_city_is_big_enough() -> None:
    assert len(HALLS) >= 3
    assert len(SERVICES) >= 10
    assert len(WINDOWS) >= 15


def test_definition_uses_exactly_the_import_keys() -> None:
    assert set(SITE) == {"halls", "staff"}
    for hall in HALLS:
        assert set(hall) == HALL_KEYS
        assert set(hall["rules"]) == {"policy", "green_age", "capacity_policy", "retention_days"}
    for _, service in SERVICES:
        assert set(service) == SERVICE_KEYS
        assert set(service["rules"]) == {
            "daily_quota",
            "slot_quotas",
            "id_required",
            "typical_minutes",
        }
        assert set(service["info"]) == {
            "materials",
            "online_url",
            "online_note_zh",
            "online_note_en",
        }
    for _, window in WINDOWS:
        assert set(window) == WINDOW_KEYS
    for member in SITE["staff"]:
        assert set(member) == STAFF_KEYS


@pytest.mark.parametrize(
    ("what", "ids"),
    [
        ("halls", [hall["id"] for hall in HALLS]),
        ("services", [service["id"] for _, service in SERVICES]),
        ("windows", [window["id"] for _, window in WINDOWS]),
        ("staff", [member["username"] for member in SITE["staff"]]),
        ("item codes", [service["code"] for _, service in SERVICES]),
    ],
)
def test_ids_are_unique_across_the_site(what: str, ids: list[str]) -> None:
    duplicates = [value for value, n in Counter(ids).items() if n > 1]
    assert not duplicates, f"duplicate {what}: {duplicates}"


@pytest.mark.parametrize("hall", HALLS, ids=lambda hall: hall["id"])
def test_prefixes_and_window_numbers_are_unique_within_a_hall(hall: dict[str, Any]) -> None:
    prefixes = [service["prefix"] for service in hall["services"]]
    assert len(set(prefixes)) == len(prefixes)
    assert all(len(p) == 1 and p.isascii() and p.isupper() for p in prefixes)
    numbers = [window["number"] for window in hall["windows"]]
    assert len(set(numbers)) == len(numbers)
    assert all(isinstance(n, int) and n > 0 for n in numbers)


@pytest.mark.parametrize("hall", HALLS, ids=lambda hall: hall["id"])
def test_hall_is_in_hangzhou_with_bilingual_names(hall: dict[str, Any]) -> None:
    assert hall["name"]
    assert hall["name_en"].isascii()
    assert hall["address"].startswith("浙江省杭州市")
    # GCJ-02 coordinates of central Hangzhou.
    assert 30.1 < hall["lat"] < 30.4
    assert 120.0 < hall["lon"] < 120.4
    HallRules.from_dict(hall["rules"])


@pytest.mark.parametrize(
    ("hall", "service"), SERVICES, ids=[service["id"] for _, service in SERVICES]
)
def test_service_is_realistic(hall: dict[str, Any], service: dict[str, Any]) -> None:
    assert service["id"].startswith(hall["id"].split("-")[0] + "-")
    assert service["name"]
    assert service["name_en"].isascii()
    assert service["department"]
    assert service["code"].startswith("330100-")
    rules = service["rules"]
    ServiceRules(
        daily_quota=rules["daily_quota"],
        slot_quotas=tuple(SlotQuota(**slot) for slot in rules["slot_quotas"]),
        id_required=rules["id_required"],
        typical_minutes=rules["typical_minutes"],
    )
    assert 5 <= rules["typical_minutes"] <= 25
    if rules["daily_quota"] is not None and rules["slot_quotas"]:
        assert sum(slot["limit"] for slot in rules["slot_quotas"]) == rules["daily_quota"]
    materials = service["info"]["materials"]
    assert materials
    assert all(item["zh"] and item["en"] and item["en"].isascii() for item in materials)
    online = service["info"]
    assert (online["online_url"] is None) == (online["online_note_zh"] is None)


# -- windows ------------------------------------------------------------------------------


@pytest.mark.parametrize(("hall", "window"), WINDOWS, ids=[w["id"] for _, w in WINDOWS])
def test_window_profile_names_services_of_its_own_hall(
    hall: dict[str, Any], window: dict[str, Any]
) -> None:
    own = {service["id"] for service in hall["services"]}
    assert window["profile"]
    assert set(window["profile"]) <= own
    assert all(weight >= 0 for weight in window["profile"].values())
    assert any(weight > 0 for weight in window["profile"].values())
    WindowState(window["state"])


def test_profiles_mix_combined_single_and_fallback_windows() -> None:
    served = [[w for w in window["profile"].values() if w > 0] for _, window in WINDOWS]
    assert any(len(weights) >= 2 for weights in served), "a 综合窗口 serves several services"
    assert any(len(weights) == 1 for weights in served), "some windows serve one service"
    zero = [window["id"] for _, window in WINDOWS if 0 in window["profile"].values()]
    assert zero, "a weight-0 fallback exists somewhere"


@pytest.mark.parametrize(
    ("hall", "service"), SERVICES, ids=[service["id"] for _, service in SERVICES]
)
def test_every_service_has_an_open_staffed_window(
    hall: dict[str, Any], service: dict[str, Any]
) -> None:
    assert any(
        window["profile"].get(service["id"], 0) > 0
        and window["state"] == "open"
        and window["clerk"]
        for window in hall["windows"]
    )


# -- the 24-hour civic centre -------------------------------------------------------------


def test_civic_center_is_open_around_the_clock() -> None:
    weekly = CIVIC["schedule"]["weekly"]
    assert set(weekly) == {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
    assert all(intervals == [["00:00", "24:00"]] for intervals in weekly.values())
    assert not any(entry["kind"] != "workday" for entry in CIVIC["schedule"]["calendar"])


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)))
def test_civic_center_issues_at_any_instant(moment: datetime) -> None:
    at = moment.replace(tzinfo=UTC)
    civic = schedule(CIVIC)
    assert civic.is_open(at)
    assert civic.issuing_now(at)


def test_civic_center_issues_on_holidays_and_at_midnight() -> None:
    civic = schedule(CIVIC)
    for moment in (
        local("2026-02-17", "03:00"),
        local("2026-10-01", "23:59"),
        local("2026-05-03", "00:00"),
    ):
        assert civic.issuing_now(moment)
    assert civic.closes_at(date(2026, 10, 1)) is None


def test_civic_center_has_at_least_eight_open_staffed_windows() -> None:
    open_windows = [w for w in CIVIC["windows"] if w["state"] == "open" and w["clerk"]]
    assert len(open_windows) >= 8
    assert all(w["clerk"] for w in CIVIC["windows"] if w["state"] == "open")


@pytest.mark.parametrize("service", CIVIC["services"], ids=lambda service: service["id"])
def test_civic_quotas_admit_a_thousand_tickets_an_hour(service: dict[str, Any]) -> None:
    rules = service["rules"]
    assert rules["daily_quota"] is None
    assert all(slot["limit"] >= 1000 for slot in rules["slot_quotas"])


# -- ordinary halls -----------------------------------------------------------------------


@pytest.mark.parametrize("hall", OTHER_HALLS, ids=lambda hall: hall["id"])
@pytest.mark.parametrize(
    ("day", "hhmm", "issuing"),
    [
        ("2026-03-03", "08:59", False),  # Tuesday, before opening
        ("2026-03-03", "09:00", True),
        ("2026-03-03", "11:44", True),
        ("2026-03-03", "11:50", False),  # issuing cut-off before lunch
        ("2026-03-03", "12:30", False),  # lunch break
        ("2026-03-03", "13:30", True),
        ("2026-03-03", "16:50", False),  # cut-off before closing
        ("2026-03-03", "20:00", False),
        ("2026-03-08", "10:00", False),  # Sunday
        ("2026-01-01", "10:00", False),  # 元旦
        ("2026-02-18", "10:00", False),  # 春节
        ("2026-04-06", "10:00", False),  # 清明节 (Monday)
        ("2026-05-04", "10:00", False),  # 劳动节 (Monday)
        ("2026-06-19", "10:00", False),  # 端午节 (Friday)
        ("2026-09-25", "10:00", False),  # 中秋节 (Friday)
        ("2026-10-01", "10:00", False),  # 国庆节
        ("2026-10-07", "15:00", False),
        ("2026-01-04", "10:00", True),  # Sunday worked instead (调休)
        ("2026-02-28", "15:00", True),  # Saturday worked instead, full day
        ("2026-10-10", "14:00", True),
        ("2026-10-08", "10:00", True),  # back to work after the break
    ],
)
def test_ordinary_hall_hours(hall: dict[str, Any], day: str, hhmm: str, issuing: bool) -> None:
    assert schedule(hall).issuing_now(local(day, hhmm)) is issuing


@pytest.mark.parametrize("hall", OTHER_HALLS, ids=lambda hall: hall["id"])
def test_ordinary_hall_has_a_lunch_break_and_closes_at_five(hall: dict[str, Any]) -> None:
    hours = schedule(hall)
    lunch = local("2026-03-04", "12:45")
    assert hours.is_open(lunch)
    assert not hours.is_serving(lunch)
    closing = hours.closes_at(date(2026, 3, 4))
    assert closing is not None
    assert closing.strftime("%H:%M") == "17:00"


def test_one_ordinary_hall_opens_saturday_morning() -> None:
    saturday = local("2026-03-07", "10:00")
    afternoon = local("2026-03-07", "14:00")
    open_saturday = [hall["id"] for hall in OTHER_HALLS if schedule(hall).issuing_now(saturday)]
    assert open_saturday
    assert not any(schedule(hall).issuing_now(afternoon) for hall in OTHER_HALLS)


@pytest.mark.parametrize("hall", OTHER_HALLS, ids=lambda hall: hall["id"])
def test_calendar_lists_2026_holidays_and_makeup_days(hall: dict[str, Any]) -> None:
    calendar = {entry["day"]: entry for entry in hall["schedule"]["calendar"]}
    for first, last, note in HOLIDAYS_2026:
        day = date.fromisoformat(first)
        while day <= date.fromisoformat(last):
            assert calendar[day.isoformat()]["kind"] == "holiday"
            assert calendar[day.isoformat()]["note"] == note
            day += timedelta(days=1)
    workdays = [entry for entry in calendar.values() if entry["kind"] == "workday"]
    assert len(workdays) == len(MAKEUP_WORKDAYS_2026) >= 2
    assert all(date.fromisoformat(entry["day"]).weekday() >= 5 for entry in workdays)
    assert all(entry["as_weekday"] == 0 for entry in workdays)


# -- staff and credentials ----------------------------------------------------------------


def test_credentials_have_exactly_the_documented_shape() -> None:
    assert set(CREDENTIALS) == {"manager", "clerks", "kiosk_tokens"}
    assert set(CREDENTIALS["manager"]) == {"username", "password"}
    assert CREDENTIALS["manager"]["username"] == "manager"
    assert CREDENTIALS["kiosk_tokens"] == {}
    assert CREDENTIALS["clerks"]
    for clerk in CREDENTIALS["clerks"]:
        assert set(clerk) == {"username", "password", "window_id"}
        assert all(isinstance(value, str) and value for value in clerk.values())


def test_manager_manages_every_hall() -> None:
    managers = [member for member in SITE["staff"] if member["role"] == "manager"]
    assert len(managers) == 1
    manager = managers[0]
    assert manager["username"] == "manager"
    assert manager["halls"] == ["*"]
    assert manager["window_id"] is None
    assert manager["password"] == CREDENTIALS["manager"]["password"]


def test_one_clerk_per_staffed_window() -> None:
    clerks = {m["username"]: m for m in SITE["staff"] if m["role"] == "clerk"}
    staffed = {window["clerk"]: (hall, window) for hall, window in WINDOWS if window["clerk"]}
    assert set(clerks) == set(staffed)
    for username, member in clerks.items():
        hall, window = staffed[username]
        assert member["window_id"] == window["id"]
        assert member["halls"] == [hall["id"]]
        assert username.startswith("clerk-")
    credentials = {clerk["username"]: clerk for clerk in CREDENTIALS["clerks"]}
    assert set(credentials) == set(clerks)
    for username, clerk in credentials.items():
        assert clerk["password"] == clerks[username]["password"]
        assert clerk["window_id"] == clerks[username]["window_id"]


def test_every_clerks_window_exists() -> None:
    window_ids = {window["id"] for _, window in WINDOWS}
    assert all(clerk["window_id"] in window_ids for clerk in CREDENTIALS["clerks"])


def test_passwords_are_long_and_distinct() -> None:
    passwords = [member["password"] for member in SITE["staff"]]
    assert all(len(password) >= 16 for password in passwords)
    assert len(set(passwords)) == len(passwords)


def _without_passwords(site: dict[str, Any]) -> dict[str, Any]:
    staff = [{k: v for k, v in member.items() if k != "password"} for member in site["staff"]]
    return {"halls": site["halls"], "staff": staff}


@settings(max_examples=20, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_one_seed_gives_one_city_apart_from_passwords(seed: int) -> None:
    first, first_credentials = build_site(random.Random(seed))
    second, second_credentials = build_site(random.Random(seed))
    assert _without_passwords(first) == _without_passwords(second)
    assert first_credentials["manager"]["password"] != second_credentials["manager"]["password"]
    names = [member["display_name"] for member in first["staff"]]
    assert len(set(names)) == len(names)


def test_service_traits_cover_every_service() -> None:
    traits = service_traits()
    assert set(traits) == {service["id"] for _, service in SERVICES}
    for hall, service in SERVICES:
        minutes, popularity = traits[service["id"]]
        assert minutes == service["rules"]["typical_minutes"], hall["id"]
        assert popularity > 0


# -- ID numbers ---------------------------------------------------------------------------


@settings(max_examples=300)
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    ages=st.tuples(st.integers(0, 110), st.integers(0, 110)).map(sorted),
    today=st.dates(min_value=date(2015, 1, 1), max_value=date(2040, 12, 31)),
)
def test_generated_id_numbers_pass_the_check_digit(seed: int, ages: list[int], today: date) -> None:
    min_age, max_age = ages
    value = make_id_number(random.Random(seed), min_age, max_age, today)
    assert len(value) == 18
    parsed = parse_id_number(value)  # raises on a wrong GB 11643 check digit
    assert parsed.value == value
    assert parsed.kind is IdKind.RESIDENT
    assert parsed.birth is not None
    assert min_age <= age_on(parsed.birth, today) <= max_age


@pytest.mark.parametrize(
    ("today", "min_age", "max_age"),
    [(date(2024, 2, 29), 70, 70), (date(2028, 2, 29), 0, 0), (date(2026, 3, 1), 20, 20)],
)
def test_exact_ages_around_leap_days(today: date, min_age: int, max_age: int) -> None:
    rng = random.Random(7)
    for _ in range(200):
        birth = parse_id_number(make_id_number(rng, min_age, max_age, today)).birth
        assert birth is not None
        assert age_on(birth, today) == min_age


@pytest.mark.parametrize(("min_age", "max_age"), [(-1, 10), (30, 20)])
def test_impossible_age_ranges_are_refused(min_age: int, max_age: int) -> None:
    with pytest.raises(ValueError):
        make_id_number(random.Random(1), min_age, max_age, date(2026, 1, 1))


def test_citizens_include_elders_for_the_age_rule() -> None:
    rng = random.Random(3)
    today = date(2026, 6, 1)
    ages = []
    for _ in range(2000):
        birth = parse_id_number(citizen_id_number(rng, today)).birth
        assert birth is not None
        assert 1940 <= birth.year <= 2005
        ages.append(age_on(birth, today))
    elders = sum(age >= 70 for age in ages) / len(ages)
    assert 0.07 < elders < 0.18
    assert min(ages) >= 21


# -- traffic shape ------------------------------------------------------------------------


def test_arrivals_peak_in_the_morning_and_afternoon() -> None:
    assert load_factor(10.0) > load_factor(12.5) < load_factor(15.0)
    assert load_factor(3.0) < load_factor(12.5)
    assert max(load_factor(h / 4) for h in range(96)) < 1.2
    assert all(load_factor(h / 4) > 0 for h in range(96))


@pytest.mark.parametrize(
    ("hour", "windows", "minutes"), [(3.0, 10, 10.0), (10.0, 10, 10.0), (15.0, 0, 8.0), (10, 80, 5)]
)
def test_arrival_rate_stays_demo_friendly(hour: float, windows: int, minutes: float) -> None:
    assert 1.0 <= arrivals_per_minute(hour, windows, minutes) <= 4.0


def test_service_minutes_have_the_typical_mean_and_spread() -> None:
    rng = random.Random(11)
    draws = [service_minutes(rng, 10.0) for _ in range(20000)]
    assert statistics.fmean(draws) == pytest.approx(10.0, rel=0.05)
    assert statistics.pstdev(draws) / statistics.fmean(draws) == pytest.approx(0.5, abs=0.08)
    assert all(0 < d <= 40.0 for d in draws)


# -- traffic against a stub server --------------------------------------------------------


class StubHall:
    """Just enough of the HTTP contract to watch the simulated actors at work."""

    def __init__(self) -> None:
        self.waiting: list[dict[str, Any]] = []
        self.id_numbers: list[str] = []
        self.actions: Counter[str] = Counter()
        self.issued = 0
        self.busy = asyncio.Event()

    def _note_progress(self) -> None:
        if self.issued >= 5 and self.actions["finish"] >= 2:
            self.busy.set()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/v1/auth/login", self.login)
        app.router.add_get("/api/v1/halls", self.halls)
        app.router.add_get("/api/v1/halls/{hall_id}/windows", self.windows)
        app.router.add_post("/api/v1/halls/{hall_id}/tickets", self.issue)
        app.router.add_post("/api/v1/windows/{window_id}/{action}", self.act)
        return app

    async def login(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body["password"] != "secret-password":
            return web.json_response({"error": {"code": "forbidden", "message": "no"}}, status=401)
        role = "manager" if body["username"] == "manager" else "clerk"
        return web.json_response({"token": f"staff-{body['username']}", "role": role})

    async def halls(self, request: web.Request) -> web.Response:
        services = [{"id": "civic-consult"}, {"id": "civic-hukou"}]
        hall = {"id": "civic-center", "issuing_now": True, "services": services}
        return web.json_response({"halls": [hall]})

    async def windows(self, request: web.Request) -> web.Response:
        assert request.headers["Authorization"] == "Bearer staff-manager"
        return web.json_response({"windows": [{"id": "civic-w01", "state": "open"}]})

    async def issue(self, request: web.Request) -> web.Response:
        assert request.headers["Authorization"] == "Bearer kiosk-token"
        body = await request.json()
        self.id_numbers.append(body["id_number"])
        if len(self.id_numbers) % 7 == 0:
            conflict = {"error": {"code": "duplicate_ticket", "message": "already has one"}}
            return web.json_response(conflict, status=409)
        self.issued += 1
        ticket = {"id": f"t{self.issued}", "number": f"F{self.issued:03d}"}
        ticket["service_id"] = body["service_id"]
        self.waiting.append(ticket)
        self._note_progress()
        return web.json_response({"ticket": ticket}, status=201)

    async def act(self, request: web.Request) -> web.Response:
        assert request.headers["Authorization"] == "Bearer staff-clerk-civic-01"
        action = request.match_info["action"]
        self.actions[action] += 1
        self._note_progress()
        if action == "call-next":
            if not self.waiting:
                return web.Response(status=204)
            return web.json_response({"ticket": self.waiting.pop(0)})
        return web.json_response({"ticket": {"id": "t", "number": "F000"}})


def _credentials() -> dict[str, Any]:
    return {
        "manager": {"username": "manager", "password": "secret-password"},
        "clerks": [
            {"username": "clerk-civic-01", "password": "secret-password", "window_id": "civic-w01"}
        ],
        "kiosk_tokens": {},
    }


async def test_traffic_issues_valid_tickets_serves_them_and_stops_promptly(
    aiohttp_server: Any,
) -> None:
    stub = StubHall()
    server = await aiohttp_server(stub.app())
    stop = asyncio.Event()
    run = asyncio.create_task(
        run_traffic(
            str(server.make_url("/")),
            _credentials(),
            {"civic-center": "kiosk-token"},
            stop,
            speed=2000.0,
            rng=random.Random(5),
        )
    )
    loop = asyncio.get_running_loop()
    await asyncio.wait_for(stub.busy.wait(), timeout=15.0)
    stopped_at = loop.time()
    stop.set()
    await asyncio.wait_for(run, timeout=2.0)
    assert loop.time() - stopped_at < 1.0
    assert stub.issued >= 5
    assert stub.actions["call-next"] >= 2
    assert stub.actions["start"] >= 2
    assert stub.actions["finish"] >= 2
    for value in stub.id_numbers:
        assert parse_id_number(value).kind is IdKind.RESIDENT


async def test_traffic_survives_an_unreachable_server() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    stop = asyncio.Event()
    run = asyncio.create_task(
        run_traffic(
            f"http://127.0.0.1:{port}", _credentials(), {"civic-center": "kiosk-token"}, stop
        )
    )
    await asyncio.sleep(1.5)
    assert not run.done()
    stop.set()
    await asyncio.wait_for(run, timeout=1.5)


async def test_traffic_returns_at_once_when_already_stopped() -> None:
    stop = asyncio.Event()
    stop.set()
    await asyncio.wait_for(run_traffic("http://127.0.0.1:9", _credentials(), {}, stop), 1.0)


async def test_traffic_refuses_a_non_positive_speed() -> None:
    with pytest.raises(ValueError, match="speed"):
        await run_traffic("http://127.0.0.1:9", _credentials(), {}, asyncio.Event(), speed=0)
