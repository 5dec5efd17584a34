"""Opening hours, calendar and business day of a hall."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queue_server.domain.schedule import (
    CALENDAR_KINDS,
    SEARCH_DAYS,
    CalendarEntry,
    HallSchedule,
    Interval,
    InvalidSchedule,
)

SHANGHAI = "Asia/Shanghai"
BERLIN = "Europe/Berlin"

OFFICE_DAY = [["09:00", "12:00"], ["13:30", "17:00"]]
HALL_JSON: dict[str, Any] = {
    "timezone": SHANGHAI,
    "weekly": {
        "mon": OFFICE_DAY,
        "tue": OFFICE_DAY,
        "wed": OFFICE_DAY,
        "thu": OFFICE_DAY,
        "fri": [["09:00", "12:00"], ["13:30", "16:00"]],
        "sat": [["09:00", "12:00"]],
    },
    "calendar": [
        {"day": "2026-09-15", "kind": "closed", "note": "停电检修"},
        {"day": "2026-10-01", "kind": "holiday", "note": "国庆"},
        {"day": "2026-10-02", "kind": "holiday", "note": "国庆"},
        {
            "day": "2026-10-03",
            "kind": "special",
            "intervals": [["09:00", "11:30"], ["14:00", "17:00"]],
        },
        {"day": "2026-10-10", "kind": "workday", "as_weekday": "fri", "note": "调休"},
        {"day": "2026-10-11", "kind": "workday", "note": "调休"},
    ],
}
HALL = HallSchedule.from_dict(HALL_JSON)
ROUND_THE_CLOCK = HallSchedule(SHANGHAI, tuple((Interval(0, 1440),) for _ in range(7)))


def at_local(text: str, tz: str = SHANGHAI) -> datetime:
    """``"2026-09-28 09:00"`` in the hall's zone, as a UTC instant."""
    naive = datetime.fromisoformat(text)
    return naive.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# -- intervals and the JSON form ------------------------------------------------------------


def test_interval_parse_and_text() -> None:
    interval = Interval.parse("9:05", "24:00")
    assert (interval.start_minute, interval.end_minute) == (545, 1440)
    assert (interval.start_text, interval.end_text) == ("09:05", "24:00")
    assert not interval.is_all_day
    assert Interval.parse("00:00", "24:00").is_all_day


@pytest.mark.parametrize(
    ("start", "end"), [("24:00", "24:00"), ("12:00", "12:00"), ("13:00", "12:00"), ("9", "10:00")]
)
def test_interval_parse_rejects(start: str, end: str) -> None:
    with pytest.raises(InvalidSchedule):
        Interval.parse(start, end)


@pytest.mark.parametrize(("start", "end"), [(-1, 10), (10, 1441), (600, 600)])
def test_interval_bounds(start: int, end: int) -> None:
    with pytest.raises(InvalidSchedule):
        Interval(start, end)


def test_from_dict_reads_weekly_and_calendar() -> None:
    assert HALL.weekly[0] == (Interval(540, 720), Interval(810, 1020))
    assert HALL.weekly[6] == ()
    assert HALL.calendar[1] == CalendarEntry(date(2026, 10, 1), "holiday", note="国庆")
    assert HALL.calendar[4].as_weekday == 4
    assert (HALL.issuing_cutoff_minutes, HALL.day_start_hour) == (15, 4)


