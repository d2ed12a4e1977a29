"""Who is on duty when: the rota of a territory indexed for "who is on duty at t", and the next shifts.

Pure: stdlib and zoneinfo only. The values it reads (patterns, shifts, exceptions, occurrences) and the
wall-clock rule that turns their local times into UTC instants are in `volunteers.shifts`.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# `effective_motives` and `Occurrence` are re-exported: the API's rota view reads them from this module.
from volunteers.coverage import effective_motives as effective_motives
from volunteers.coverage import motive_covered
from volunteers.shifts import (
    DAY_US,
    PARIS,
    Cancellation,
    HolidayCalendar,
    OneOffShift,
    Replacement,
    WeeklyPattern,
    pattern_span_utc,
    time_us,
)
from volunteers.shifts import Occurrence as Occurrence

# Lookahead of next_shifts: a little over a year, so that a yearly pattern is always found.
NEXT_SHIFTS_HORIZON = timedelta(days=400)

_HOUR_US = 3_600_000_000
_ONE_DAY = timedelta(days=1)


def _sort_key(occ: Occurrence) -> tuple[datetime, datetime, int, int, int]:
    return (occ.starts_at, occ.ends_at, occ.volunteer_id, occ.pattern_id or 0, occ.shift_id or 0)


# An index entry: the wall-clock span in microseconds after the start day's midnight, the pattern, and
# the same span as timedeltas (built once, not per query).
_Entry = tuple[int, int, WeeklyPattern, timedelta, timedelta]


def _holiday_allows(rule: str, is_holiday: bool) -> bool:
    if rule == "include":
        return True
    if rule == "skip":
        return not is_holiday
    return is_holiday


class Rota:
    """The rota of a territory, indexed once so that "who is on duty at t" is a few dictionary reads."""

    def __init__(
        self,
        patterns: Iterable[WeeklyPattern] = (),
        one_off_shifts: Iterable[OneOffShift] = (),
        cancellations: Iterable[Cancellation] = (),
        replacements: Iterable[Replacement] = (),
    ) -> None:
        self.patterns: tuple[WeeklyPattern, ...] = tuple(patterns)
        self.one_off_shifts: tuple[OneOffShift, ...] = tuple(sorted(one_off_shifts, key=lambda s: (s.starts_at, s.id)))
        self._cancelled: frozenset[tuple[int, date]] = frozenset((c.pattern_id, c.on_date) for c in cancellations)
        self._replaced: dict[tuple[int, date], int] = {}
        for r in replacements:
            key = (r.pattern_id, r.on_date)
            if key in self._replaced and self._replaced[key] != r.volunteer_id:
                # Two volunteers for one occurrence would make routing guess; the data must say.
                raise ValueError(f"two replacements for pattern {r.pattern_id} on {r.on_date}")
            self._replaced[key] = r.volunteer_id

        ids = [p.id for p in self.patterns]
        if len(set(ids)) != len(ids):
            raise ValueError("pattern ids must be unique")

        # Stabbing index: for the weekday an occurrence starts on, and each hour of the two days its
        # wall-clock span can reach, the patterns whose span touches that hour.
        self._by_weekday: list[list[WeeklyPattern]] = [[] for _ in range(7)]
        self._hour_buckets: list[list[list[_Entry]]] = [[[] for _ in range(48)] for _ in range(7)]
        for pattern in self.patterns:
            start_us, end_us = pattern.span_us
            entry = (
                start_us,
                end_us,
                pattern,
                timedelta(microseconds=start_us),
                timedelta(microseconds=end_us),
            )
            for weekday in pattern.weekdays:
                self._by_weekday[weekday].append(pattern)
                for hour in range(start_us // _HOUR_US, (end_us - 1) // _HOUR_US + 1):
                    self._hour_buckets[weekday][hour].append(entry)

        self._patterns_by_volunteer: dict[int, list[WeeklyPattern]] = defaultdict(list)
        by_id = {p.id: p for p in self.patterns}
        for pattern in self.patterns:
            self._patterns_by_volunteer[pattern.volunteer_id].append(pattern)
        for (pattern_id, _), volunteer_id in self._replaced.items():
            replaced = by_id.get(pattern_id)
            if replaced is not None and replaced not in self._patterns_by_volunteer[volunteer_id]:
                self._patterns_by_volunteer[volunteer_id].append(replaced)

        # One-off shifts by UTC day ordinal they touch, for the same stabbing lookup.
        self._shifts_by_utc_day: dict[int, list[OneOffShift]] = defaultdict(list)
        self._shifts_by_volunteer: dict[int, list[OneOffShift]] = defaultdict(list)
        for shift in self.one_off_shifts:
            self._shifts_by_volunteer[shift.volunteer_id].append(shift)
            first = shift.starts_at.astimezone(UTC).date().toordinal()
            last = (shift.ends_at.astimezone(UTC) - timedelta(microseconds=1)).date().toordinal()
            for ordinal in range(first, last + 1):
                self._shifts_by_utc_day[ordinal].append(shift)

        self._offset_cache: dict[tuple[ZoneInfo, date], timedelta] = {}

    # -- building occurrences -------------------------------------------------------------------------

    def _pattern_occurrence(
        self, pattern: WeeklyPattern, day: date, holidays: HolidayCalendar, tz: ZoneInfo
    ) -> Occurrence | None:
        """The occurrence of `pattern` starting on local `day`, or None when it does not take place."""
        if day.weekday() not in pattern.weekdays or not pattern.is_valid_on(day):
            return None
        if (pattern.id, day) in self._cancelled:
            return None
        if pattern.holidays != "include" and not _holiday_allows(pattern.holidays, holidays.is_holiday(day)):
            return None
        starts_at, ends_at = pattern_span_utc(pattern, day, tz)
        if ends_at <= starts_at:
            # The whole span fell inside a spring-forward gap: the clock never showed it.
            return None
        return self._make(pattern, day, starts_at, ends_at)

    def _make(self, pattern: WeeklyPattern, day: date, starts_at: datetime, ends_at: datetime) -> Occurrence:
        substitute = self._replaced.get((pattern.id, day))
        if substitute is None:
            return Occurrence(pattern.volunteer_id, starts_at, ends_at, pattern.motives, pattern.id)
        return Occurrence(
            substitute,
            starts_at,
            ends_at,
            pattern.motives,
            pattern.id,
            replaced_volunteer_id=pattern.volunteer_id,
        )

    @staticmethod
    def _shift_occurrence(shift: OneOffShift) -> Occurrence:
        return Occurrence(
            shift.volunteer_id,
            shift.starts_at.astimezone(UTC),
            shift.ends_at.astimezone(UTC),
            shift.motives,
            shift_id=shift.id,
        )

    def _midnight_offset(self, day: date, tz: ZoneInfo) -> timedelta:
        key = (tz, day)
        offset = self._offset_cache.get(key)
        if offset is None:
            offset = datetime.combine(day, time(), tzinfo=tz).utcoffset() or timedelta()
            self._offset_cache[key] = offset
        return offset

    # -- queries ---------------------------------------------------------------------------------------

    def on_duty(self, at: datetime, holidays: HolidayCalendar, tz: ZoneInfo = PARIS) -> list[Occurrence]:
        """Return the occurrences containing the aware instant `at`, sorted by start."""
        return self._on_duty(at, holidays, tz, None)

    def _on_duty(
        self,
        at: datetime,
        holidays: HolidayCalendar,
        tz: ZoneInfo,
        accept: Callable[[int, frozenset[str]], bool] | None,
    ) -> list[Occurrence]:
        """on_duty, skipping before building them the occurrences whose (volunteer, motives) fail `accept`."""
        if at.tzinfo is None:
            raise ValueError("on_duty needs an aware datetime")
        at_utc = at.astimezone(UTC)
        local = at.astimezone(tz)
        today = local.date()
        yesterday = today - _ONE_DAY
        wall_us = time_us(local.time())

        # An occurrence containing `at` starts today or yesterday (spans never exceed 24 wall hours).
        # With one UTC offset from yesterday's midnight to the day after tomorrow's, wall time and UTC
        # agree exactly; otherwise a transition is near, so widen the wall window by the offset change
        # and check each candidate in UTC.
        offsets = [self._midnight_offset(yesterday + timedelta(days=k), tz) for k in range(4)]
        shift_us = (max(offsets) - min(offsets)) // timedelta(microseconds=1)
        cancelled = self._cancelled
        replaced = self._replaced
        holiday_cache: dict[date, bool] = {}
        span_cache: dict[tuple[int, int], tuple[datetime, datetime]] = {}
        found: list[Occurrence] = []
        for day, day_us, offset in ((today, wall_us, offsets[1]), (yesterday, wall_us + DAY_US, offsets[0])):
            buckets = self._hour_buckets[day.weekday()]
            if shift_us == 0:
                entries: Iterable[_Entry] = buckets[day_us // _HOUR_US]
                low_us = high_us = day_us
            else:
                low_us, high_us = day_us - shift_us, day_us + shift_us
                seen: dict[int, _Entry] = {}
                for hour in range(max(0, low_us // _HOUR_US), min(47, high_us // _HOUR_US) + 1):
                    for entry in buckets[hour]:
                        seen[entry[2].id] = entry
                entries = seen.values()
            midnight_utc = (datetime.combine(day, time()) - offset).replace(tzinfo=UTC)
            span_cache.clear()
            for start_us, end_us, pattern, start_delta, end_delta in entries:
                if start_us > high_us or end_us <= low_us:
                    continue
                until = pattern.valid_until
                if day < pattern.valid_from or (until is not None and day > until):
                    continue
                key = (pattern.id, day)
                if key in cancelled:
                    continue
                if pattern.holidays != "include":
                    is_holiday = holiday_cache.get(day)
                    if is_holiday is None:
                        is_holiday = holiday_cache[day] = holidays.is_holiday(day)
                    if is_holiday != (pattern.holidays == "only"):
                        continue
                substitute = replaced.get(key)
                volunteer_id = pattern.volunteer_id if substitute is None else substitute
                if accept is not None and not accept(volunteer_id, pattern.motives):
                    continue
                if shift_us == 0:
                    starts_at = midnight_utc + start_delta
                    ends_at = midnight_utc + end_delta
                else:
                    span = span_cache.get((start_us, end_us))
                    if span is None:
                        span = span_cache[(start_us, end_us)] = pattern_span_utc(pattern, day, tz)
                    starts_at, ends_at = span
                    if not starts_at <= at_utc < ends_at:
                        continue
                found.append(
                    Occurrence(
                        volunteer_id,
                        starts_at,
                        ends_at,
                        pattern.motives,
                        pattern.id,
                        None,
                        None if substitute is None else pattern.volunteer_id,
                    )
                )

        for shift in self._shifts_by_utc_day.get(at_utc.date().toordinal(), ()):
            if shift.starts_at <= at_utc < shift.ends_at and (
                accept is None or accept(shift.volunteer_id, shift.motives)
            ):
                found.append(self._shift_occurrence(shift))
        found.sort(key=_sort_key)
        return found

    def occurrences(
        self,
        start: datetime,
        end: datetime,
        holidays: HolidayCalendar,
        tz: ZoneInfo = PARIS,
        *,
        volunteer_id: int | None = None,
    ) -> list[Occurrence]:
        """Return the occurrences overlapping ``[start, end)``, sorted by start (one volunteer's if given)."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("occurrences needs aware datetimes")
        start_utc = start.astimezone(UTC)
        end_utc = end.astimezone(UTC)
        if end_utc <= start_utc:
            return []
        found: list[Occurrence] = []
        # Starting the day before catches overnight shifts still running at `start`.
        day = start_utc.astimezone(tz).date() - _ONE_DAY
        last_day = end_utc.astimezone(tz).date()
        by_weekday: list[list[WeeklyPattern]] = self._by_weekday
        if volunteer_id is not None:
            by_weekday = [[] for _ in range(7)]
            for pattern in self._patterns_by_volunteer.get(volunteer_id, ()):
                for weekday in pattern.weekdays:
                    by_weekday[weekday].append(pattern)
        while day <= last_day:
            for pattern in by_weekday[day.weekday()]:
                occ = self._pattern_occurrence(pattern, day, holidays, tz)
                if occ is None or not (occ.starts_at < end_utc and start_utc < occ.ends_at):
                    continue
                if volunteer_id is None or occ.volunteer_id == volunteer_id:
                    found.append(occ)
            day += _ONE_DAY

        shifts: Sequence[OneOffShift] = (
            self.one_off_shifts if volunteer_id is None else self._shifts_by_volunteer.get(volunteer_id, [])
        )
        # Shifts are sorted by start: nothing starting at or after `end` can overlap.
        stop = bisect.bisect_left(shifts, end_utc, key=lambda shift: shift.starts_at)
        for shift in shifts[:stop]:
            if shift.ends_at > start_utc:
                found.append(self._shift_occurrence(shift))
        found.sort(key=_sort_key)
        return found


def on_duty_for_motive(
    rota: Rota,
    at: datetime,
    motive: str,
    volunteer_motives: Mapping[int, frozenset[str]],
    holidays: HolidayCalendar,
    tz: ZoneInfo = PARIS,
) -> list[Occurrence]:
    """Return the occurrences containing `at` whose volunteer takes `motive` then."""

    # Filtering before the occurrences are built halves the work of a routing decision.
    def accept(volunteer_id: int, motives: frozenset[str]) -> bool:
        return motive_covered(volunteer_id, motives, motive, volunteer_motives)

    return rota._on_duty(at, holidays, tz, accept)


def next_shifts(
    rota: Rota,
    volunteer_id: int,
    after: datetime,
    count: int,
    holidays: HolidayCalendar,
    tz: ZoneInfo = PARIS,
) -> list[Occurrence]:
    """Return the volunteer's next `count` occurrences starting at or after `after`, within 400 days."""
    found: list[Occurrence] = []
    window = timedelta(days=31)
    window_start = after.astimezone(UTC)
    horizon = window_start + NEXT_SHIFTS_HORIZON
    while len(found) < count and window_start < horizon:
        window_end = min(window_start + window, horizon)
        for occ in rota.occurrences(window_start, window_end, holidays, tz, volunteer_id=volunteer_id):
            # Keep each occurrence in the window where it starts, so windows never repeat one.
            if window_start <= occ.starts_at < window_end:
                found.append(occ)
        window_start = window_end
    return found[:count]
