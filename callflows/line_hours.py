"""Whether a line is open at an instant and when it reopens, from the plain values of its settings."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from orientation.core.calendar import french_public_holidays
from orientation.core.opening_hours import OpeningHoursError, is_open, next_opening, parse_opening_hours


def line_open(
    opening_hours: str, holiday_subdivision: str | None, timezone: str, now: datetime
) -> tuple[bool, datetime | None]:
    """(True, None) while open; else (False, when it next opens, or None when it does not within the horizon)."""
    try:
        hours = parse_opening_hours(opening_hours)
    except OpeningHoursError:
        # Hours are validated when saved; a bad value must not close the line by accident.
        return True, None
    holidays = french_public_holidays(holiday_subdivision)
    tz = ZoneInfo(timezone)
    if is_open(hours, now, holidays, tz):
        return True, None
    return False, next_opening(hours, now, holidays, tz)
