"""A hall's opening hours and calendar, and the questions every rule asks of them.

Times of day are wall-clock times in the hall's timezone, stored as whole minutes since local
midnight (``0``..``1440``), so 24:00 is simply ``1440`` and a 24-hour day is the single
interval ``0``-``1440``. Every question takes the instant as an aware ``datetime`` (normally
UTC) and answers with UTC instants; nothing here reads a clock.

Intervals are half-open, ``[start, end)``: a hall open 09:00-12:00 serves at 11:59:59 and not
at 12:00. Intervals that touch - one ending 24:00 and the next day's starting 00:00, or two on
the same day - form one continuous period, so a 24-hour hall never "closes" at midnight and
the issuing cut-off applies only before a real closing.

Clock changes: a local time skipped in spring means the moment the clock jumped (an interval
lying wholly in the gap is empty and ignored); a local time repeated in autumn means its first
occurrence. Converting wall times to instants this way never reverses their order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from itertools import pairwise
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MINUTES_PER_DAY = 1440
SEARCH_DAYS = 60
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

CalendarKind = Literal["holiday", "workday", "special", "closed"]
CALENDAR_KINDS: tuple[CalendarKind, ...] = ("holiday", "workday", "special", "closed")

_HHMM = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")
_SCHEDULE_KEYS = frozenset(
    {"timezone", "weekly", "calendar", "issuing_cutoff_minutes", "day_start_hour"}
)
_ENTRY_KEYS = frozenset({"day", "kind", "intervals", "as_weekday", "note"})

Span = tuple[datetime, datetime]
# A period whose end is None runs past the end of the search.
OpenSpan = tuple[datetime, datetime | None]


class InvalidSchedule(ValueError):
    """A schedule that cannot be used as written."""


@dataclass(frozen=True)
class Interval:
    """An opening period ``[start_minute, end_minute)`` in minutes since local midnight."""

    start_minute: int
    end_minute: int

    def __post_init__(self) -> None:
        if not 0 <= self.start_minute < self.end_minute <= MINUTES_PER_DAY:
            raise InvalidSchedule(
                f"an interval needs 0 <= start < end <= 1440 minutes, "
                f"got {self.start_minute}-{self.end_minute}"
            )

    @classmethod
    def parse(cls, start: str, end: str) -> Interval:
        """``Interval.parse("09:00", "12:00")``; ``"24:00"`` is accepted as an end."""
        return cls(_parse_hhmm(start, allow_24=False), _parse_hhmm(end, allow_24=True))

    @property
    def start_text(self) -> str:
        return _format_hhmm(self.start_minute)

    @property
    def end_text(self) -> str:
        return _format_hhmm(self.end_minute)

    @property
    def is_all_day(self) -> bool:
        return self.start_minute == 0 and self.end_minute == MINUTES_PER_DAY


@dataclass(frozen=True)
class CalendarEntry:
    """An exception to the weekly hours on one local date.

    ``holiday``: closed for a public holiday. ``workday``: a make-up working day (调休) with the
    weekly hours of ``as_weekday`` (0 = Monday, the default). ``special``: a special session
    with its own ``intervals``. ``closed``: an ad-hoc closure.
    """

    day: date
    kind: CalendarKind
    intervals: tuple[Interval, ...] = ()
    as_weekday: int | None = None
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "intervals", tuple(self.intervals))
        if self.kind not in CALENDAR_KINDS:
            raise InvalidSchedule(f"unknown calendar kind {self.kind!r}")
        if (self.kind == "special") != bool(self.intervals):
            raise InvalidSchedule(f"{self.day}: only a special session has, and needs, intervals")
        if self.as_weekday is not None and (
            self.kind != "workday" or not 0 <= self.as_weekday <= 6
        ):
            raise InvalidSchedule(f"{self.day}: as_weekday is 0..6 and only for a workday")
        _check_day_intervals(self.intervals, str(self.day))


@dataclass(frozen=True)
class HallSchedule:
    """Weekly hours (Monday..Sunday; a gap between two intervals is the lunch break) plus the
    calendar of exceptions, the issuing cut-off and the local hour a business day starts."""

    timezone: str
    weekly: tuple[tuple[Interval, ...], ...]
    calendar: tuple[CalendarEntry, ...] = ()
    issuing_cutoff_minutes: int = 15
    day_start_hour: int = 4

    def __post_init__(self) -> None:
        object.__setattr__(self, "weekly", tuple(tuple(day) for day in self.weekly))
        object.__setattr__(self, "calendar", tuple(self.calendar))
        _ = self._zone  # an unknown timezone fails here, not at the first question
        if len(self.weekly) != 7:
            raise InvalidSchedule(f"weekly needs 7 days (Monday..Sunday), got {len(self.weekly)}")
        for key, intervals in zip(WEEKDAY_KEYS, self.weekly, strict=True):
            _check_day_intervals(intervals, key)
        if len(self._calendar_by_day) != len(self.calendar):
            raise InvalidSchedule("the calendar has two entries for the same day")
        if not 0 <= self.issuing_cutoff_minutes < MINUTES_PER_DAY:
            raise InvalidSchedule("issuing_cutoff_minutes must be within 0..1439")
        if not 0 <= self.day_start_hour <= 23:
            raise InvalidSchedule("day_start_hour must be within 0..23")

    @cached_property
    def _zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidSchedule(f"unknown timezone {self.timezone!r}") from None

    @cached_property
    def _calendar_by_day(self) -> dict[date, CalendarEntry]:
        return {entry.day: entry for entry in self.calendar}

    # -- JSON ------------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> HallSchedule:
        """Build from the JSON form (see ``to_dict``); missing weekdays are closed."""
        _reject_unknown(d, _SCHEDULE_KEYS, "schedule")
        weekly_raw = d.get("weekly", {})
        if not isinstance(weekly_raw, Mapping):
            raise InvalidSchedule("weekly must map mon..sun to lists of [start, end]")
        _reject_unknown(weekly_raw, frozenset(WEEKDAY_KEYS), "weekly")
        timezone = d.get("timezone")
        if not isinstance(timezone, str):
            raise InvalidSchedule("timezone must be a name such as 'Asia/Shanghai'")
        return cls(
            timezone=timezone,
            weekly=tuple(_intervals_from_json(weekly_raw.get(key, [])) for key in WEEKDAY_KEYS),
            calendar=tuple(_entry_from_dict(raw) for raw in _list(d.get("calendar", []))),
            issuing_cutoff_minutes=_int_field(d, "issuing_cutoff_minutes", 15),
            day_start_hour=_int_field(d, "day_start_hour", 4),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: times as ``"HH:MM"``, dates as ISO strings, weekdays as mon..sun."""
        return {
            "timezone": self.timezone,
            "weekly": {
                key: _intervals_to_json(intervals)
                for key, intervals in zip(WEEKDAY_KEYS, self.weekly, strict=True)
            },
            "calendar": [_entry_to_dict(entry) for entry in self.calendar],
            "issuing_cutoff_minutes": self.issuing_cutoff_minutes,
            "day_start_hour": self.day_start_hour,
        }

    # -- days ------------------------------------------------------------------------------

    def business_day(self, at: datetime) -> date:
        """The day ticket numbers belong to: the local date of ``at - day_start_hour``.

        Numbering resets because this value changes, not because a job runs at night.
        """
        local = _as_utc(at).astimezone(self._zone)
        return (local - timedelta(hours=self.day_start_hour)).date()

    def day_start_utc(self, day: date) -> datetime:
        """The instant business day ``day`` begins (local midnight + ``day_start_hour``), UTC."""
        return self._utc(day, self.day_start_hour * 60)

    def intervals_on(self, day: date) -> tuple[Interval, ...]:
        """Opening intervals of a local date; a calendar entry overrides the weekly hours."""
        entry = self._calendar_by_day.get(day)
        if entry is None:
            return self.weekly[day.weekday()]
        if entry.kind == "workday":
            return self.weekly[entry.as_weekday or 0]
        return entry.intervals

    def closes_at(self, day: date) -> time | None:
        """End of the last interval; None when closed all day or open until midnight."""
        intervals = self.intervals_on(day)
        if not intervals or intervals[-1].end_minute == MINUTES_PER_DAY:
            return None
        end = intervals[-1].end_minute
        return time(end // 60, end % 60)

    def serving_intervals_utc(self, day: date) -> list[Span]:
        """The intervals of a local date as UTC instants, in order (lunch breaks between)."""
        memo = self._spans_memo
        spans = memo.get(day)
        if spans is None:
            if len(memo) > 4096:
                memo.clear()
            spans = memo[day] = self._compute_spans(day)
        return list(spans)

    @cached_property
    def _spans_memo(self) -> dict[date, tuple[Span, ...]]:
        """Per-schedule memo of :meth:`serving_intervals_utc`: schedules are immutable, and
        every question about an instant looks at the same few weeks of days."""
        return {}

    def _compute_spans(self, day: date) -> tuple[Span, ...]:
        spans = [
            (self._utc(day, interval.start_minute), self._utc(day, interval.end_minute))
            for interval in self.intervals_on(day)
        ]
        return tuple(sorted(span for span in spans if span[0] < span[1]))

    # -- instants --------------------------------------------------------------------------

    def is_open(self, at: datetime) -> bool:
        """Doors open: from the first opening to the last closing of a day, lunch included."""
        now = _as_utc(at)
        return any(_contains(span, now) for span in self._nearby(self._door_spans, now))

    def is_serving(self, at: datetime) -> bool:
        """Inside an opening interval (so not during the lunch break)."""
        now = _as_utc(at)
        return any(_contains(span, now) for span in self._nearby(self.serving_intervals_utc, now))

    def issuing_now(self, at: datetime) -> bool:
        """Serving, and at least ``issuing_cutoff_minutes`` before the serving period ends."""
        now = _as_utc(at)
        for start, end in self._issuing_windows(now):
            if start > now:
                return False
            if end is None or now < end:
                return True
        return False

    def next_issuing_start(self, at: datetime) -> datetime | None:
        """When issuing opens next (``at`` itself if it is open now), in UTC.

        Searches ``SEARCH_DAYS`` days ahead; None means no issuing hours in that time, which
        a kiosk reports as "closed until further notice".
        """
        now = _as_utc(at)
        limit = now + timedelta(days=SEARCH_DAYS)
        for start, end in self._issuing_windows(now):
            if start > limit:
                return None
            if end is None or end > now:
                return max(start, now)
        return None

    def minutes_until_close(self, at: datetime) -> float | None:
        """Minutes until the doors close; None when closed now or open beyond the search."""
        now = _as_utc(at)
        for start, end in self._chains(self._door_spans, now):
            if start > now:
                return None
            if end is None:
                return None
            if now < end:
                return (end - now).total_seconds() / 60
        return None

    # -- internals -------------------------------------------------------------------------

    def _utc(self, day: date, minute: int) -> datetime:
        if minute == MINUTES_PER_DAY:
            day, minute = day + timedelta(days=1), 0
        return _wall_to_utc(datetime.combine(day, time(minute // 60, minute % 60)), self._zone)

    def _door_spans(self, day: date) -> list[Span]:
        spans = self.serving_intervals_utc(day)
        if not spans:
            return []
        return [(min(s for s, _ in spans), max(e for _, e in spans))]

    def _nearby(self, spans_of: Callable[[date], list[Span]], now: datetime) -> Iterator[Span]:
        """Spans of the local dates around ``now``: only these can contain it."""
        day = now.astimezone(self._zone).date()
        for offset in (-1, 0, 1):
            yield from spans_of(day + timedelta(days=offset))

    def _chains(self, spans_of: Callable[[date], list[Span]], now: datetime) -> Iterator[OpenSpan]:
        """Touching spans merged into continuous periods, from the day before ``now`` on.

        The scan covers two days more than ``SEARCH_DAYS`` so that a period still running at
        its end is known to last longer than any cut-off. The periods depend only on the
        day, so they are memoised per schedule and day (a 24-hour hall would otherwise merge
        two months of days for every ticket).
        """
        first = now.astimezone(self._zone).date() - timedelta(days=1)
        key = (spans_of.__name__, first)
        chains = self._chains_memo.get(key)
        if chains is None:
            if len(self._chains_memo) > 256:
                self._chains_memo.clear()
            chains = self._chains_memo[key] = tuple(self._merge(spans_of, first))
        return iter(chains)

    @cached_property
    def _chains_memo(self) -> dict[tuple[str, date], tuple[OpenSpan, ...]]:
        return {}

    def _merge(self, spans_of: Callable[[date], list[Span]], first: date) -> Iterator[OpenSpan]:
        days = SEARCH_DAYS + 3
        current: Span | None = None
        for offset in range(days):
            for start, end in spans_of(first + timedelta(days=offset)):
                if current is not None and start <= current[1]:
                    current = (current[0], max(current[1], end))
                    continue
                if current is not None:
                    yield current
                current = (start, end)
        if current is not None:
            horizon = self._utc(first + timedelta(days=days - 1), MINUTES_PER_DAY)
            yield (current[0], None if current[1] >= horizon else current[1])

    def _issuing_windows(self, now: datetime) -> Iterator[OpenSpan]:
        cutoff = timedelta(minutes=self.issuing_cutoff_minutes)
        for start, end in self._chains(self.serving_intervals_utc, now):
            if end is None:
                yield (start, None)
            elif end - cutoff > start:
                yield (start, end - cutoff)


def _as_utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("instants must be timezone-aware (UTC)")
    return at.astimezone(UTC)


def _wall_to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """The instant a naive local wall time means; see the module notes on clock changes."""
    for _ in range(MINUTES_PER_DAY):
        instant = wall.replace(tzinfo=zone).astimezone(UTC)  # fold=0: first occurrence
        if instant.astimezone(zone).replace(tzinfo=None) == wall:
            return instant
        wall += timedelta(minutes=1)  # skipped by the clock: try the next minute
    raise InvalidSchedule(f"no local time near {wall} exists in {zone.key}")


def _contains(span: Span, now: datetime) -> bool:
    return span[0] <= now < span[1]


def _check_day_intervals(intervals: Sequence[Interval], where: str) -> None:
    for earlier, later in pairwise(intervals):
        if later.start_minute < earlier.end_minute:
            raise InvalidSchedule(f"{where}: intervals must be in order and must not overlap")


def _parse_hhmm(text: object, *, allow_24: bool) -> int:
    if allow_24 and text == "24:00":
        return MINUTES_PER_DAY
    match = _HHMM.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidSchedule(f"{text!r} is not a time HH:MM")
    return int(match.group(1)) * 60 + int(match.group(2))


def _format_hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _intervals_from_json(raw: object) -> tuple[Interval, ...]:
    intervals = []
    for pair in _list(raw):
        if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 2:
            raise InvalidSchedule(f"an interval is [start, end], got {pair!r}")
        intervals.append(Interval.parse(pair[0], pair[1]))
    return tuple(intervals)


def _intervals_to_json(intervals: Sequence[Interval]) -> list[list[str]]:
    return [[interval.start_text, interval.end_text] for interval in intervals]


def _entry_from_dict(raw: object) -> CalendarEntry:
    if not isinstance(raw, Mapping):
        raise InvalidSchedule(f"a calendar entry is an object, got {raw!r}")
    _reject_unknown(raw, _ENTRY_KEYS, "calendar entry")
    kind = raw.get("kind")
    if kind not in CALENDAR_KINDS:
        raise InvalidSchedule(f"calendar kind must be one of {CALENDAR_KINDS}, got {kind!r}")
    try:
        day = date.fromisoformat(raw.get("day", ""))
    except (TypeError, ValueError):
        raise InvalidSchedule(f"calendar day must be YYYY-MM-DD, got {raw.get('day')!r}") from None
    return CalendarEntry(
        day=day,
        kind=cast(CalendarKind, kind),
        intervals=_intervals_from_json(raw.get("intervals", [])),
        as_weekday=_weekday_from_json(raw.get("as_weekday")),
        note=str(raw.get("note", "")),
    )


def _entry_to_dict(entry: CalendarEntry) -> dict[str, Any]:
    out: dict[str, Any] = {"day": entry.day.isoformat(), "kind": entry.kind}
    if entry.intervals:
        out["intervals"] = _intervals_to_json(entry.intervals)
    if entry.as_weekday is not None:
        out["as_weekday"] = WEEKDAY_KEYS[entry.as_weekday]
    if entry.note:
        out["note"] = entry.note
    return out


def _weekday_from_json(raw: object) -> int | None:
    """A weekday as ``"mon"``..``"sun"`` or 0..6 (0 = Monday)."""
    if raw is None:
        return None
    if isinstance(raw, str) and raw in WEEKDAY_KEYS:
        return WEEKDAY_KEYS.index(raw)
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw <= 6:
        return raw
    raise InvalidSchedule(f"as_weekday must be mon..sun or 0..6, got {raw!r}")


def _reject_unknown(d: Mapping[str, Any], allowed: frozenset[str], what: str) -> None:
    unknown = sorted(str(key) for key in d if key not in allowed)
    if unknown:
        raise InvalidSchedule(f"unknown {what} keys: {', '.join(unknown)}")


def _list(raw: object) -> list[Any]:
    if not isinstance(raw, list | tuple):
        raise InvalidSchedule(f"expected a list, got {raw!r}")
    return list(raw)


def _int_field(d: Mapping[str, Any], key: str, default: int) -> int:
    raw = d.get(key, default)
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise InvalidSchedule(f"{key} must be a whole number, got {raw!r}")
    return raw
