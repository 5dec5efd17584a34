"""Appointments (预约): slots, the booking horizon, per-person caps, cancellation, the no-show
block and how an arrival is classed.

Days ahead are counted in *working days* of the hall's calendar: a day with opening hours
that is not a special session (weekly hours, or a make-up working day 调休); public holidays,
closures and special sessions take no bookings. A day's slots are released at the hall's
``release_time`` (local) on the working day ``max_days_ahead`` working days before it, the
way halls publish "new slots daily at 16:40".

Everything here is pure: the hall schedule and the instant are passed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from queue_server.domain.schedule import HallSchedule

SEARCH_DAYS = 60
STATUSES = ("booked", "checked_in", "cancelled", "no_show")
_NO_BOOKING = ("holiday", "closed", "special")
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


class InvalidRules(ValueError):
    """A rule value out of range; ``field`` names it for the 422 answer."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


_HALL_RANGES: dict[str, tuple[int, int]] = {
    "min_days_ahead": (0, 30),
    "max_days_ahead": (1, 60),
    "per_person_per_day": (1, 10),
    "per_person_per_week": (1, 50),
    "cancel_before_minutes": (0, 10_080),
    "late_grace_minutes": (0, 240),
    "no_show_limit": (1, 100),
    "no_show_window_days": (1, 730),
    "block_days": (0, 730),
}
SERVICE_RANGES: dict[str, tuple[int, int]] = {
    "slot_minutes": (10, 240),
    "capacity_per_slot": (0, 500),
}


def _check_int(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidRules(name, f"must be a whole number from {low} to {high}")


@dataclass(frozen=True)
class BookingRules:
    """A hall's appointment rules (defaults from real halls, see the remote visitors doc)."""

    min_days_ahead: int = 1
    max_days_ahead: int = 5
    release_time: str = "16:40"
    per_person_per_day: int = 1
    per_person_per_week: int = 2
    cancel_before_minutes: int = 120
    late_grace_minutes: int = 15
    no_show_limit: int = 2
    no_show_window_days: int = 90
    block_days: int = 90

    def __post_init__(self) -> None:
        for name, (low, high) in _HALL_RANGES.items():
            _check_int(name, getattr(self, name), low, high)
        if not _HHMM.match(str(self.release_time)):
            raise InvalidRules("release_time", "must be HH:MM (00:00 to 23:59)")
        if self.min_days_ahead > self.max_days_ahead:
            raise InvalidRules("min_days_ahead", "must not exceed max_days_ahead")
        if self.per_person_per_day > self.per_person_per_week:
            raise InvalidRules("per_person_per_day", "must not exceed per_person_per_week")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BookingRules:
        """Build from stored or submitted JSON; unknown keys are refused by name."""
        known = {f.name for f in fields(cls)}
        for key in data:
            if key not in known:
                raise InvalidRules(key, "is not an appointment rule")
        return cls(**dict(data))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form :meth:`from_dict` reads."""
        return asdict(self)

    @property
    def release_at(self) -> time:
        """:attr:`release_time` as a time of day."""
        return time.fromisoformat(self.release_time)


@dataclass(frozen=True)
class ServiceBooking:
    """Whether a service takes appointments, and its slot length and capacity."""

    enabled: bool = False
    slot_minutes: int = 60
    capacity_per_slot: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.enabled, bool):
            raise InvalidRules("enabled", "must be true or false")
        for name, (low, high) in SERVICE_RANGES.items():
            _check_int(name, getattr(self, name), low, high)

    @property
    def bookable(self) -> bool:
        """Enabled with room for at least one person per slot."""
        return self.enabled and self.capacity_per_slot > 0


@dataclass(frozen=True)
class Slot:
    """One bookable period ``[start, end)`` (UTC instants) on a local ``day``."""

    day: date
    start: datetime
    end: datetime


# -- calendar ----------------------------------------------------------------------------


def is_working_day(schedule: HallSchedule, day: date) -> bool:
    """A day that takes bookings: opening hours, and not a holiday, closure or special."""
    if any(e.day == day and e.kind in _NO_BOOKING for e in schedule.calendar):
        return False
    return bool(schedule.intervals_on(day))


def working_day_after(schedule: HallSchedule, day: date, count: int) -> date | None:
    """The ``count``-th working day after ``day`` (``day`` itself for 0 when it works)."""
    if count == 0:
        return day if is_working_day(schedule, day) else working_day_after(schedule, day, 1)
    seen = 0
    for offset in range(1, SEARCH_DAYS * 2):
        candidate = day + timedelta(days=offset)
        if is_working_day(schedule, candidate):
            seen += 1
            if seen == count:
                return candidate
    return None


def working_days_between(schedule: HallSchedule, today: date, day: date) -> int:
    """Working days in ``(today, day]``: how many working days ahead ``day`` lies."""
    return sum(
        1
        for offset in range(1, (day - today).days + 1)
        if is_working_day(schedule, today + timedelta(days=offset))
    )


def slots_on(schedule: HallSchedule, day: date, slot_minutes: int) -> list[Slot]:
    """The slots of a working day: whole slots inside each opening interval, so none runs
    across the lunch break or past closing."""
    if not is_working_day(schedule, day):
        return []
    length = timedelta(minutes=slot_minutes)
    slots: list[Slot] = []
    for start, end in schedule.serving_intervals_utc(day):
        at = start
        while at + length <= end:
            slots.append(Slot(day, at, at + length))
            at += length
    return slots


# -- horizon -----------------------------------------------------------------------------


def _local(schedule: HallSchedule, now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(schedule.timezone))


def released_until(schedule: HallSchedule, rules: BookingRules, now: datetime) -> date | None:
    """The last day whose slots are released at ``now``.

    Each working day at ``release_time`` releases the day ``max_days_ahead`` working days
    later; before today's release (or on a day off) the last release was the previous
    working day's.
    """
    local = _local(schedule, now)
    today = local.date()
    released_today = is_working_day(schedule, today) and local.time() >= rules.release_at
    ahead = (
        rules.max_days_ahead
        if released_today or not is_working_day(schedule, today)
        else (rules.max_days_ahead - 1)
    )
    if ahead == 0:
        return today if is_working_day(schedule, today) else None
    return working_day_after(schedule, today, ahead)


def first_bookable_day(schedule: HallSchedule, rules: BookingRules, now: datetime) -> date | None:
    """The earliest day that may be booked: ``min_days_ahead`` working days from today."""
    return working_day_after(schedule, _local(schedule, now).date(), rules.min_days_ahead)


def bookable_days(schedule: HallSchedule, rules: BookingRules, now: datetime) -> list[date]:
    """Working days from :func:`first_bookable_day` to :func:`released_until`, in order."""
    first = first_bookable_day(schedule, rules, now)
    last = released_until(schedule, rules, now)
    if first is None or last is None or first > last:
        return []
    days = []
    day = first
    while day <= last:
        if is_working_day(schedule, day):
            days.append(day)
        day += timedelta(days=1)
    return days


def open_slots(
    schedule: HallSchedule, rules: BookingRules, booking: ServiceBooking, now: datetime
) -> list[Slot]:
    """Every slot bookable at ``now`` (released, far enough ahead, not yet started)."""
    return [
        slot
        for day in bookable_days(schedule, rules, now)
        for slot in slots_on(schedule, day, booking.slot_minutes)
        if slot.start > now
    ]


def next_release(schedule: HallSchedule, rules: BookingRules, now: datetime) -> datetime | None:
    """When the next day's slots are released (a working day's ``release_time``), in UTC."""
    zone = ZoneInfo(schedule.timezone)
    today = _local(schedule, now).date()
    for offset in range(SEARCH_DAYS):
        day = today + timedelta(days=offset)
        if not is_working_day(schedule, day):
            continue
        at = datetime.combine(day, rules.release_at, tzinfo=zone).astimezone(now.tzinfo)
        if at > now:
            return at
    return None


# -- people ------------------------------------------------------------------------------


def week_of(day: date) -> tuple[date, date]:
    """The calendar week (Monday..Sunday) containing ``day``."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def limit_reached(rules: BookingRules, same_day: int, same_week: int) -> str | None:
    """``daily_limit`` or ``weekly_limit`` when one more booking would pass a cap."""
    if same_day >= rules.per_person_per_day:
        return "daily_limit"
    if same_week >= rules.per_person_per_week:
        return "weekly_limit"
    return None