def test_to_dict_round_trips_through_json() -> None:
    again = HallSchedule.from_dict(json.loads(json.dumps(HALL.to_dict(), ensure_ascii=False)))
    assert again == HALL
    assert HALL.to_dict()["weekly"]["sun"] == []
    assert HALL.to_dict()["calendar"][4] == {
        "day": "2026-10-10",
        "kind": "workday",
        "as_weekday": "fri",
        "note": "调休",
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"weekly": {"mon": [["09:00", "12:00"]], "xyz": []}}, "unknown weekly keys: xyz"),
        ({"opening": {}}, "unknown schedule keys: opening"),
        ({"timezone": "Mars/Olympus"}, "unknown timezone"),
        ({"timezone": None}, "timezone must be"),
        ({"weekly": {"mon": [["09:00", "12:00"], ["11:00", "17:00"]]}}, "must not overlap"),
        ({"weekly": {"mon": [["13:00", "17:00"], ["09:00", "12:00"]]}}, "in order"),
        ({"weekly": {"mon": [["09:00", "25:00"]]}}, "not a time"),
        ({"weekly": {"mon": [["09:00"]]}}, "an interval is"),
        ({"weekly": {"mon": "09:00-17:00"}}, "expected a list"),
        ({"weekly": []}, "weekly must map"),
        ({"calendar": [{"day": "2026-10-01", "kind": "party"}]}, "calendar kind"),
        ({"calendar": [{"day": "10/01/2026", "kind": "holiday"}]}, "YYYY-MM-DD"),
        ({"calendar": [{"day": "2026-10-01", "kind": "special"}]}, "special session"),
        (
            {
                "calendar": [
                    {"day": "2026-10-01", "kind": "holiday", "intervals": [["09:00", "10:00"]]}
                ]
            },
            "special session",
        ),
        ({"calendar": [{"day": "2026-10-01", "kind": "holiday", "as_weekday": 0}]}, "as_weekday"),
        ({"calendar": [{"day": "2026-10-01", "kind": "workday", "as_weekday": 7}]}, "as_weekday"),
        ({"calendar": [{"day": "2026-10-01", "kind": "closed", "why": "x"}]}, "unknown calendar"),
        ({"calendar": ["2026-10-01"]}, "is an object"),
        (
            {
                "calendar": [
                    {"day": "2026-10-01", "kind": "closed"},
                    {"day": "2026-10-01", "kind": "holiday"},
                ]
            },
            "same day",
        ),
        ({"issuing_cutoff_minutes": -1}, "issuing_cutoff_minutes"),
        ({"issuing_cutoff_minutes": "15"}, "whole number"),
        ({"day_start_hour": 24}, "day_start_hour"),
        ({"day_start_hour": True}, "whole number"),
    ],
)
def test_from_dict_rejects(change: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidSchedule, match=message):
        HallSchedule.from_dict({"timezone": SHANGHAI} | change)


def test_missing_weekdays_are_closed_and_defaults_apply() -> None:
    schedule = HallSchedule.from_dict(
        {"timezone": SHANGHAI, "weekly": {"wed": [["00:00", "24:00"]]}}
    )
    assert [bool(day) for day in schedule.weekly] == [
        False,
        False,
        True,
        False,
        False,
        False,
        False,
    ]
    assert schedule.calendar == ()
    assert schedule.issuing_cutoff_minutes == 15


def test_weekly_needs_seven_days() -> None:
    with pytest.raises(InvalidSchedule, match="7 days"):
        HallSchedule(SHANGHAI, ((),) * 6)


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        HALL.is_open(datetime(2026, 9, 28, 10, 0))


# -- which hours apply on a day -------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "hours"),
    [
        ("2026-09-28", [("09:00", "12:00"), ("13:30", "17:00")]),  # a Monday
        ("2026-09-25", [("09:00", "12:00"), ("13:30", "16:00")]),  # Friday closes early
        ("2026-09-26", [("09:00", "12:00")]),  # Saturday morning
        ("2026-09-27", []),  # Sunday
        ("2026-09-15", []),  # ad-hoc closure on a Tuesday
        ("2026-10-01", []),  # National Day
        ("2026-10-03", [("09:00", "11:30"), ("14:00", "17:00")]),  # special session
        ("2026-10-10", [("09:00", "12:00"), ("13:30", "16:00")]),  # Saturday worked as a Friday
        ("2026-10-11", [("09:00", "12:00"), ("13:30", "17:00")]),  # Sunday worked as a Monday
    ],
)
def test_intervals_on(day: str, hours: list[tuple[str, str]]) -> None:
    intervals = HALL.intervals_on(date.fromisoformat(day))
    assert [(i.start_text, i.end_text) for i in intervals] == hours


@pytest.mark.parametrize(
    ("day", "closes"),
    [
        ("2026-09-28", time(17, 0)),
        ("2026-09-25", time(16, 0)),
        ("2026-09-26", time(12, 0)),
        ("2026-09-27", None),
        ("2026-10-01", None),
    ],
)
def test_closes_at(day: str, closes: time | None) -> None:
    assert HALL.closes_at(date.fromisoformat(day)) == closes


