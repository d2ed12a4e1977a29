"""Factories for test data: a territory with its line, volunteers, their shifts and weekly patterns."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import count
from typing import Any

from sqlalchemy.orm import Session

from orientation.models import Territory
from orientation.services.territories import create_territory
from volunteers.models import Shift, ShiftPattern, Volunteer
from volunteers.services import create_volunteer

LINE_NUMBER = "+33199000001"
ALL_MOTIVES = ["medecin_traitant", "visite_domicile", "soins_non_programmes", "orientation"]
_phones = count(1)


def territory(session: Session, now: datetime, **overrides: Any) -> Territory:
    """A territory answering LINE_NUMBER, open 24/7, covering 75019 and 75020."""
    data: dict[str, Any] = {
        "name": "CPTS Paris 20",
        "reference_prefix": "P20",
        "phone_numbers": [LINE_NUMBER],
        "postcodes": ["75019", "75020"],
        "opening_hours": "24/7",
    }
    if "name" in overrides and "reference_prefix" not in overrides:
        # Another territory beside the first: its own prefix, from its name (prefixes are unique).
        del data["reference_prefix"]
    data.update(overrides)
    created = create_territory(session, data, now)
    session.commit()
    return created


def volunteer(
    session: Session,
    territory: Territory,
    now: datetime,
    *,
    on_shift: bool = True,
    motives: list[str] | None = None,
    **overrides: Any,
) -> Volunteer:
    """A volunteer with a distinct mobile, on shift around `now` unless told otherwise."""
    n = next(_phones)
    data: dict[str, Any] = {
        "name": f"Dr Volunteer {n}",
        "phone": f"+336000{n:05d}",
        "profession": "medecin",
        "motives": motives or list(ALL_MOTIVES),
        "languages": ["fr"],
    }
    data.update(overrides)
    created = create_volunteer(session, territory, data, now)
    if on_shift:
        session.add(
            Shift(
                volunteer_id=created.id,
                starts_at=now - timedelta(hours=2),
                ends_at=now + timedelta(hours=6),
                motives=[],
                created_at=now,
            )
        )
    session.commit()
    return created


def shift(session: Session, volunteer: Volunteer, now: datetime, starts_at: datetime, ends_at: datetime) -> Shift:
    """A one-off shift of the volunteer, for all their motives."""
    created = Shift(volunteer_id=volunteer.id, starts_at=starts_at, ends_at=ends_at, motives=[], created_at=now)
    session.add(created)
    session.commit()
    return created


def pattern(
    session: Session,
    volunteer: Volunteer,
    now: datetime,
    weekdays: list[int],
    start: str = "09:00",
    end: str = "12:00",
    valid_from: date = date(2026, 11, 1),
    **overrides: Any,
) -> ShiftPattern:
    """A weekly pattern of the volunteer (local wall-clock times), for all their motives, holidays included."""
    data: dict[str, Any] = {"motives": [], "holidays": "include", "valid_until": None}
    data.update(overrides)
    created = ShiftPattern(
        volunteer_id=volunteer.id,
        weekdays=weekdays,
        start_time=start,
        end_time=end,
        valid_from=valid_from,
        created_at=now,
        **data,
    )
    session.add(created)
    session.commit()
    return created
