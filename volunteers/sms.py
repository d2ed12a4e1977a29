"""A volunteer's next shifts as an SMS writes them (ROTA, the private page); pause and DISPO are in
orientation.services.volunteer_controls."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import object_session

from orientation.core.french_dates import short_day
from orientation.core.models import Territory
from volunteers import rota as rota_mod
from volunteers.models import Volunteer
from volunteers.services import territory_calendar, volunteer_rota
from volunteers.shifts import Occurrence


def next_shifts(volunteer: Volunteer, territory: Territory, now: datetime, count: int = 3) -> list[Occurrence]:
    """The volunteer's next `count` shifts starting at or after `now` (replacements they take included)."""
    session = object_session(volunteer)
    if session is None:
        raise ValueError("next_shifts needs a volunteer loaded from a session")
    holidays, tz = territory_calendar(territory)
    return rota_mod.next_shifts(volunteer_rota(session, volunteer), volunteer.id, now, count, holidays, tz)


def shift_text(shift: Occurrence, tz: ZoneInfo) -> str:
    """One shift as an SMS or a page writes it: "mar. 1/12 09:00–12:00"."""
    start, end = shift.starts_at.astimezone(tz), shift.ends_at.astimezone(tz)
    return f"{short_day(start)} {start:%H:%M}–{end:%H:%M}"


def next_shifts_text(volunteer: Volunteer, territory: Territory, now: datetime, count: int = 3) -> str | None:
    """The volunteer's next shifts in French ("mar. 1/12 09:00–12:00, …"), None when there are none."""
    shifts = next_shifts(volunteer, territory, now, count)
    if not shifts:
        return None
    tz = ZoneInfo(territory.timezone)
    return ", ".join(shift_text(shift, tz) for shift in shifts)
