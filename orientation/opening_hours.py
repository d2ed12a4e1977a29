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
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache

from orientation.calendar import PARIS, PublicHolidays

# How far `next_change` and `next_opening` look ahead: a little over a year, so that a line open only on
# some public holidays still finds its next opening.
HORIZON = timedelta(days=400)

_MINUTES_PER_DAY = 24 * 60
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_ALL_DAYS = frozenset(range(7))
_STATES = {"OFF": False, "CLOSED": False, "OPEN": True}
_EPOCH = datetime(1970, 1, 1)
_SECOND = timedelta(seconds=1)

_TOKEN = re.compile(
    r"\s*(?:(?P<always>24/7)|(?P<time>\d+:\d+)|(?P<word>[A-Za-z]+)|(?P<dash>-)|(?P<comma>,)"
    r"|(?P<other>[^\s,;-]+|\S))"
)


class OpeningHoursError(ValueError):
    """An opening-hours value outside the supported subset; the message names the offending part.

    `str()` is the English message (API, logs); `french` says the same to a coordinator in the console.
    """

    def __init__(self, message: str, french: str) -> None:
        super().__init__(message)
        self.french = french


@dataclass(frozen=True)
class TimeSpan:
    """An open range in minutes from the start of the day it belongs to; `end` may pass 1440."""

    start: int
    end: int


@dataclass(frozen=True)
class Rule:
    """One `;`-separated rule: the days it selects and their open ranges (empty when closed)."""

    weekdays: frozenset[int]
    public_holidays: bool
    spans: tuple[TimeSpan, ...]

    def selects(self, weekday: int, holiday: bool) -> bool:
        """Whether this rule applies to a day with this weekday (0 = Monday) and holiday status."""
        return weekday in self.weekdays or (holiday and self.public_holidays)


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


# --- parsing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str


def _tokenize(rule: str) -> list[_Token]:
    tokens = []
    for match in _TOKEN.finditer(rule):
        kind = match.lastgroup
        if kind is None:  # trailing whitespace only
            continue
        tokens.append(_Token(kind, match.group(kind)))
    return tokens


def _parse_time(text: str, rule: str, *, is_end: bool) -> int:
    hours, minutes = text.split(":")
    limit = 48 if is_end else 23
    if len(hours) != 2 or len(minutes) != 2 or int(minutes) > 59 or int(hours) > limit:
        bound = "00:00 to 48:00" if is_end else "00:00 to 23:59"
        borne = "de 00:00 à 48:00" if is_end else "de 00:00 à 23:59"
        raise OpeningHoursError(
            f"invalid time {text!r} in rule {rule!r}: write HH:MM with two-digit hours ({bound})",
            f"heure « {text} » invalide dans « {rule} » : écrivez HH:MM avec deux chiffres pour l'heure ({borne})",
        )
    value = int(hours) * 60 + int(minutes)
    if is_end and value > 2 * _MINUTES_PER_DAY:
        raise OpeningHoursError(
            f"invalid time {text!r} in rule {rule!r}: an end time is 48:00 at most",
            f"heure « {text} » invalide dans « {rule} » : une fin est au plus 48:00",
        )
    return value


def _weekday(token: _Token, rule: str) -> int:
    name = token.text.upper()
    if token.kind != "word" or name not in _WEEKDAYS:
        raise OpeningHoursError(
            f"expected a weekday (Mo, Tu, We, Th, Fr, Sa, Su) but found {token.text!r} in rule {rule!r}",
            f"jour attendu (Mo, Tu, We, Th, Fr, Sa, Su : lundi à dimanche) au lieu de « {token.text} » dans « {rule} »",
        )
    return _WEEKDAYS.index(name)


