"""The demo territory ("CPTS Démo"): fictitious volunteers whose shifts cover the current week."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.core.models import Territory
from orientation.services.territories import create_territory
from volunteers.models import Shift, ShiftPattern
from volunteers.services import create_volunteer

DEMO_NAME = "CPTS Démo"
DEMO_NUMBER = "+33199000001"  # in the range ARCEP reserves for fiction
DEMO_POSTCODES = ["75019", "75020"]
PARIS = ZoneInfo("Europe/Paris")

DEMO_VOLUNTEERS = (
    ("Dr Camille Martin", "+33600000001", "medecin", ["medecin_traitant", "soins_non_programmes", "orientation"]),
    ("Sam Lefèvre, infirmier", "+33600000002", "infirmier", ["visite_domicile", "soins_non_programmes", "orientation"]),
    (
        "Dr Inès Haddad",
        "+33600000003",
        "medecin",
        ["medecin_traitant", "visite_domicile", "soins_non_programmes", "orientation"],
    ),
    ("Léa Dubois, sage-femme", "+33600000004", "sage_femme", ["orientation", "soins_non_programmes"]),
)


def week_start(today: date) -> date:
    """The Monday of the week of `today`."""
    return today - timedelta(days=today.weekday())


def load_demo(session: Session, now: datetime) -> Territory:
    """Create the demo territory once; later runs extend the volunteers' shifts to the current week."""
    territory = session.scalar(select(Territory).where(Territory.name == DEMO_NAME))
    if territory is None:
        territory = create_territory(
            session,
            {
                "name": DEMO_NAME,
                "reference_prefix": "DEMO",
                "phone_numbers": [DEMO_NUMBER],
                "postcodes": DEMO_POSTCODES,
                "opening_hours": "24/7",
                "coordinator_phone": "+33600000009",
                "neighbours": [
                    {"name": "CPTS Voisine", "phone": "+33199000002", "postcodes": ["93100", "93170"]},
                ],
            },
            now,
        )
        for name, phone, profession, motives in DEMO_VOLUNTEERS:
            create_volunteer(
                session,
                territory,
                {"name": name, "phone": phone, "profession": profession, "motives": motives, "languages": ["fr"]},
                now,
            )
        session.flush()
    monday = week_start(now.astimezone(PARIS).date())
    volunteers = sorted(territory_volunteers(session, territory.id), key=lambda v: v.id)
    for index, volunteer in enumerate(volunteers[:3]):
        # Whole-week one-off shifts: the demo answers at any hour of the current week.
        starts = datetime.combine(monday, time(), tzinfo=PARIS)
        ends = datetime.combine(monday + timedelta(days=7), time(), tzinfo=PARIS)
        if not any(s.starts_at <= starts and s.ends_at >= ends for s in volunteer.shifts):
            session.add(Shift(volunteer_id=volunteer.id, starts_at=starts, ends_at=ends, motives=[], created_at=now))
        if index == 0 and not volunteer.patterns:
            session.add(
                ShiftPattern(
                    volunteer_id=volunteer.id,
                    weekdays=[1],
                    start_time="09:00",
                    end_time="12:00",
                    valid_from=monday,
                    valid_until=None,
                    motives=["visite_domicile"],
                    holidays="skip",
                    created_at=now,
                )
            )
    session.flush()
    return territory


def territory_volunteers(session: Session, territory_id: int) -> list[Any]:
    """The volunteers of a territory."""
    from volunteers.models import Volunteer

    return list(session.scalars(select(Volunteer).where(Volunteer.territory_id == territory_id)))


DEMO_COORDINATOR_EMAIL = "coordination@demo.cpts"


def demo_password() -> str:
    """A fresh random password for the demo account (72 random bits: strong by any measure)."""
    import secrets

    return "demo-" + secrets.token_urlsafe(9)


def demo_coordinator(session: Session, territory: Territory, now: datetime) -> tuple[str, str]:
    """Create the demo territory's coordinator account, or give it a new password; returns (email, password).

    A fresh random password on every `demo load`: the demo can be shown on a public server without a
    well-known password opening it.
    """
    from orientation.web.console.accounts import create_user, find_user, set_password

    password = demo_password()
    account = find_user(session, DEMO_COORDINATOR_EMAIL)
    if account is None:
        create_user(
            session, DEMO_COORDINATOR_EMAIL, password, "coordinator", territory.id, now, name="Coordination démo"
        )
    else:
        set_password(session, account, password)
        account.active = True
    session.flush()
    return DEMO_COORDINATOR_EMAIL, password
