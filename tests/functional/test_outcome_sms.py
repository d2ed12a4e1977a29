"""Outcome replies by SMS: read tolerantly, applied once, and anything doubtful answered in French and ignored."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import Event, Request
from orientation.services import requests as svc
from tests import factories
from tests.functional.api_client import other_territory
from tests.functional.twilio_client import connected_call, send_sms
from volunteers.models import Volunteer


def _state(session: Session) -> list[tuple[str, str | None, int]]:
    """Every request's status and outcome, and how many outcome events the timeline holds."""
    session.expire_all()
    events = len(session.scalars(select(Event).where(Event.kind.like("outcome%"))).all())
    return [(r.status, r.outcome, events) for r in session.scalars(select(Request).order_by(Request.id))]


def _volunteer_with_a_call(app: Flask, session: Session, clock: FrozenClock) -> Volunteer:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    connected_call(app)
    return volunteer


@pytest.mark.parametrize(
    ("body", "outcome"),
    [
        ("1", "matched"),
        (" 1 ", "matched"),
        ("1 merci", "matched"),
        ("P20-2026-000001 2", "oriented"),
        ("p20-2026-000001 3", "no_solution"),
        ("SANS SUITE", "no_solution"),
    ],
)
def test_a_reply_in_any_usual_form_sets_the_outcome_as_the_volunteers(
    app: Flask, session: Session, clock: FrozenClock, body: str, outcome: str
) -> None:
    volunteer = _volunteer_with_a_call(app, session, clock)
    assert "Merci" in send_sms(app, volunteer.phone, body)
    session.expire_all()
    request = session.scalars(select(Request)).one()
    assert request.outcome == outcome and request.status == "closed"
    [event] = session.scalars(select(Event).where(Event.kind == "outcome")).all()
    assert event.actor == f"volunteer:{volunteer.id}" and event.payload == {"from": None, "to": outcome}


@pytest.mark.parametrize("body", ["rappelez dans 3 jours", "1 ou 2", "pas pris en charge", "4", "", "🙂"])
def test_an_unparseable_reply_gets_a_french_answer_and_changes_nothing(
    app: Flask, session: Session, clock: FrozenClock, body: str
) -> None:
    volunteer = _volunteer_with_a_call(app, session, clock)
    before = _state(session)
    reply = send_sms(app, volunteer.phone, body)
    assert "Réponse non comprise" in reply and "1 pris en charge" in reply
    assert _state(session) == before == [("connected", None, 0)]


def test_a_reply_after_the_request_was_closed_gets_a_french_answer_and_changes_nothing(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    volunteer = _volunteer_with_a_call(app, session, clock)
    request = session.scalars(select(Request)).one()
    svc.close_with_outcome(session, request, "oriented", clock(), actor="token:coordinatrice")
    session.commit()
    before = _state(session)
    assert "Aucune demande n'attend de réponse" in send_sms(app, volunteer.phone, "1")
    named = send_sms(app, volunteer.phone, "P20-2026-000001 3")
    assert "P20-2026-000001 n'est pas ouverte à votre nom" in named
    assert _state(session) == before == [("closed", "oriented", 1)]


def test_a_reply_naming_another_volunteers_request_changes_nothing(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    taker = factories.volunteer(session, territory, clock())
    colleague = factories.volunteer(session, territory, clock(), on_shift=False)
    connected_call(app)
    reply = send_sms(app, colleague.phone, "P20-2026-000001 1")
    assert "Aucune demande" in reply or "pas ouverte" in reply
    assert _state(session) == [("connected", None, 0)]
    assert "Merci" in send_sms(app, taker.phone, "P20-2026-000001 1")


def test_numbers_that_are_not_volunteers_of_this_line_get_a_french_answer_and_change_nothing(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    volunteer = _volunteer_with_a_call(app, session, clock)
    elsewhere = factories.volunteer(session, other_territory(session, clock()), clock())
    for stranger in ("+33677777777", elsewhere.phone, "anonymous"):
        reply = send_sms(app, stranger, "P20-2026-000001 1")
        assert "ligne d'orientation" in reply and "15" in reply
    assert send_sms(app, volunteer.phone, "1", to="+33199000777") == ""  # not a line of this instance
    assert _state(session) == [("connected", None, 0)]
