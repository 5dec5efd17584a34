"""The pure appointment rules: working days, slots, the release horizon, caps, the no-show
block and arrival classes. Tables for the cases halls publish, hypothesis for the invariants."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queue_server.domain import appointments as rules
from queue_server.domain.appointments import BookingRules, InvalidRules, ServiceBooking
from queue_server.domain.schedule import HallSchedule
from tests.appointments.conftest import office_site

SCHEDULE = HallSchedule.from_dict(office_site()["halls"][0]["schedule"])
DEFAULTS = BookingRules()


def at(day: str, hhmm: str) -> datetime:
    """A Shanghai wall time as a UTC instant."""
    local = datetime.fromisoformat(f"{day}T{hhmm}:00+08:00")
    return local.astimezone(UTC)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2026-11-23", True),  # Monday
        ("2026-11-27", False),  # Friday, a public holiday
        ("2026-11-28", False),  # Saturday
        ("2026-11-29", False),  # Sunday
        ("2026-12-05", True),  # Saturday, a make-up working day
    ],
)
def test_working_days_follow_the_calendar(day: str, working: bool) -> None:
    assert rules.is_working_day(SCHEDULE, date.fromisoformat(day)) is working


def test_slots_stay_inside_opening_hours_and_never_cross_lunch_or_closing() -> None:
    starts = [s.start.astimezone(UTC) for s in rules.slots_on(SCHEDULE, date(2026, 11, 24), 60)]
    assert starts == [
        at("2026-11-24", hhmm) for hhmm in ("09:00", "10:00", "11:00", "13:30", "14:30", "15:30")
    ]
    assert rules.slots_on(SCHEDULE, date(2026, 11, 27), 60) == []
    assert len(rules.slots_on(SCHEDULE, date(2026, 12, 5), 60)) == 6


@pytest.mark.parametrize(
    ("now", "first", "last", "next_release"),
    [
        (("2026-11-23", "10:00"), "2026-11-24", "2026-11-30", ("2026-11-23", "16:40")),
        (("2026-11-23", "16:40"), "2026-11-24", "2026-12-01", ("2026-11-24", "16:40")),
        (("2026-11-26", "17:00"), "2026-11-30", "2026-12-04", ("2026-11-30", "16:40")),
        (("2026-11-27", "17:00"), "2026-11-30", "2026-12-04", ("2026-11-30", "16:40")),
        (("2026-11-29", "12:00"), "2026-11-30", "2026-12-04", ("2026-11-30", "16:40")),
        (("2026-11-30", "16:41"), "2026-12-01", "2026-12-05", ("2026-12-01", "16:40")),
    ],
)
def test_the_horizon_counts_working_days_and_opens_at_the_release_time(
    now: tuple[str, str], first: str, last: str, next_release: tuple[str, str]
) -> None:
    instant = at(*now)
    days = rules.bookable_days(SCHEDULE, DEFAULTS, instant)
    assert (days[0].isoformat(), days[-1].isoformat()) == (first, last)
    assert all(rules.is_working_day(SCHEDULE, d) for d in days)
    assert rules.next_release(SCHEDULE, DEFAULTS, instant) == at(*next_release)


def test_same_day_booking_when_min_days_ahead_is_zero_offers_only_slots_not_started() -> None:
    same_day = BookingRules(min_days_ahead=0)
    booking = ServiceBooking(True, 60, 5)
    slots = rules.open_slots(SCHEDULE, same_day, booking, at("2026-11-23", "10:30"))
    assert slots[0].start == at("2026-11-23", "11:00")


@pytest.mark.parametrize(
    ("same_day", "same_week", "refusal"),
    [(0, 0, None), (0, 1, None), (1, 1, "daily_limit"), (0, 2, "weekly_limit")],
)
def test_per_person_caps(same_day: int, same_week: int, refusal: str | None) -> None:
    assert rules.limit_reached(DEFAULTS, same_day, same_week) == refusal


def test_week_runs_monday_to_sunday() -> None:
    assert rules.week_of(date(2026, 11, 29)) == (date(2026, 11, 23), date(2026, 11, 29))


def test_two_no_shows_within_ninety_days_block_bookings_for_ninety_days() -> None:
    first, second = at("2026-06-01", "10:00"), at("2026-07-01", "10:00")
    until = rules.blocked_until(DEFAULTS, [first, second], second + timedelta(days=1))
    assert until == second + timedelta(days=90)
    assert rules.blocked_until(DEFAULTS, [first, second], second + timedelta(days=91)) is None
    far_apart = [first, first + timedelta(days=91)]
    assert rules.blocked_until(DEFAULTS, far_apart, far_apart[1]) is None
    assert rules.blocked_until(DEFAULTS, [first], first) is None


@pytest.mark.parametrize(
    ("hhmm", "arrival"),
    [
        ("09:49", "early"),
        ("09:50", "on_time"),
        ("11:00", "on_time"),
        ("11:15", "on_time"),
        ("11:16", "late"),
    ],
)
def test_arrival_classes(hhmm: str, arrival: str) -> None:
    start, end = at("2026-11-24", "10:00"), at("2026-11-24", "11:00")
    assert rules.classify_arrival(start, end, at("2026-11-24", hhmm), 10, 15) == arrival


def test_cancel_cut_off_is_before_the_slot() -> None:
    start = at("2026-11-24", "10:00")
    assert rules.cancel_until(DEFAULTS, start) == at("2026-11-24", "08:00")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"release_time": "25:00"}, "release_time"),
        ({"max_days_ahead": 0}, "max_days_ahead"),
        ({"min_days_ahead": 6}, "min_days_ahead"),
        ({"per_person_per_day": 3}, "per_person_per_day"),
        ({"late_grace_minutes": True}, "late_grace_minutes"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_rules_name_their_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidRules) as refused:
        BookingRules.from_dict({**DEFAULTS.to_dict(), **change})
    assert refused.value.field == field


days = st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31))
minutes = st.integers(min_value=10, max_value=240)
instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 20), timezones=st.just(UTC)
)


@given(days, minutes)
def test_every_slot_lies_inside_one_opening_interval(day: date, length: int) -> None:
    spans = SCHEDULE.serving_intervals_utc(day)
    for slot in rules.slots_on(SCHEDULE, day, length):
        assert slot.end - slot.start == timedelta(minutes=length)
        assert any(start <= slot.start and slot.end <= end for start, end in spans)


@given(instants, st.integers(min_value=0, max_value=3), st.integers(min_value=1, max_value=8))
def test_open_slots_are_future_working_day_slots_within_the_horizon(
    now: datetime, low: int, high: int
) -> None:
    booking_rules = BookingRules(min_days_ahead=min(low, high), max_days_ahead=high)
    today = now.astimezone(ZoneInfo("Asia/Shanghai")).date()
    for slot in rules.open_slots(SCHEDULE, booking_rules, ServiceBooking(True, 60, 1), now):
        assert slot.start > now
        assert rules.is_working_day(SCHEDULE, slot.day)
        ahead = rules.working_days_between(SCHEDULE, today, slot.day)
        assert booking_rules.min_days_ahead <= ahead <= booking_rules.max_days_ahead


@given(st.lists(instants, max_size=6), instants)
def test_a_block_never_outlasts_block_days_after_the_last_no_show(
    no_shows: list[datetime], now: datetime
) -> None:
    until = rules.blocked_until(DEFAULTS, no_shows, now)
    if until is not None:
        assert until > now
        assert until <= max(no_shows) + timedelta(days=DEFAULTS.block_days)
        assert len(no_shows) >= DEFAULTS.no_show_limit


@given(instants, st.integers(min_value=0, max_value=120), st.integers(min_value=0, max_value=60))
def test_arrival_classes_move_forward_in_time(now: datetime, early: int, grace: int) -> None:
    start = datetime(2026, 6, 1, 2, tzinfo=UTC)
    order = ["early", "on_time", "late"]
    before = rules.classify_arrival(start, start + timedelta(hours=1), now, early, grace)
    later = rules.classify_arrival(
        start, start + timedelta(hours=1), now + timedelta(minutes=5), early, grace
    )
    assert order.index(before) <= order.index(later)
