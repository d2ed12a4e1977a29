"""Texts to the line's number: volunteers' commands and outcome replies, through the signed webhook."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import Event, Request
from tests import factories
from tests.functional.twilio_client import call_to_postcode, connected_call, send_sms
from volunteers.models import Volunteer


def test_a_volunteer_reply_of_one_sets_the_outcome_matched(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    connected_call(app, key="2", seconds=120)
    reply = send_sms(app, volunteer.phone, " 1 merci")
    session.expire_all()
    request = session.scalars(select(Request)).one()
    assert request.outcome == "matched" and request.status == "closed"
    assert "P20-2026-000001" in reply and "pris en charge" in reply


def test_a_volunteer_with_two_open_requests_is_asked_which_one(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    connected_call(app, "+33611111111", key="2", seconds=120)
    clock.advance(minutes=10)
    connected_call(app, "+33622222222", key="2", seconds=120)
    reply = send_sms(app, volunteer.phone, "2")
    assert "P20-2026-000001" in reply and "P20-2026-000002" in reply
    session.expire_all()
    assert [r.outcome for r in session.scalars(select(Request).order_by(Request.id))] == [None, None]
    send_sms(app, volunteer.phone, "p20-2026-000002 2")
    session.expire_all()
    assert [r.outcome for r in session.scalars(select(Request).order_by(Request.id))] == [None, "oriented"]


def test_a_stranger_gets_a_polite_answer_and_changes_nothing(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    connected_call(app, key="2", seconds=120)
    reply = send_sms(app, "+33677777777", "1")
    assert "ligne d'orientation" in reply
    session.expire_all()
    assert session.scalars(select(Request)).one().outcome is None


def test_an_unparseable_reply_is_answered_and_changes_nothing(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    connected_call(app, key="2", seconds=120)
    reply = send_sms(app, volunteer.phone, "rappelez dans 3 jours")
    assert "non comprise" in reply
    session.expire_all()
    assert session.scalars(select(Request)).one().outcome is None


def test_pause_takes_a_volunteer_out_of_routing_until_dispo(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    assert "plus d'appels" in send_sms(app, volunteer.phone, "Pause")
    session.expire_all()
    paused = session.get(Volunteer, volunteer.id)
    assert paused is not None and paused.paused and paused.paused_until == clock() + timedelta(hours=6)
    patient = call_to_postcode(app)
    assert patient.state == "record"
    send_sms(app, volunteer.phone, "DISPO")
    session.expire_all()
    back = session.get(Volunteer, volunteer.id)
    assert back is not None and not back.paused


def test_the_same_sms_delivered_twice_is_applied_once(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    connected_call(app, key="2", seconds=120)
    first = send_sms(app, volunteer.phone, "3", sid="SM" + "a" * 32)
    second = send_sms(app, volunteer.phone, "3", sid="SM" + "a" * 32)
    assert first == second
    session.expire_all()
    outcome_events = session.scalars(select(Event).where(Event.kind == "outcome")).all()
    assert len(outcome_events) == 1
