"""The screening of a volunteer's leg and their 1, in Core statements: what they hear and what is written."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from orientation.core.clock import FrozenClock
from orientation.core.models import Attempt, Event, Request
from orientation.services import requests as svc
from orientation.services import screening
from tests import factories
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.sql_statements import statements_sent
from volunteers.models import Volunteer


def _ringing(session: Session, clock: FrozenClock) -> tuple[int, int, int]:
    """A request in routing ringing a volunteer: the attempt's, the request's and the volunteer's ids."""
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    request, _ = svc.open_request(session, territory, "CA" + "1" * 32, factories.CALLER, clock(), "in_menu")
    svc.change_status(session, request, "routing", clock())
    attempt = Attempt(request_id=request.id, volunteer_id=volunteer.id, seq=1, kind="live", offered_at=clock())
    session.add(attempt)
    session.commit()
    return attempt.id, request.id, volunteer.id


def test_a_1_connects_the_request_to_the_volunteer_and_puts_them_on_the_call(
    session: Session, clock: FrozenClock
) -> None:
    attempt_id, request_id, volunteer_id = _ringing(session, clock)
    clock.advance(seconds=20)
    screened = screening.lock(session, attempt_id)
    assert screened is not None
    assert screening.answer(session, screened, True, clock()) == "connecting"
    session.commit()
    session.expire_all()
    attempt = session.get_one(Attempt, attempt_id)
    assert (attempt.result, attempt.answered_at, attempt.ended_at) == ("accepted", clock(), None)
    request = session.get_one(Request, request_id)
    assert (request.status, request.volunteer_id) == ("connected", volunteer_id)
    assert request.connected_at == request.updated_at == clock()
    assert session.get_one(Volunteer, volunteer_id).on_call_request_id == request_id
    timeline = session.execute(
        select(Event.kind, Event.payload, Event.actor).where(Event.request_id == request_id).order_by(Event.id)
    ).all()
    assert [tuple(row) for row in timeline[-2:]] == [
        ("status", {"from": "routing", "to": "connected"}, "line"),
        ("attempt.accepted", {"attempt": attempt_id, "volunteer_id": volunteer_id}, None),
    ]


def test_the_acceptance_writes_its_three_rows_and_two_events_in_one_statement_on_postgresql(
    session: Session, clock: FrozenClock, database_url: str
) -> None:
    attempt_id, _, _ = _ringing(session, clock)
    screened = screening.lock(session, attempt_id)
    assert screened is not None
    with statements_sent(session.get_bind()) as statements:  # type: ignore[arg-type]
        screening.answer(session, screened, True, clock())
    # One round trip on PostgreSQL (data-modifying CTEs); SQLite has none, so one UPDATE a table and the events
    # left for the webhook's one INSERT.
    postgres = database_url.startswith("postgresql")
    assert len(statements) == (1 if postgres else 3), statements
    assert len([obj for obj in session.new if isinstance(obj, Event)]) == (0 if postgres else 2)
    session.rollback()


def test_another_key_declines_the_attempt_and_leaves_the_request_and_the_volunteer_alone(
    session: Session, clock: FrozenClock
) -> None:
    attempt_id, request_id, volunteer_id = _ringing(session, clock)
    screened = screening.lock(session, attempt_id)
    assert screened is not None
    assert screening.answer(session, screened, False, clock()) == "declined"
    session.commit()
    session.expire_all()
    attempt = session.get_one(Attempt, attempt_id)
    assert (attempt.result, attempt.ended_at, attempt.answered_at) == ("declined", clock(), None)
    assert session.get_one(Request, request_id).status == "routing"
    assert session.get_one(Volunteer, volunteer_id).on_call_request_id is None


def _screen(app: Flask, attempt_id: int, leg_sid: str) -> str:
    """The screening webhook of the volunteer's leg, signed as Twilio signs it; the TwiML."""
    path = f"/twilio/voice/screen?attempt={attempt_id}"
    params = {"CallSid": leg_sid, "From": factories.LINE_NUMBER, "To": "+33600000001", "CallStatus": "in-progress"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE_URL + path, params)
    response = app.test_client().post(path, data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_screening_says_who_calls_keeps_the_legs_call_sid_and_joins_the_requests_timeline(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    attempt_id, request_id, _ = _ringing(session, clock)
    session.execute(update(Request).where(Request.id == request_id).values(motive="visite_domicile", postcode="75020"))
    session.commit()
    body = _screen(app, attempt_id, "CA" + "e" * 32)
    assert "visite à domicile" in body and "75 0 20" in body and "CPTS Paris 20" in body
    assert body.count("<Gather") == 2 and f"attempt={attempt_id}" in body
    # A second post of the same leg (another CallSid, as the leg's status callback may have kept) changes nothing.
    _screen(app, attempt_id, "CA" + "f" * 32)
    session.expire_all()
    assert session.get_one(Attempt, attempt_id).leg_call_sid == "CA" + "e" * 32
    screens = session.scalars(select(Event.request_id).where(Event.kind == "voice.screen")).all()
    assert screens == [request_id, request_id]


def test_a_screening_of_an_attempt_already_answered_tells_the_volunteer_the_patient_is_gone(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    attempt_id, _, _ = _ringing(session, clock)
    session.execute(update(Attempt).where(Attempt.id == attempt_id).values(result="declined"))
    session.commit()
    body = _screen(app, attempt_id, "CA" + "e" * 32)
    assert "<Gather" not in body and "<Hangup" in body
    session.expire_all()
    assert session.get_one(Attempt, attempt_id).leg_call_sid is None
    assert "<Gather" not in _screen(app, attempt_id + 1000, "CA" + "e" * 32)
