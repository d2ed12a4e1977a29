"""Parsing the words of a weekly pattern as people write them: weekdays, HH:MM times, holiday rules. Pure.

Shared by the JSON API and the CSV import, so that both accept and refuse exactly the same values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from orientation.core.french_dates import WEEKDAYS
from orientation.core.times_of_day import PatternValueError
from volunteers.shifts import HOLIDAY_RULES

# A day is written as any prefix of at least two letters of its English or French name: "Mo" (as in opening
# hours), "Tue", "mer", "Jeudi"… No two names share their first two letters, so a prefix is never ambiguous.
_ENGLISH_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_NAMES: tuple[tuple[str, ...], ...] = tuple(zip(_ENGLISH_DAYS, WEEKDAYS, strict=True))
_SEPARATORS = re.compile(r"[\s,;|+/]+")


def _day(token: str | int) -> int:
    if isinstance(token, bool):
        raise PatternValueError(f"unknown day {token!r}")
    if isinstance(token, int):
        if 0 <= token <= 6:
            return token
        raise PatternValueError(f"weekday numbers run from 0 (Monday) to 6 (Sunday): {token}")
    text = token.strip().lower()
    if text.isdigit() and len(text) == 1:
        return _day(int(text))
    day = next(
        (n for n, names in enumerate(_DAY_NAMES) if len(text) >= 2 and any(name.startswith(text) for name in names)),
        None,
    )
    if day is None:
        raise PatternValueError(f"unknown day {token!r}: write Mo Tu We Th Fr Sa Su or 0 (Monday) to 6")
    return day


def _ci(text: str) -> str:
    return "".join(f"[{c}{c.upper()}]" for c in text)


def weekday_token_regex() -> str:
    """The regex (JSON Schema dialect, no flags) of one day or range parse_weekdays reads: Mo, mardi, 3, Sa-Mo."""
    prefixes = sorted({name[:n] for names in _DAY_NAMES for name in names for n in range(2, len(name) + 1)})
    day = "(?:[0-6]|" + "|".join(_ci(p) for p in sorted(prefixes, key=len, reverse=True)) + ")"
    return f"{day}(?:-{day})?"


def weekdays_regex(space: str = r"\s") -> str:
    """The regex of a whole weekdays string: tokens separated by spaces, commas, semicolons, |, + or /.

    ``space``: the class of what ``\\s`` matches here, spelled out for a JSON Schema (orientation.core.fields.SPACE).
    """
    token = weekday_token_regex()
    return rf"^{space}*{token}(?:(?:{space}|[,;|+/])+{token})*{space}*$"


def parse_weekdays(value: str | Iterable[str | int]) -> list[int]:
    """Return sorted weekday numbers (0 = Monday) from "Mo-Fr", "Tu,Th", ["Mo", "We"] or [0, 2]."""
    tokens: list[str | int] = list(_SEPARATORS.split(value.strip())) if isinstance(value, str) else list(value)
    days: set[int] = set()
    for token in tokens:
        if isinstance(token, str) and "-" in token.strip("-"):
            first, _, last = token.partition("-")
            low, high = _day(first), _day(last)
            # A range may wrap around the week (Sa-Mo), as in opening hours.
            span = range(low, high + 1) if low <= high else [*range(low, 7), *range(0, high + 1)]
            days.update(span)
        elif token != "":
            days.add(_day(token))
    if not days:
        raise PatternValueError("at least one weekday is needed")
    return sorted(days)


def parse_holidays(value: str | None) -> str:
    """Return the holiday rule (include, skip, only); empty means include."""
    text = (value or "").strip().lower() or "include"
    if text not in HOLIDAY_RULES:
        raise PatternValueError(f"holidays must be one of {', '.join(sorted(HOLIDAY_RULES))}: {value!r}")
    return text


def check_validity(valid_from: date, valid_until: date | None) -> None:
    """Refuse a validity period that ends before it starts."""
    if valid_until is not None and valid_until < valid_from:
        raise PatternValueError("valid_until is before valid_from")


def occurs_on(weekdays: Iterable[int], valid_from: date, valid_until: date | None, day: date) -> bool:
    """Return True when a pattern with these days and bounds has an occurrence starting on `day`."""
    return day.weekday() in set(weekdays) and valid_from <= day and (valid_until is None or day <= valid_until)
