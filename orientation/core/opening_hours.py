"""Opening hours of a phone line, in a documented subset of OpenStreetMap's `opening_hours` syntax.

The subset
----------
A value is one or more *rules* separated by `;` (a single trailing `;` is tolerated). A rule is one of:

- `24/7` — open all the time;
- `[days] times` — e.g. `Mo-Fr 08:00-12:00,14:00-19:00`, or just `08:00-12:00` for every day;
- `[days] off` / `[days] closed` — closed on those days, e.g. `PH off`, or just `off`;
- `[days] open` or `days` alone — open all day on those days, e.g. `Sa-Su`.

*days* is a comma-separated list of weekdays (`Mo Tu We Th Fr Sa Su`), weekday ranges (`Mo-Fr`, and ranges
that wrap around the week like `Sa-Mo`) and `PH` (a public holiday, whatever its weekday): `Mo,We,Fr`,
`Mo-Fr,PH`. A rule without days applies to every day.
*times* is a comma-separated list of `HH:MM-HH:MM` ranges with two-digit hours. A start runs from 00:00 to
23:59; an end is 24:00 at most, or up to 48:00 to say explicitly that it closes on the next day. An end at
or before the start (`20:00-08:00`) also closes on the next day. A range may not be empty (`08:00-08:00`).
Keywords and day names are matched case-insensitively; spaces around `-`, `,` and `;` are free.

Anything else (months, dates, weeks, school holidays `SH`, `sunrise`, comments, `||`, additional rules
joined by `,`) raises `OpeningHoursError` naming the part that was not understood.

Evaluation
----------
The evaluation follows opening_hours.js, the reference implementation named by the OSM specification
(https://wiki.openstreetmap.org/wiki/Key:opening_hours/specification: "The most sophisticated
implementation of this specification is opening_hours.js"), and its test suite
(https://github.com/opening-hours/opening_hours.js, test/test.js, "Time ranges spanning midnight with date
overwriting": `22:00-02:00; Tu 12:00-14:00` is closed on Tuesday 00:00-02:00 and open on Wednesday
00:00-02:00).

- Each calendar day is evaluated on its own, reading the rules in order. A rule whose days select the day
  replaces everything open on that day so far (the earlier rules' hours *and* the mornings of nights that
  started the day before): `Mo-Fr 08:00-20:00; We 10:00-12:00` is open 10:00-12:00 on Wednesday, and in
  `Mo-Fr 20:00-08:00; Sa off` Friday's night ends at Saturday 00:00. `24/7` and rules without days select
  every day; `PH` selects the public holidays of the `PublicHolidays` passed in.
- A range that runs past midnight is open on the day it starts until 24:00, and on the next day from 00:00
  until its end whenever the rule's days select the day it starts, whatever the rules say of that day
  itself. That morning is added to the next day at the rule's place in the order, so only a later rule
  selecting the next day cuts it: in `Mo-Fr 20:00-08:00; Sa-Su,PH 00:00-24:00` the night of a Tuesday
  before a Wednesday holiday runs into the holiday (open all day), and Thursday 00:00-08:00 is open too:
  the first rule selects Wednesday by its weekday, so its night still ends on Thursday morning.
- Times are wall-clock times in the given time zone (Europe/Paris by default). An instant is open when
  the wall clock shows a time inside an open range. So the day of the spring change lasts 23 hours and
  the night across it one hour less; in autumn the repeated hour (02:00-03:00) is open or closed both
  times, and the day lasts 25 hours.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache

from orientation.core.calendar import PARIS, PublicHolidays
from orientation.core.intervals import merge
from orientation.core.opening_hours_syntax import MINUTES_PER_DAY, Rule, TimeSpan, parse_rule

# Re-exported: the API, the console and the call flow catch it where they parse hours.
from orientation.core.opening_hours_syntax import OpeningHoursError as OpeningHoursError

# How far `next_change` and `next_opening` look ahead: a little over a year, so that a line open only on
# some public holidays still finds its next opening.
HORIZON = timedelta(days=400)

_EPOCH = datetime(1970, 1, 1)
_SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class OpeningHours:
    """Parsed opening hours; `str()` gives back the text they were parsed from."""

    text: str
    rules: tuple[Rule, ...]
    # Derived once: each kind of day's open ranges, and whether holidays change anything.
    table: dict[tuple[int, bool, bool], tuple[TimeSpan, ...]] = field(init=False, compare=False, repr=False)
    uses_holidays: bool = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        table = _day_table(self.rules)
        object.__setattr__(self, "table", table)
        object.__setattr__(
            self, "uses_holidays", any(table[(w, False, False)] != table[(w, h, p)] for w, h, p in table)
        )

    def __str__(self) -> str:
        return self.text


_EMPTY = "opening hours are empty: write e.g. '24/7' or 'Mo-Fr 08:00-20:00'"
_EMPTY_FR = "heures d'ouverture vides : écrivez par exemple « 24/7 » ou « Mo-Fr 08:00-20:00 »"


def parse_opening_hours(text: str) -> OpeningHours:
    """Parse `text` (see the module docstring for the subset) or raise OpeningHoursError."""
    if not isinstance(text, str):
        raise OpeningHoursError(_EMPTY, _EMPTY_FR)
    return _parse_opening_hours(text)


@lru_cache(maxsize=512)
def _parse_opening_hours(text: str) -> OpeningHours:
    # Every inbound call and every call-back round reads its territory's hours: parse each text once (the
    # result is immutable; a text that does not parse raises again each time, it is never cached).
    if not text.strip():
        raise OpeningHoursError(_EMPTY, _EMPTY_FR)
    parts = [part.strip() for part in text.split(";")]
    if len(parts) > 1 and not parts[-1]:
        parts.pop()  # a trailing ';' is harmless
    rules = []
    for index, part in enumerate(parts, start=1):
        if not part:
            raise OpeningHoursError(
                f"rule {index} is empty (two ';' in a row?)", f"la règle n° {index} est vide (deux « ; » de suite ?)"
            )
        rules.append(parse_rule(part))
    return OpeningHours(text, tuple(rules))


# --- evaluation ------------------------------------------------------------------------------------


def _ranges_for(rules: tuple[Rule, ...], weekday: int, holiday: bool, previous_holiday: bool) -> tuple[TimeSpan, ...]:
    """The open ranges within one day (0..1440 minutes), given its weekday and which of it and the eve are holidays."""
    previous_weekday = (weekday - 1) % 7
    ranges: list[TimeSpan] = []
    for rule in rules:
        if rule.selects(weekday, holiday):
            # A rule selecting the day replaces all of it, the morning of an earlier rule's night included.
            ranges = [TimeSpan(span.start, min(span.end, MINUTES_PER_DAY)) for span in rule.spans]
        if rule.selects(previous_weekday, previous_holiday):
            ranges += [TimeSpan(0, span.end - MINUTES_PER_DAY) for span in rule.spans if span.end > MINUTES_PER_DAY]
    merged: list[TimeSpan] = []
    for span in sorted(ranges, key=lambda span: (span.start, span.end)):
        if merged and span.start <= merged[-1].end:
            merged[-1] = TimeSpan(merged[-1].start, max(merged[-1].end, span.end))
        else:
            merged.append(span)
    return tuple(merged)


def _day_table(rules: tuple[Rule, ...]) -> dict[tuple[int, bool, bool], tuple[TimeSpan, ...]]:
    """Every kind of day (weekday, holiday, day before a holiday) and its open ranges: 28 entries."""
    return {
        (weekday, holiday, previous): _ranges_for(rules, weekday, holiday, previous)
        for weekday in range(7)
        for holiday in (False, True)
        for previous in (False, True)
    }


def _day_spans(hours: OpeningHours, day: date, holidays: PublicHolidays) -> tuple[TimeSpan, ...]:
    """The open ranges within `day`, in minutes from its midnight (0..1440)."""
    if hours.uses_holidays:
        key = (day.weekday(), holidays.is_holiday(day), holidays.is_holiday(day - timedelta(days=1)))
    else:
        key = (day.weekday(), False, False)
    return hours.table[key]


def _require_aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value


def _naive_utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


def _wall_intervals(
    hours: OpeningHours, first: date, last: date, holidays: PublicHolidays
) -> list[tuple[datetime, datetime]]:
    """Merged naive wall-clock intervals of the open ranges of the days first..last."""
    intervals = []
    day = first
    while day <= last:
        midnight = datetime.combine(day, time())
        for span in _day_spans(hours, day, holidays):
            opens, closes = timedelta(minutes=span.start), timedelta(minutes=span.end)
            intervals.append((midnight + opens, midnight + closes))
        day += timedelta(days=1)
    return merge(intervals)


def _offset(naive_utc: datetime, tz: tzinfo) -> timedelta:
    offset = naive_utc.replace(tzinfo=UTC).astimezone(tz).utcoffset()
    assert offset is not None
    return offset


def _offset_periods(start: datetime, end: datetime, tz: tzinfo) -> list[tuple[datetime, datetime, timedelta]]:
    """Split naive-UTC [start, end) into pieces of constant UTC offset in `tz`."""
    # Sampling every 6 hours finds every change of offset of real zones (at most two a year), and a
    # bisection on whole seconds pins each one down exactly (tz database transitions fall on seconds).
    step = timedelta(hours=6)
    periods = []
    period_start = start
    offset = _offset(start, tz)
    probe = start
    while probe < end:
        following = min(probe + step, end)
        if _offset(following, tz) == offset:
            probe = following
            continue
        low = math.floor((probe - _EPOCH) / _SECOND)  # offset(low) is the current offset
        high = math.ceil((following - _EPOCH) / _SECOND)  # offset(high) is not
        while high - low > 1:
            middle = (low + high) // 2
            if _offset(_EPOCH + middle * _SECOND, tz) == offset:
                low = middle
            else:
                high = middle
        change = max(_EPOCH + high * _SECOND, probe)
        periods.append((period_start, change, offset))
        period_start, offset, probe = change, _offset(change, tz), change
    periods.append((period_start, end, offset))
    return periods


def _open_intervals_utc(
    hours: OpeningHours, start: datetime, end: datetime, holidays: PublicHolidays, tz: tzinfo
) -> list[tuple[datetime, datetime]]:
    """Merged open intervals in naive UTC, clipped to naive-UTC [start, end)."""
    if end <= start or not hours.rules:
        return []
    periods = _offset_periods(start, end, tz)
    offsets = [offset for _, _, offset in periods]
    # The local dates that [start, end) touches, with a day of margin either side.
    first = (start + min(offsets)).date() - timedelta(days=1)
    last = (end + max(offsets)).date()
    walls = _wall_intervals(hours, first, last, holidays)
    pieces = []
    for period_start, period_end, offset in periods:
        low, high = max(start, period_start), min(end, period_end)
        for wall_start, wall_end in walls:
            piece_start, piece_end = max(wall_start - offset, low), min(wall_end - offset, high)
            if piece_start < piece_end:
                pieces.append((piece_start, piece_end))
    return merge(pieces)


def open_intervals(
    hours: OpeningHours,
    start: datetime,
    end: datetime,
    holidays: PublicHolidays,
    tz: tzinfo = PARIS,
) -> list[tuple[datetime, datetime]]:
    """Open intervals within [start, end): sorted, merged, clipped, as aware UTC datetimes."""
    naive_start = _naive_utc(_require_aware(start, "start"))
    naive_end = _naive_utc(_require_aware(end, "end"))
    return [
        (low.replace(tzinfo=UTC), high.replace(tzinfo=UTC))
        for low, high in _open_intervals_utc(hours, naive_start, naive_end, holidays, tz)
    ]


def is_open(hours: OpeningHours, at: datetime, holidays: PublicHolidays, tz: tzinfo = PARIS) -> bool:
    """Whether the line is open at the instant `at` (aware), judged on the wall clock of `tz`."""
    wall = _require_aware(at, "at").astimezone(tz).replace(tzinfo=None)
    midnight = datetime.combine(wall.date(), time())
    return any(
        midnight + timedelta(minutes=span.start) <= wall < midnight + timedelta(minutes=span.end)
        for span in _day_spans(hours, wall.date(), holidays)
    )


def is_always_open(hours: OpeningHours) -> bool:
    """Whether the hours are open at every instant, whichever days are public holidays."""
    return all(spans == (TimeSpan(0, MINUTES_PER_DAY),) for spans in hours.table.values())


def _is_never_open(hours: OpeningHours) -> bool:
    return all(not spans for spans in hours.table.values())


def _intervals_from(
    hours: OpeningHours, start: datetime, limit: datetime, holidays: PublicHolidays, tz: tzinfo
) -> Iterator[tuple[datetime, datetime]]:
    """Merged naive-UTC open intervals in [start, limit), computed a month at a time."""
    chunk = timedelta(days=31)
    pending: tuple[datetime, datetime] | None = None
    cursor = start
    while cursor < limit:
        chunk_end = min(cursor + chunk, limit)
        for low, high in _open_intervals_utc(hours, cursor, chunk_end, holidays, tz):
            if pending is not None and pending[1] == low:
                pending = (pending[0], high)  # the same interval, cut by the chunk boundary
                continue
            if pending is not None:
                yield pending
            pending = (low, high)
        cursor = chunk_end
    if pending is not None:
        yield pending


def next_change(hours: OpeningHours, at: datetime, holidays: PublicHolidays, tz: tzinfo = PARIS) -> datetime | None:
    """The next instant (aware UTC) after `at` when open/closed flips, or None within the horizon."""
    _require_aware(at, "at")
    if is_always_open(hours) or _is_never_open(hours):
        return None
    start = _naive_utc(at)
    limit = start + HORIZON
    first = next(_intervals_from(hours, start, limit, holidays, tz), None)
    if first is None:
        return None
    low, high = first
    change = high if low == start else low
    return None if change >= limit else change.replace(tzinfo=UTC)


def next_opening(hours: OpeningHours, at: datetime, holidays: PublicHolidays, tz: tzinfo = PARIS) -> datetime | None:
    """`at` if open now, else when the line next opens (aware UTC), or None if not within the horizon."""
    if is_open(hours, at, holidays, tz):
        return at
    return next_change(hours, at, holidays, tz)