def blocked_until(
    rules: BookingRules, no_shows: Iterable[datetime], now: datetime
) -> datetime | None:
    """The end of a booking block, if one runs at ``now``.

    Whenever ``no_show_limit`` no-shows fall within ``no_show_window_days`` (the last of
    them at ``t``), booking is blocked until ``t + block_days``.
    """
    times = sorted(no_shows)
    window = timedelta(days=rules.no_show_window_days)
    until: datetime | None = None
    for index, last in enumerate(times):
        first = index - rules.no_show_limit + 1
        if first < 0 or last - times[first] > window:
            continue
        ends = last + timedelta(days=rules.block_days)
        if ends > now and (until is None or ends > until):
            until = ends
    return until


def cancel_until(rules: BookingRules, slot_start: datetime) -> datetime:
    """The last instant the citizen may cancel (staff may cancel any time)."""
    return slot_start - timedelta(minutes=rules.cancel_before_minutes)


# -- arrival -----------------------------------------------------------------------------


def classify_arrival(
    slot_start: datetime,
    slot_end: datetime,
    now: datetime,
    early_minutes: float,
    late_grace_minutes: float,
) -> str:
    """``early`` before the slot's calling window opens, ``on_time`` until the grace after
    the slot ends, ``late`` after that (then the visitor joins the normal queue)."""
    if now < slot_start - timedelta(minutes=early_minutes):
        return "early"
    if now <= slot_end + timedelta(minutes=late_grace_minutes):
        return "on_time"
    return "late"


def no_show_due(slot_end: datetime, now: datetime, late_grace_minutes: float) -> bool:
    """A booked appointment not checked in by the end of its grace is a no-show."""
    return now > slot_end + timedelta(minutes=late_grace_minutes)
