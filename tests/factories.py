"""Factories for test data: a territory with its line, volunteers, their shifts and weekly patterns, a closed call,
and the runtime a clock job is given."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import count
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from orientation.core.clock import Clock
from orientation.core.config import Config
from orientation.core.db import make_session_factory
from orientation.core.models import Event, Request, Territory
from orientation.core.runtime import Runtime
from orientation.services import requests as svc
from orientation.services.messaging import queue_sms
from orientation.services.territories import create_territory
from volunteers.models import Shift, ShiftPattern, Volunteer
from volunteers.services import create_volunteer

LINE_NUMBER = "+33199000001"
ALL_MOTIVES = ["medecin_traitant", "visite_domicile", "soins_non_programmes", "orientation"]
CALLER = "+33611223344"
OTHER_CALLER = "+33799887766"
_phones = count(1)
_call_sids = count(1)


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


def closed_call(
    session: Session,
    territory: Territory,
    at: datetime,
    *,
    caller: str | None = CALLER,
    outcome: str = "matched",
    note: str | None = "Mme D., douleur thoracique, rappeler sa fille",
) -> Request:
    """A call taken by a volunteer, with the words said to the menu, a voice message, SMS, and an outcome."""
    request, _ = svc.open_request(session, territory, f"CA{next(_call_sids):032x}", caller, at)
    svc.choose_motive(session, request, "medecin_traitant", at, defaulted=False)
    svc.set_postcode(session, request, territory, "75020", at)
    session.add(
        Event(
            request_id=request.id,
            kind="voice.menu",
            idempotency_key=f"k{request.id}",
            payload={"SpeechResult": "un médecin pour ma mère", "Confidence": "0.9"},
            response=f"<Response><Dial><Number>{caller}</Number></Dial></Response>",
            at=at,
        )
    )
    svc.store_recording(session, request, "RE" + "1" * 32, "https://api.twilio.com/rec/RE1", 42, at)
    request.connected_at = at + timedelta(seconds=30)
    request.status = "connected"
    if caller is not None:
        queue_sms(
            session,
            to=caller,
            from_=LINE_NUMBER,
            body=f"Votre demande {request.reference} est enregistrée",
            purpose="patient_callback",
            now=at,
            territory_id=territory.id,
            request_id=request.id,
            live=True,
        )
    queue_sms(
        session,
        to="+33600000999",
        from_=LINE_NUMBER,
        body=f"Rappel à faire {request.reference} médecin traitant 75020",
        purpose="callback_alert",
        now=at,
        territory_id=territory.id,
        request_id=request.id,
        live=False,
    )
    svc.close_with_outcome(session, request, outcome, at + timedelta(minutes=5), actor="test", note=note)
    session.commit()
    return request


def runtime(config: Config, engine: Engine, clock: Clock, sender: Any = None) -> Runtime:
    """A clock process's runtime on the test database: a fresh one per call, as after a restart."""
    return Runtime(config=config, engine=engine, sessions=make_session_factory(engine), clock=clock, sender=sender)