def test_serving_intervals_utc() -> None:
    assert HALL.serving_intervals_utc(date(2026, 9, 28)) == [
        (utc("2026-09-28 01:00"), utc("2026-09-28 04:00")),
        (utc("2026-09-28 05:30"), utc("2026-09-28 09:00")),
    ]
    assert HALL.serving_intervals_utc(date(2026, 10, 1)) == []


# -- questions about an instant --------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "is_open", "is_serving", "issuing"),
    [
        ("2026-09-28 08:59", False, False, False),
        ("2026-09-28 09:00", True, True, True),
        ("2026-09-28 11:44:59", True, True, True),
        ("2026-09-28 11:45", True, True, False),  # issuing stops 15 minutes before lunch
        ("2026-09-28 12:00", True, False, False),  # lunch break: doors open, nobody serves
        ("2026-09-28 13:29", True, False, False),
        ("2026-09-28 13:30", True, True, True),
        ("2026-09-28 16:44", True, True, True),
        ("2026-09-28 16:45", True, True, False),
        ("2026-09-28 17:00", False, False, False),
        ("2026-09-25 15:50", True, True, False),  # Friday closes at 16:00
        ("2026-09-27 10:00", False, False, False),  # Sunday
        ("2026-09-15 10:00", False, False, False),  # closure
        ("2026-10-01 10:00", False, False, False),  # holiday
        ("2026-10-03 11:20", True, True, False),  # special session ends 11:30
        ("2026-10-03 12:00", True, False, False),  # its long lunch
        ("2026-10-03 14:00", True, True, True),
        ("2026-10-11 16:00", True, True, True),  # Sunday worked with Monday hours
        ("2026-10-10 15:50", True, True, False),  # Saturday worked with Friday hours
    ],
)
def test_open_serving_issuing(local: str, is_open: bool, is_serving: bool, issuing: bool) -> None:
    at = at_local(local)
    assert (HALL.is_open(at), HALL.is_serving(at), HALL.issuing_now(at)) == (
        is_open,
        is_serving,
        issuing,
    )


@pytest.mark.parametrize(
    ("local", "minutes"),
    [
        ("2026-09-28 10:00", 420.0),
        ("2026-09-28 12:30", 270.0),  # lunch counts: the doors stay open
        ("2026-09-28 16:59:30", 0.5),
        ("2026-09-28 17:00", None),
        ("2026-09-27 10:00", None),
    ],
)
def test_minutes_until_close(local: str, minutes: float | None) -> None:
    assert HALL.minutes_until_close(at_local(local)) == minutes


@pytest.mark.parametrize(
    ("local", "next_start"),
    [
        ("2026-09-28 10:00", "2026-09-28 10:00"),  # issuing now: now
        ("2026-09-28 07:00", "2026-09-28 09:00"),
        ("2026-09-28 11:50", "2026-09-28 13:30"),  # after the pre-lunch cut-off
        ("2026-09-28 17:30", "2026-09-29 09:00"),
        ("2026-09-26 12:00", "2026-09-28 09:00"),  # Saturday noon -> Monday
        ("2026-09-14 17:00", "2026-09-16 09:00"),  # skips the closure
        ("2026-09-30 17:00", "2026-10-03 09:00"),  # skips the holidays to the special session
        ("2026-10-09 16:00", "2026-10-10 09:00"),  # the make-up Saturday
    ],
)
def test_next_issuing_start(local: str, next_start: str) -> None:
    assert HALL.next_issuing_start(at_local(local)) == at_local(next_start)


def test_next_issuing_start_gives_up_after_the_search_window() -> None:
    closed = HallSchedule(SHANGHAI, ((),) * 7)
    assert closed.next_issuing_start(utc("2026-01-01 00:00")) is None
    monday_only = HallSchedule(SHANGHAI, ((Interval(540, 600),), (), (), (), (), (), ()))
    long_closure = tuple(
        CalendarEntry(date(2026, 9, 28) + timedelta(weeks=w), "closed") for w in range(10)
    )
    shut = HallSchedule(SHANGHAI, monday_only.weekly, calendar=long_closure)
    assert shut.next_issuing_start(at_local("2026-09-27 12:00")) is None
    assert monday_only.next_issuing_start(at_local("2026-09-27 12:00")) == at_local(
        "2026-09-28 09:00"
    )


