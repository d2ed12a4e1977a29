"""The opening-hours editor: days × time ranges and public holidays, written as an OSM value (pure).

The coordinator fills, for each weekday, up to three time ranges (an end at or before the start closes on
the next day; an end at 00:00 is midnight) or ticks "24 h/24", and says what public holidays do: as an
ordinary day, closed, open all day, or special hours. `to_osm` writes the shortest OSM value that
`orientation.core.opening_hours` evaluates to exactly those hours; `from_osm` reads a value back into the
editor when it can. `preview` lists the open periods of the coming days on the territory's wall clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from itertools import pairwise

from orientation.core.calendar import PublicHolidays
from orientation.core.french_dates import WEEKDAYS
from orientation.core.opening_hours import (
    OpeningHours,
    OpeningHoursError,
    is_always_open,
    open_intervals,
    parse_opening_hours,
)
from orientation.core.opening_hours_syntax import TimeSpan

WEEKDAY_CODES = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
# The editor's row headers and the names in its messages ("Lundi : …").
WEEKDAY_NAMES = tuple(name.capitalize() for name in WEEKDAYS)
RANGES_PER_DAY = 3
HOLIDAY_MODES = {
    "normal": "comme un jour ordinaire",
    "closed": "fermé",
    "open": "ouvert 24 h/24",
    "hours": "horaires spéciaux",
}
_DAY = 24 * 60
_CLOCK = re.compile(r"^\s*(\d{1,2})\s*(?:[:hH]\s*(\d{2})?)?\s*$")


class HoursFormErrors(ValueError):
    """Field → French message, beside each field of the editor."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class WeekHours:
    """What the editor shows: each weekday's ranges (Monday first), and the public holidays' rule."""

    days: tuple[tuple[TimeSpan, ...], ...]
    holiday_mode: str = "normal"
    holiday_spans: tuple[TimeSpan, ...] = field(default=())


# --- reading the form ---------------------------------------------------------------------------------


def _minutes(text: str) -> int | None:
    """ "08:30", "8h30", "8h", "8" → minutes after midnight; None when not a time of day."""
    match = _CLOCK.match(text)
    if not match:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2) or 0)
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        return None
    return hours * 60 + minutes


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _spans(form: Mapping[str, str], prefix: str, label: str, errors: dict[str, str]) -> tuple[TimeSpan, ...]:
    spans = []
    for index in range(RANGES_PER_DAY):
        start_key, end_key = f"{prefix}_{index}_start", f"{prefix}_{index}_end"
        start_text, end_text = (form.get(start_key) or "").strip(), (form.get(end_key) or "").strip()
        if not start_text and not end_text:
            continue
        if not start_text or not end_text:
            missing = start_key if not start_text else end_key
            errors[missing] = f"{label} : indiquez l'heure {'de début' if not start_text else 'de fin'} de la plage."
            continue
        start, end = _minutes(start_text), _minutes(end_text)
        if start is None or start >= _DAY:
            errors[start_key] = f"{label} : « {start_text} » n'est pas une heure (écrivez par exemple 08:00)."
            continue
        if end is None:
            errors[end_key] = f"{label} : « {end_text} » n'est pas une heure (écrivez par exemple 20:00)."
            continue
        if end == 0:
            end = _DAY  # "until 00:00" is until midnight
        if end == start:
            errors[end_key] = f"{label} : la plage {start_text}–{end_text} est vide (24 h/24 : cochez la case)."
            continue
        if end < start:
            end += _DAY  # closes the next morning
        spans.append(TimeSpan(start, end))
    ordered = sorted(spans, key=lambda span: (span.start, span.end))
    for first, second in pairwise(ordered):
        if second.start < first.end:
            errors.setdefault(
                f"{prefix}_0_start",
                f"{label} : les plages {_clock(first.start)}–{_clock(first.end % _DAY)} et "
                f"{_clock(second.start)}–{_clock(second.end % _DAY)} se chevauchent.",
            )
    return tuple(ordered)


