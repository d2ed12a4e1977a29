"""What volunteers do by SMS to the line's number: PAUSE, DISPO, ROTA."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, object_session

from orientation.models import Territory
from volunteers import rota as rota_mod
from volunteers.models import Volunteer
from volunteers.services import territory_calendar, volunteer_rota

_WEEKDAYS_FR = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")


def pause(session: Session, volunteer: Volunteer, territory: Territory, now: datetime) -> None:
    """Out of routing until DISPO or the end of the shift the volunteer is on now."""
    holidays, tz = territory_calendar(territory)
    # The volunteer's own rota, replacements they take included: pausing during one ends with it.
    rota = volunteer_rota(session, volunteer)
    current = [o for o in rota.on_duty(now, holidays, tz) if o.volunteer_id == volunteer.id]
    volunteer.paused = True
    volunteer.paused_until = max(o.ends_at for o in current) if current else None


def available(volunteer: Volunteer) -> None:
    """Back in routing during shifts."""
    volunteer.paused = False
    volunteer.paused_until = None


def next_shifts_text(volunteer: Volunteer, territory: Territory, now: datetime, count: int = 3) -> str | None:
    """The volunteer's next shifts in French ("mar. 1/12 09:00–12:00, …"), None when there are none."""
    session = object_session(volunteer)
    if session is None:
        raise ValueError("next_shifts_text needs a volunteer loaded from a session")
    holidays, tz = territory_calendar(territory)
    rota = volunteer_rota(session, volunteer)
    shifts = rota_mod.next_shifts(rota, volunteer.id, now, count, holidays, tz)
    if not shifts:
        return None
    parts = []
    for shift in shifts:
        start, end = shift.starts_at.astimezone(tz), shift.ends_at.astimezone(tz)
        parts.append(f"{_WEEKDAYS_FR[start.weekday()]} {start.day}/{start.month} {start:%H:%M}–{end:%H:%M}")
    return ", ".join(parts)