# -- the business day ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "day_start_hour", "business_day"),
    [
        ("2026-09-28 03:59:59", 4, "2026-09-27"),
        ("2026-09-28 04:00", 4, "2026-09-28"),
        ("2026-09-28 23:59", 4, "2026-09-28"),
        ("2026-09-29 00:30", 4, "2026-09-28"),  # 延时服务 after midnight: still Monday's tickets
        ("2026-09-28 00:00", 0, "2026-09-28"),
        ("2026-09-27 23:59", 0, "2026-09-27"),
    ],
)
def test_business_day(local: str, day_start_hour: int, business_day: str) -> None:
    schedule = HallSchedule(SHANGHAI, HALL.weekly, day_start_hour=day_start_hour)
    assert schedule.business_day(at_local(local)) == date.fromisoformat(business_day)


def test_business_day_uses_the_hall_zone_not_utc() -> None:
    # 2026-09-27 20:30 UTC is already Monday 04:30 in Shanghai.
    assert HALL.business_day(utc("2026-09-27 20:30")) == date(2026, 9, 28)


# -- 24-hour halls ---------------------------------------------------------------------------


@pytest.mark.parametrize("local", ["2026-09-28 00:00", "2026-09-28 03:59", "2026-09-28 23:59:59"])
def test_round_the_clock_hall_is_always_open_and_issuing(local: str) -> None:
    at = at_local(local)
    assert ROUND_THE_CLOCK.is_open(at)
    assert ROUND_THE_CLOCK.is_serving(at)
    assert ROUND_THE_CLOCK.issuing_now(at)
    assert ROUND_THE_CLOCK.minutes_until_close(at) is None
    assert ROUND_THE_CLOCK.next_issuing_start(at) == at
    assert ROUND_THE_CLOCK.closes_at(date(2026, 9, 28)) is None


def test_round_the_clock_hall_still_has_business_days() -> None:
    assert ROUND_THE_CLOCK.business_day(at_local("2026-09-28 03:59")) == date(2026, 9, 27)
    assert ROUND_THE_CLOCK.business_day(at_local("2026-09-28 04:00")) == date(2026, 9, 28)


def test_periods_continue_across_midnight() -> None:
    """An evening session to 24:00 followed by 00:00-02:00 is one period: no cut-off at 23:45."""
    late = HallSchedule(
        SHANGHAI,
        ((Interval(1200, 1440),), (Interval(0, 120),), (), (), (), (), ()),
    )
    assert late.issuing_now(at_local("2026-09-28 23:50"))
    assert late.minutes_until_close(at_local("2026-09-28 23:00")) == 180.0
    assert late.closes_at(date(2026, 9, 28)) is None
    assert late.closes_at(date(2026, 9, 29)) == time(2, 0)
    assert not late.issuing_now(at_local("2026-09-29 01:45"))


def test_a_day_open_round_the_clock_before_a_holiday_stops_issuing_before_midnight() -> None:
    holiday_after = HallSchedule(
        SHANGHAI,
        ROUND_THE_CLOCK.weekly,
        calendar=(CalendarEntry(date(2026, 9, 29), "holiday"),),
    )
    assert holiday_after.issuing_now(at_local("2026-09-28 23:44"))
    assert not holiday_after.issuing_now(at_local("2026-09-28 23:45"))
    assert holiday_after.minutes_until_close(at_local("2026-09-28 23:00")) == 60.0
    assert holiday_after.next_issuing_start(at_local("2026-09-28 23:50")) == at_local(
        "2026-09-30 00:00"
    )


# -- daylight saving time --------------------------------------------------------------------

BERLIN_HALL = HallSchedule.from_dict(
    {
        "timezone": BERLIN,
        "weekly": {day: [["08:00", "12:00"], ["13:00", "16:00"]] for day in ("mon", "fri")}
        | {"sun": [["00:00", "24:00"]]},
        "day_start_hour": 3,
    }
)


def test_berlin_hours_follow_the_clock_change() -> None:
    # Winter (UTC+1) and summer (UTC+2) Mondays around the 2026-03-29 change.
    assert BERLIN_HALL.serving_intervals_utc(date(2026, 3, 23))[0][0] == utc("2026-03-23 07:00")
    assert BERLIN_HALL.serving_intervals_utc(date(2026, 3, 30))[0][0] == utc("2026-03-30 06:00")
    assert BERLIN_HALL.next_issuing_start(utc("2026-10-24 12:00")) == utc("2026-10-24 22:00")


