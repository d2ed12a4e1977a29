"""The rota's values: weekly patterns, one-off shifts, their exceptions, occurrences, and the wall-clock rule.

Pure: stdlib and zoneinfo only. Everything is expressed in the territory's zone (Europe/Paris by default)
and every occurrence is an aware UTC interval ``[starts_at, ends_at)``.

Wall-clock rule. A pattern running 20:00–08:00 is on duty exactly while the local clock reads between
those times, so across a daylight-saving change it lasts 11 or 13 real hours. Local times that do not
exist or occur twice are resolved as the hull of that span:

* ``starts_at`` is the first instant at which the clock reads the start time or later;
* ``ends_at`` is the instant after which the clock never again reads earlier than the end time.

Hence a time inside the spring-forward gap (02:30 on 29 March) maps to the transition itself (03:00 CEST),
for a start as for an end; a time in the repeated autumn hour (02:30 on 25 October) maps to its first pass
(``fold=0``) for a start and to its second pass (``fold=1``) for an end, so the volunteer covers both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

HOLIDAY_RULES: frozenset[str] = frozenset({"include", "skip", "only"})

DAY_US = 86_400_000_000


class HolidayCalendar(Protocol):
    """Anything that says whether a local date is a public holiday."""

    def is_holiday(self, day: date) -> bool:
        """Return True when `day` is a public holiday."""
        ...


@dataclass(frozen=True, slots=True)
class WeeklyPattern:
    """A shift repeated every week on the given weekdays (0 = Monday), in local wall-clock time.

    ``end <= start`` means the shift ends the next day (20:00–08:00; equal times give 24 hours).
    ``holidays`` says what a public holiday (the local date the shift starts) does: ``include`` treats it
    as any day, ``skip`` drops the shift, ``only`` keeps the shift on holidays alone (still restricted to
    ``weekdays``: list all seven for "every public holiday").
    """

    id: int
    volunteer_id: int
    weekdays: frozenset[int]
    start: time
    end: time
    valid_from: date
    valid_until: date | None = None
    motives: frozenset[str] = frozenset()
    holidays: str = "include"

    def __post_init__(self) -> None:
        if not self.weekdays or not self.weekdays <= frozenset(range(7)):
            raise ValueError(f"pattern {self.id}: weekdays must be a non-empty subset of 0..6")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError(f"pattern {self.id}: start and end are local wall-clock times, without tzinfo")
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise ValueError(f"pattern {self.id}: valid_until is before valid_from")
        if self.holidays not in HOLIDAY_RULES:
            raise ValueError(f"pattern {self.id}: holidays must be one of {sorted(HOLIDAY_RULES)}")

    @property
    def span_us(self) -> tuple[int, int]:
        """Start and end as microseconds after the start day's midnight (end may exceed one day)."""
        start_us = time_us(self.start)
        end_us = time_us(self.end)
        if end_us <= start_us:
            end_us += DAY_US
        return start_us, end_us

    def is_valid_on(self, day: date) -> bool:
        """Return True when `day` lies within the pattern's validity bounds (both inclusive)."""
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


@dataclass(frozen=True, slots=True)
class OneOffShift:
    """A single shift between two aware instants."""

    id: int
    volunteer_id: int
    starts_at: datetime
    ends_at: datetime
    motives: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError(f"shift {self.id}: starts_at and ends_at must be aware datetimes")
        if self.ends_at <= self.starts_at:
            raise ValueError(f"shift {self.id}: ends_at must be after starts_at")


@dataclass(frozen=True, slots=True)
class Cancellation:
    """The occurrence of a pattern starting on that local date does not take place."""

    pattern_id: int
    on_date: date


@dataclass(frozen=True, slots=True)
class Replacement:
    """The occurrence of a pattern starting on that local date is taken by another volunteer."""

    pattern_id: int
    on_date: date
    volunteer_id: int


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One concrete shift: who, from when to when (aware UTC), for which motives (empty = all theirs)."""

    volunteer_id: int
    starts_at: datetime
    ends_at: datetime
    motives: frozenset[str] = frozenset()
    pattern_id: int | None = None
    shift_id: int | None = None
    replaced_volunteer_id: int | None = None

    def contains(self, at: datetime) -> bool:
        """Return True when the instant `at` falls within ``[starts_at, ends_at)``."""
        return self.starts_at <= at < self.ends_at


def time_us(t: time) -> int:
    """A wall-clock time as microseconds after midnight."""
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


def _wall_to_utc(naive: datetime, tz: ZoneInfo, *, is_end: bool) -> datetime:
    """Map a local wall-clock time to UTC by the hull rule of the module docstring."""
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    first_offset = first.utcoffset()
    second_offset = second.utcoffset()
    if first_offset == second_offset:
        return first.astimezone(UTC)
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == naive:
        # Ambiguous: the time happens twice; a start takes the first pass, an end the second.
        return (second if is_end else first).astimezone(UTC)
    # Nonexistent: the clock jumps over it, so the first instant reading at least this time is the
    # transition itself. fold=1 gives an instant before it, fold=0 one after it; bisect between them on
    # whole seconds (tzdata transitions fall on whole seconds).
    after_offset = first.astimezone(UTC).astimezone(tz).utcoffset()
    low = math.floor(second.timestamp())
    high = math.ceil(first.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, tz).utcoffset() == after_offset:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def pattern_span_utc(pattern: WeeklyPattern, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC span of the pattern's occurrence starting on local `day`, by the wall-clock rule."""
    start_us, end_us = pattern.span_us
    midnight = datetime.combine(day, time())
    starts_at = _wall_to_utc(midnight + timedelta(microseconds=start_us), tz, is_end=False)
    ends_at = _wall_to_utc(midnight + timedelta(microseconds=end_us), tz, is_end=True)
    return starts_at, ends_at


def local_span_utc(day: date, start: time, end: time, tz: ZoneInfo = PARIS) -> tuple[datetime, datetime]:
    """Return the UTC span of a wall-clock shift starting on local `day` (end at or before start: next day).

    The same hull rule as patterns, so a one-off shift typed as "20:00–08:00" across a DST change lasts
    exactly as long as the weekly pattern with those times would.
    """
    probe = WeeklyPattern(0, 0, frozenset({day.weekday()}), start, end, day)
    return pattern_span_utc(probe, day, tz)