def parse_week(form: Mapping[str, str]) -> WeekHours:
    """The editor's fields as WeekHours, or HoursFormErrors with a French message per field."""
    errors: dict[str, str] = {}
    days: list[tuple[TimeSpan, ...]] = []
    for weekday, name in enumerate(WEEKDAY_NAMES):
        spans = _spans(form, f"d{weekday}", name, errors)
        if form.get(f"d{weekday}_allday"):
            if spans:  # both said: ask rather than guess which one was meant
                errors[f"d{weekday}_allday"] = f"{name} : décochez « 24 h/24 » ou videz les plages horaires."
            days.append((TimeSpan(0, _DAY),))
            continue
        days.append(spans)
    mode = form.get("ph_mode") or "normal"
    holiday_spans: tuple[TimeSpan, ...] = ()
    if mode not in HOLIDAY_MODES:
        errors["ph_mode"] = "Choisissez ce que font les jours fériés."
    elif mode == "hours":
        holiday_spans = _spans(form, "ph", "Jours fériés", errors)
        if not holiday_spans and not any(key.startswith("ph_") and key != "ph_mode" for key in errors):
            errors["ph_0_start"] = "Jours fériés : indiquez au moins une plage horaire, ou choisissez « fermé »."
    if errors:
        raise HoursFormErrors(errors)
    return WeekHours(tuple(days), mode, holiday_spans)


# --- writing OSM ----------------------------------------------------------------------------------------


def _span_text(span: TimeSpan) -> str:
    end = span.end if span.end <= _DAY else span.end - _DAY
    return f"{_clock(span.start)}-{_clock(end)}"


def _day_list(weekdays: list[int]) -> str:
    """Consecutive weekdays as ranges: [0, 1, 2, 3, 4, 6] → "Mo-Fr,Su", [5, 6] → "Sa-Su"."""
    parts, run = [], [weekdays[0]]
    for weekday in weekdays[1:]:
        if weekday == run[-1] + 1:
            run.append(weekday)
            continue
        parts.append(run)
        run = [weekday]
    parts.append(run)
    return ",".join(
        WEEKDAY_CODES[r[0]] if len(r) == 1 else f"{WEEKDAY_CODES[r[0]]}-{WEEKDAY_CODES[r[-1]]}" for r in parts
    )


def _grouped_rules(days: tuple[tuple[TimeSpan, ...], ...]) -> list[str]:
    groups: dict[tuple[TimeSpan, ...], list[int]] = {}
    for weekday, spans in enumerate(days):
        if spans:
            groups.setdefault(spans, []).append(weekday)
    return [
        f"{_day_list(weekdays)} {','.join(_span_text(span) for span in spans)}"
        for spans, weekdays in sorted(groups.items(), key=lambda item: item[1][0])
    ]


def _within_days(days: tuple[tuple[TimeSpan, ...], ...]) -> tuple[tuple[TimeSpan, ...], ...]:
    """Each day's open ranges inside 00:00-24:00: its own, cut at midnight, and the morning of the night before."""
    result = []
    for weekday in range(7):
        own = [TimeSpan(span.start, min(span.end, _DAY)) for span in days[weekday]]
        morning = [TimeSpan(0, span.end - _DAY) for span in days[(weekday - 1) % 7] if span.end > _DAY]
        merged: list[TimeSpan] = []
        for span in sorted(own + morning, key=lambda span: (span.start, span.end)):
            if merged and span.start <= merged[-1].end:
                merged[-1] = TimeSpan(merged[-1].start, max(merged[-1].end, span.end))
            else:
                merged.append(span)
        result.append(tuple(merged))
    return tuple(result)


def to_osm(week: WeekHours) -> str:
    """The OSM opening_hours value for these hours: ordinary days exactly as typed, holidays as chosen."""
    intended = _within_days(week.days)
    if all(spans == (TimeSpan(0, _DAY),) for spans in intended) and week.holiday_mode in ("normal", "open"):
        return "24/7"
    rules = _grouped_rules(week.days)
    # Nights written as typed read best ("Mo-Fr 20:00-08:00"), but in OSM a later rule selecting the next
    # day replaces that morning ("Sa 09:00-12:00" cuts Friday's night at midnight). When that happens,
    # write each day's hours within the day instead: no range crosses midnight, nothing is cut.
    if not rules or _ordinary_days(parse_opening_hours("; ".join(rules))) != intended:
        rules = _grouped_rules(intended)
    holiday = {
        "normal": None,
        "closed": "PH off",
        "open": "PH 00:00-24:00",
        "hours": "PH " + ",".join(_span_text(span) for span in week.holiday_spans),
    }[week.holiday_mode]
    if holiday:
        rules.append(holiday)
    return "; ".join(rules) if rules else "off"


def _ordinary_days(hours: OpeningHours) -> tuple[tuple[TimeSpan, ...], ...]:
    """Each weekday's open ranges within the day, when neither it nor the day before is a holiday."""
    return tuple(hours.table[(weekday, False, False)] for weekday in range(7))


# --- reading OSM back ------------------------------------------------------------------------------------