def test_the_short_and_the_long_day_last_23_and_25_hours() -> None:
    spring = BERLIN_HALL.serving_intervals_utc(date(2026, 3, 29))
    autumn = BERLIN_HALL.serving_intervals_utc(date(2026, 10, 25))
    assert spring[0][1] - spring[0][0] == timedelta(hours=23)
    assert autumn[0][1] - autumn[0][0] == timedelta(hours=25)
    assert BERLIN_HALL.minutes_until_close(utc("2026-03-28 23:00")) == 23 * 60
    assert BERLIN_HALL.minutes_until_close(utc("2026-10-24 22:00")) == 25 * 60


def test_berlin_business_day_at_the_clock_change() -> None:
    # Autumn: 02:00-03:00 local happens twice; the day still starts once, at 03:00.
    assert BERLIN_HALL.business_day(utc("2026-10-25 00:30")) == date(2026, 10, 24)  # 02:30 CEST
    assert BERLIN_HALL.business_day(utc("2026-10-25 01:30")) == date(2026, 10, 24)  # 02:30 CET
    assert BERLIN_HALL.business_day(utc("2026-10-25 02:00")) == date(2026, 10, 25)  # 03:00 CET
    # Spring: 02:00-03:00 does not exist; 03:00 CEST is the start of the day.
    assert BERLIN_HALL.business_day(utc("2026-03-29 00:59")) == date(2026, 3, 28)
    assert BERLIN_HALL.business_day(utc("2026-03-29 01:00")) == date(2026, 3, 29)


def test_times_skipped_by_the_spring_clock_change() -> None:
    spring_sunday = date(2026, 3, 29)  # 02:00 CET jumps to 03:00 CEST (01:00 UTC)
    within_gap = CalendarEntry(spring_sunday, "special", (Interval(120, 150),))
    across_gap = CalendarEntry(spring_sunday, "special", (Interval(60, 150), Interval(180, 210)))
    empty = HallSchedule(BERLIN, ((),) * 7, calendar=(within_gap,))
    assert empty.serving_intervals_utc(spring_sunday) == []
    assert empty.next_issuing_start(utc("2026-03-28 12:00")) is None
    cut = HallSchedule(BERLIN, ((),) * 7, calendar=(across_gap,), issuing_cutoff_minutes=0)
    assert cut.serving_intervals_utc(spring_sunday) == [
        (utc("2026-03-29 00:00"), utc("2026-03-29 01:00")),
        (utc("2026-03-29 01:00"), utc("2026-03-29 01:30")),
    ]
    assert cut.minutes_until_close(utc("2026-03-29 00:30")) == 60.0


def test_times_repeated_by_the_autumn_clock_change_mean_the_first() -> None:
    autumn_sunday = date(2026, 10, 25)  # 03:00 CEST falls back to 02:00 CET (01:00 UTC)
    entry = CalendarEntry(autumn_sunday, "special", (Interval(150, 200),))
    schedule = HallSchedule(BERLIN, ((),) * 7, calendar=(entry,))
    assert schedule.serving_intervals_utc(autumn_sunday) == [
        (utc("2026-10-25 00:30"), utc("2026-10-25 02:20"))
    ]


# -- properties ------------------------------------------------------------------------------

START = datetime(2026, 1, 1)
END = datetime(2027, 1, 1)


@st.composite
def day_intervals(draw: st.DrawFn) -> tuple[Interval, ...]:
    cuts = sorted(draw(st.sets(st.integers(0, 1440), max_size=6)))
    if len(cuts) % 2:
        cuts = cuts[:-1]
    return tuple(Interval(a, b) for a, b in zip(cuts[::2], cuts[1::2], strict=True))


@st.composite
def calendar_entries(draw: st.DrawFn) -> CalendarEntry:
    day = draw(st.dates(START.date(), END.date()))
    kind = draw(st.sampled_from(CALENDAR_KINDS))
    if kind == "special":
        intervals = draw(day_intervals().filter(bool))
        return CalendarEntry(day, kind, intervals)
    weekday = draw(st.none() | st.integers(0, 6)) if kind == "workday" else None
    return CalendarEntry(day, kind, as_weekday=weekday)