def _unexpected(token: _Token, rule: str) -> OpeningHoursError:
    if token.kind == "word":
        return OpeningHoursError(
            f"unsupported {token.text!r} in rule {rule!r}: expected days (Mo-Su, PH), "
            "times like 08:00-12:00, or off/closed/open",
            f"« {token.text} » n'est pas compris dans « {rule} » : écrivez des jours (Mo-Su, PH pour les jours "
            "fériés), des plages comme 08:00-12:00, ou off (fermé) / open (ouvert)",
        )
    if token.kind == "time":
        return OpeningHoursError(
            f"unexpected {token.text!r} in rule {rule!r}: separate time ranges with ',', e.g. 08:00-12:00,14:00-18:00",
            f"« {token.text} » inattendu dans « {rule} » : séparez les plages par une virgule, "
            "par exemple 08:00-12:00,14:00-18:00",
        )
    if token.text[:1].isdigit():
        return OpeningHoursError(
            f"unexpected {token.text!r} in rule {rule!r}: write times as HH:MM-HH:MM, e.g. 08:00-12:00",
            f"« {token.text} » inattendu dans « {rule} » : écrivez les plages HH:MM-HH:MM, par exemple 08:00-12:00",
        )
    return OpeningHoursError(
        f"unexpected {token.text!r} in rule {rule!r}", f"« {token.text} » inattendu dans « {rule} »"
    )


