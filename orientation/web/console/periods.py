"""Calendar periods of the console (this week, this month, the last weeks), as aware instants, pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from orientation.core.fields import Day, form_value


@dataclass(frozen=True)
class Period:
    """A half-open span [since, until) of local calendar days, with a French name."""

    name: str
    since: datetime
    until: datetime


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz)


def week_of(now: datetime, tz: tzinfo) -> Period:
    """The ISO week (Monday to Sunday, local time) containing `now`."""
    today = now.astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    return Period("Cette semaine", _midnight(monday, tz), _midnight(monday + timedelta(days=7), tz))


def month_of(now: datetime, tz: tzinfo) -> Period:
    """The calendar month (local time) containing `now`."""
    today = now.astimezone(tz).date()
    first = today.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Period("Ce mois-ci", _midnight(first, tz), _midnight(following, tz))


def last_weeks(now: datetime, tz: tzinfo, count: int) -> Period:
    """The `count` ISO weeks ending with the current one."""
    week = week_of(now, tz)
    start = week.since.date() - timedelta(days=7 * (count - 1))
    return Period(f"{count} dernières semaines", _midnight(start, tz), week.until)


def parse_day(text: str | None) -> date | None:
    """A yyyy-mm-dd date from a form, or None when empty, malformed or outside the one range (core.fields)."""
    day: date | None = form_value(Day, text)
    return day


def days(since: date, until_inclusive: date, tz: tzinfo) -> Period:
    """From the start of one local day to the end of another."""
    return Period("Période", _midnight(since, tz), _midnight(until_inclusive + timedelta(days=1), tz))