@st.composite
def schedules(draw: st.DrawFn) -> HallSchedule:
    entries = draw(st.lists(calendar_entries(), max_size=8, unique_by=lambda e: e.day))
    return HallSchedule(
        timezone=draw(st.sampled_from([SHANGHAI, BERLIN])),
        weekly=tuple(draw(day_intervals()) for _ in range(7)),
        calendar=tuple(entries),
        issuing_cutoff_minutes=draw(st.integers(0, 120)),
        day_start_hour=draw(st.integers(0, 23)),
    )


# Whole seconds keep float minutes exact enough to step back from a closing time.
instants = st.datetimes(START, END, timezones=st.just(UTC)).map(lambda d: d.replace(microsecond=0))
clock_changes = st.sampled_from([utc("2026-03-29 01:00"), utc("2026-10-25 01:00")])
near_clock_change = st.builds(
    lambda base, seconds: base + timedelta(seconds=seconds),
    clock_changes,
    st.integers(-3 * 86400, 3 * 86400),
)
any_instant = instants | near_clock_change


@given(schedules(), any_instant)
def test_issuing_implies_serving_implies_open(schedule: HallSchedule, at: datetime) -> None:
    if schedule.issuing_now(at):
        assert schedule.is_serving(at)
    if schedule.is_serving(at):
        assert schedule.is_open(at)


@given(schedules(), any_instant, st.integers(0, 3 * 86400))
def test_business_day_never_goes_back(schedule: HallSchedule, at: datetime, later: int) -> None:
    assert schedule.business_day(at) <= schedule.business_day(at + timedelta(seconds=later))


@given(schedules(), any_instant)
def test_business_day_is_the_local_date_or_the_one_before(
    schedule: HallSchedule, at: datetime
) -> None:
    local = at.astimezone(ZoneInfo(schedule.timezone))
    expected = (
        local.date() if local.hour >= schedule.day_start_hour else local.date() - timedelta(1)
    )
    assert schedule.business_day(at) == expected


@given(schedules())
def test_json_round_trip(schedule: HallSchedule) -> None:
    assert HallSchedule.from_dict(json.loads(json.dumps(schedule.to_dict()))) == schedule


@settings(max_examples=60)
@given(schedules(), any_instant, st.floats(0, 1, exclude_max=True))
def test_next_issuing_start_is_the_first_issuing_moment(
    schedule: HallSchedule, at: datetime, fraction: float
) -> None:
    start = schedule.next_issuing_start(at)
    if start is None:
        assert not schedule.issuing_now(at)
        return
    assert at <= start <= at + timedelta(days=SEARCH_DAYS)
    assert schedule.issuing_now(start)
    assert schedule.is_serving(start)
    between = at + (start - at) * fraction
    if between < start:
        assert not schedule.issuing_now(between)


@given(schedules(), any_instant, st.floats(0, 0.99))
def test_doors_stay_open_until_the_announced_close(
    schedule: HallSchedule, at: datetime, fraction: float
) -> None:
    minutes = schedule.minutes_until_close(at)
    if minutes is None:
        return
    assert minutes > 0
    assert schedule.is_open(at)
    assert schedule.is_open(at + timedelta(minutes=minutes * fraction))
    assert not schedule.is_open(at + timedelta(minutes=minutes))


@given(schedules(), st.dates(START.date(), END.date()))
def test_serving_intervals_are_ordered_and_inside_the_day(
    schedule: HallSchedule, day: date
) -> None:
    spans = schedule.serving_intervals_utc(day)
    for start, end in spans:
        assert start < end
        assert all(schedule.is_serving(start + (end - start) * f) for f in (0, 0.5))
    for (_, end), (start, _) in pairwise(spans):
        assert end <= start


@settings(max_examples=500)
@given(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
    st.integers(min_value=0, max_value=5),
    st.sampled_from([SHANGHAI, BERLIN]),
)
def test_a_business_day_starts_at_its_day_start_utc(day: date, start_hour: int, zone: str) -> None:
    schedule = HallSchedule(zone, tuple(() for _ in range(7)), day_start_hour=start_hour)
    begins = schedule.day_start_utc(day)
    assert begins.tzinfo is not None
    assert schedule.business_day(begins) == day
    assert schedule.business_day(begins - timedelta(microseconds=1)) == day - timedelta(days=1)