def from_osm(text: str) -> WeekHours | None:
    """The editor's view of an OSM value, or None when the editor cannot show it exactly."""
    try:
        hours = parse_opening_hours(text)
    except OpeningHoursError:
        return None
    if is_always_open(hours):
        return WeekHours(tuple((TimeSpan(0, _DAY),) for _ in range(7)))
    days = []
    for weekday in range(7):
        spans: tuple[TimeSpan, ...] = ()
        for rule in reversed(hours.rules):
            if weekday in rule.weekdays:
                spans = rule.spans
                break
        if len(spans) > RANGES_PER_DAY:
            return None
        days.append(spans)
    holiday_rules = [rule for rule in hours.rules if rule.public_holidays and len(rule.weekdays) < 7]
    mode = "normal"
    holiday_spans: tuple[TimeSpan, ...] = ()
    if holiday_rules and hours.rules.index(holiday_rules[-1]) > max(
        (i for i, rule in enumerate(hours.rules) if len(rule.weekdays) == 7), default=-1
    ):
        holiday_spans = holiday_rules[-1].spans
        if not holiday_spans:
            mode = "closed"
        elif holiday_spans == (TimeSpan(0, _DAY),):
            mode, holiday_spans = "open", ()
        else:
            mode = "hours"
        if len(holiday_spans) > RANGES_PER_DAY:
            return None
    week = WeekHours(tuple(days), mode, holiday_spans)
    # Shown only when writing it back gives the very same hours, holidays included.
    if parse_opening_hours(to_osm(week)).table != hours.table:
        return None
    return _as_nights(week, hours)


def _as_nights(week: WeekHours, hours: OpeningHours) -> WeekHours:
    """Show "22:00-24:00" and the next day's "00:00-02:00" as the night "22:00-02:00" typed, when equivalent."""
    for weekday in range(7):
        following = (weekday + 1) % 7
        days = list(week.days)
        evening = next((s for s in days[weekday] if s.end == _DAY and s.start > 0), None)
        morning = next((s for s in days[following] if s.start == 0 and s.end < _DAY), None)
        # A night reads back as one only when its end comes before its start ("22:00-02:00"): a morning that
        # ends at or after the evening's start would read as a range within the day (or an empty one).
        if evening is None or morning is None or following == weekday or morning.end >= evening.start:
            continue
        days[weekday] = tuple(
            sorted([s for s in days[weekday] if s != evening] + [TimeSpan(evening.start, _DAY + morning.end)],
                   key=lambda s: (s.start, s.end))
        )  # fmt: skip
        days[following] = tuple(s for s in days[following] if s != morning)
        candidate = WeekHours(tuple(days), week.holiday_mode, week.holiday_spans)
        if parse_opening_hours(to_osm(candidate)).table == hours.table:
            week = candidate
    return week


def form_values(week: WeekHours) -> dict[str, str]:
    """The editor's field values for these hours (what `parse_week` reads back)."""
    values: dict[str, str] = {"ph_mode": week.holiday_mode}
    for weekday, spans in enumerate(week.days):
        if spans == (TimeSpan(0, _DAY),):
            values[f"d{weekday}_allday"] = "on"
            continue
        for index, span in enumerate(spans):
            values[f"d{weekday}_{index}_start"] = _clock(span.start)
            values[f"d{weekday}_{index}_end"] = _clock(span.end % _DAY)
    for index, span in enumerate(week.holiday_spans):
        values[f"ph_{index}_start"] = _clock(span.start)
        values[f"ph_{index}_end"] = _clock(span.end % _DAY)
    return values


# --- preview ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewDay:
    """One day of the preview: its date, the holiday's name if any, its open periods ("08:00", "20:00")."""

    day: date
    holiday: str | None
    periods: tuple[tuple[str, str], ...]


def preview(hours: OpeningHours, today: date, holidays: PublicHolidays, tz: tzinfo, days: int = 14) -> list[PreviewDay]:
    """The open periods of `days` days from `today`, on the wall clock of `tz`, each cut at midnight."""
    result = []
    for offset in range(days):
        day = today + timedelta(days=offset)
        start = datetime.combine(day, time(), tzinfo=tz)
        end = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz)
        periods = []
        for low, high in open_intervals(hours, start, end, holidays, tz):
            opens = low.astimezone(tz)
            closes = high.astimezone(tz)
            periods.append((f"{opens:%H:%M}", "24:00" if high == end else f"{closes:%H:%M}"))
        result.append(PreviewDay(day, holidays.name(day), tuple(periods)))
    return result