class _RuleParser:
    """Recursive-descent parser over the tokens of one rule."""

    def __init__(self, rule: str) -> None:
        self.rule = rule
        self.tokens = _tokenize(rule)
        self.pos = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise OpeningHoursError(f"rule {self.rule!r} ends too early", f"la règle « {self.rule} » s'arrête trop tôt")
        self.pos += 1
        return token

    def parse(self) -> Rule:
        first = self.peek()
        if first is not None and first.kind == "always":
            self.take()
            self.expect_end()
            return Rule(_ALL_DAYS, True, (TimeSpan(0, _MINUTES_PER_DAY),))
        weekdays, public_holidays, has_days = self.days()
        spans = self.body(has_days)
        self.expect_end()
        if not has_days:
            return Rule(_ALL_DAYS, True, spans)
        return Rule(frozenset(weekdays), public_holidays, spans)

    def days(self) -> tuple[set[int], bool, bool]:
        weekdays: set[int] = set()
        public_holidays = False
        token = self.peek()
        if not self.starts_day(token):
            return weekdays, public_holidays, False
        while True:
            token = self.take()
            if token.text.upper() == "PH":
                public_holidays = True
            else:
                first = _weekday(token, self.rule)
                last = first
                following = self.peek()
                if following is not None and following.kind == "dash":
                    self.take()
                    last = _weekday(self.take(), self.rule)
                # Ranges wrap around the week: Sa-Mo is Saturday, Sunday, Monday.
                for offset in range((last - first) % 7 + 1):
                    weekdays.add((first + offset) % 7)
            following = self.peek()
            if following is None or following.kind != "comma":
                return weekdays, public_holidays, True
            self.take()
            if not self.starts_day(self.peek()):
                after = self.peek()
                found = "nothing" if after is None else repr(after.text)
                trouve = "rien" if after is None else f"« {after.text} »"
                raise OpeningHoursError(
                    f"expected a day after ',' but found {found} in rule {self.rule!r}",
                    f"jour attendu après la virgule au lieu de {trouve} dans « {self.rule} »",
                )

    @staticmethod
    def starts_day(token: _Token | None) -> bool:
        return token is not None and token.kind == "word" and token.text.upper() in (*_WEEKDAYS, "PH")

    def body(self, has_days: bool) -> tuple[TimeSpan, ...]:
        token = self.peek()
        if token is None:
            if not has_days:
                raise OpeningHoursError(
                    "empty rule: write days and times, e.g. 'Mo-Fr 08:00-20:00'",
                    "règle vide : écrivez des jours et des heures, par exemple « Mo-Fr 08:00-20:00 »",
                )
            return (TimeSpan(0, _MINUTES_PER_DAY),)
        if token.kind == "word" and token.text.upper() in _STATES:
            self.take()
            return (TimeSpan(0, _MINUTES_PER_DAY),) if _STATES[token.text.upper()] else ()
        if token.kind != "time":
            raise _unexpected(token, self.rule)
        spans = [self.span()]
        while (token := self.peek()) is not None and token.kind == "comma":
            self.take()
            after = self.peek()
            if after is None or after.kind != "time":
                found = "nothing" if after is None else repr(after.text)
                trouve = "rien" if after is None else f"« {after.text} »"
                raise OpeningHoursError(
                    f"expected a time range like 14:00-18:00 after ',' but found {found} in rule "
                    f"{self.rule!r} (several rules are separated by ';')",
                    f"plage horaire attendue après la virgule (comme 14:00-18:00) au lieu de {trouve} dans "
                    f"« {self.rule} » (les règles se séparent par « ; »)",
                )
            spans.append(self.span())
        return tuple(sorted(set(spans), key=lambda span: (span.start, span.end)))

    def span(self) -> TimeSpan:
        start_token = self.take()
        start = _parse_time(start_token.text, self.rule, is_end=False)
        dash = self.peek()
        if dash is None or dash.kind != "dash":
            raise OpeningHoursError(
                f"time {start_token.text!r} in rule {self.rule!r} needs an end, e.g. {start_token.text}-18:00",
                f"la plage « {start_token.text} » dans « {self.rule} » n'a pas de fin : écrivez par exemple "
                f"{start_token.text}-18:00",
            )
        self.take()
        end_token = self.take()
        if end_token.kind != "time":
            raise OpeningHoursError(
                f"expected an end time after {start_token.text}- but found {end_token.text!r} in rule {self.rule!r}",
                f"heure de fin attendue après {start_token.text}- au lieu de « {end_token.text} » dans « {self.rule} »",
            )
        end = _parse_time(end_token.text, self.rule, is_end=True)
        if end == start:
            raise OpeningHoursError(
                f"empty time range {start_token.text}-{end_token.text} in rule {self.rule!r} "
                "(for a whole day write 00:00-24:00)",
                f"plage vide {start_token.text}-{end_token.text} dans « {self.rule} » "
                "(pour toute la journée, écrivez 00:00-24:00)",
            )
        if end < start:
            end += _MINUTES_PER_DAY  # closes on the next day
        if end - start > _MINUTES_PER_DAY:
            raise OpeningHoursError(
                f"time range {start_token.text}-{end_token.text} in rule {self.rule!r} is longer than 24 hours",
                f"la plage {start_token.text}-{end_token.text} dans « {self.rule} » dure plus de 24 heures",
            )
        return TimeSpan(start, end)

    def expect_end(self) -> None:
        token = self.peek()
        if token is not None:
            raise _unexpected(token, self.rule)


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
        rules.append(_RuleParser(part).parse())
    return OpeningHours(text, tuple(rules))


# --- evaluation ------------------------------------------------------------------------------------


def _ranges_for(rules: tuple[Rule, ...], weekday: int, holiday: bool, previous_holiday: bool) -> tuple[TimeSpan, ...]:
    """The open ranges within one day (0..1440 minutes), given its weekday and which of it and the eve are holidays."""
    previous_weekday = (weekday - 1) % 7
    ranges: list[TimeSpan] = []
    for rule in rules:
        if rule.selects(weekday, holiday):
            # A rule selecting the day replaces all of it, the morning of an earlier rule's night included.
            ranges = [TimeSpan(span.start, min(span.end, _MINUTES_PER_DAY)) for span in rule.spans]
        if rule.selects(previous_weekday, previous_holiday):
            ranges += [TimeSpan(0, span.end - _MINUTES_PER_DAY) for span in rule.spans if span.end > _MINUTES_PER_DAY]
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
    intervals.sort()
    return _merge(intervals)


def _merge(intervals: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Merge sorted intervals that overlap or touch."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in intervals:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


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
    pieces.sort()
    return _merge(pieces)


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
    return all(spans == (TimeSpan(0, _MINUTES_PER_DAY),) for spans in hours.table.values())


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
