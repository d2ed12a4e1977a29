"""A patient's call through the real webhooks, on SQLite and PostgreSQL, with Twilio played by the engine."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.clock import FrozenClock
from orientation.models import Attempt, OutboxMessage, Request
from tests import factories
from tests.functional.twilio_client import call, said


def _request(session: Session) -> Request:
    session.expire_all()
    return session.scalars(select(Request)).one()


def test_a_patient_reaches_the_volunteer_on_shift_who_presses_one(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    patient = call(app)

    patient.start()
    assert patient.state == "gather"
    assert "urgence vitale" in said(patient) and "15" in said(patient)
    recorded = _request(session)
    assert recorded.reference == "P20-2026-000001"
    assert recorded.caller == "+33611223344"
    assert recorded.status == "in_menu"

    patient.press("2")
    patient.press("75020")
    assert patient.state == "dial_leg"
    patient.leg_answer()
    assert patient.state == "leg_gather"
    screening = said(patient, "volunteer")
    assert "visite à domicile" in screening and "7 5 0 2 0" in screening and "Tapez 1" in screening

    patient.leg_press("1")
    assert patient.state == "bridged"
    connected = _request(session)
    assert connected.status == "connected"
    assert connected.volunteer_id == volunteer.id
    assert connected.motive == "visite_domicile" and connected.postcode == "75020" and connected.in_territory

    patient.end_bridge(duration=300)
    assert patient.state == "ended"
    final = _request(session)
    assert final.status == "connected"
    attempts = session.scalars(select(Attempt)).all()
    assert [(a.volunteer_id, a.result) for a in attempts] == [(volunteer.id, "accepted")]
    sms = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "outcome_request")).one()
    assert sms.to_number == volunteer.phone
    assert "P20-2026-000001" in (sms.body or "") and "répondez 1" in (sms.body or "")
