"""Twilio retries, duplicates and out-of-order callbacks: each is answered 2xx and changes nothing."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orientation.core import journal
from orientation.core.clock import FrozenClock
from orientation.core.models import Attempt, Event, OutboxMessage, Request
from orientation.services import menu_step
from tests import factories
from tests.functional.twilio_client import VoiceCall, call, call_to_postcode, transport


def _state(session: Session) -> tuple[object, ...]:
    session.expire_all()
    request = session.scalars(select(Request)).one()
    attempts = tuple((a.volunteer_id, a.result) for a in session.scalars(select(Attempt).order_by(Attempt.id)))
    return (
        request.status,
        request.outcome,
        request.motive,
        request.postcode,
        request.connected_at,
        attempts,
        session.scalar(select(func.count()).select_from(Event)),
        session.scalar(select(func.count()).select_from(OutboxMessage)),
    )


def test_every_callback_of_a_whole_call_posted_again_gets_the_same_answer_and_changes_nothing(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    factories.volunteer(session, territory, clock())
    patient = call_to_postcode(app)
    patient.leg_answer()
    patient.leg_press("2")
    patient.leg_answer()
    patient.leg_press("1")
    patient.end_bridge(duration=90)
    before = _state(session)
    assert before[0] == "connected"

    again = transport(app)
    for exchange in patient.exchanges:
        status, body = again.post(exchange.url, exchange.params)
        assert status == 200
        assert body == exchange.body, exchange.url
    assert _state(session) == before


def test_callbacks_arriving_out_of_order_change_nothing_already_decided(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    patient = _ringing_one_volunteer(app, session, clock)
    patient.leg_press("1")
    patient.end_bridge(duration=30)
    before = _state(session)

    again = transport(app)
    # A late "ringing" of the volunteer's leg and a late "in-progress" of the patient's call, after the end.
    leg_callbacks = [x for x in patient.exchanges if "/twilio/status?attempt=" in x.url]
    assert leg_callbacks
    late_leg = {**leg_callbacks[0].params, "CallStatus": "ringing", "SequenceNumber": "99"}
    assert again.post(leg_callbacks[0].url, late_leg)[0] == 200
    parent = next(x for x in patient.exchanges if x.url.endswith("/twilio/status"))
    late_parent = {**parent.params, "CallStatus": "in-progress"}
    assert again.post(parent.url, late_parent)[0] == 200
    # The patient's "completed" posted once more with another duration: the call ended only once.
    assert again.post(parent.url, {**parent.params, "CallDuration": "31"})[0] == 200
    after = _state(session)
    assert after[:6] == before[:6]
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Event).where(Event.kind == "call.ended")) == 1


def test_a_retry_whose_replay_would_fail_gets_the_first_answer_and_is_not_journaled(
    app: Flask, session: Session, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Callbacks are handled without first looking for a stored answer: a retry is handled again, rolled
    # back, and answered from the store. Handling it again may fail where the first did not (the state has
    # moved on): the retry must still get the first answer, not the technical-problem message.
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    patient = call(app)
    patient.start()
    patient.press("2")
    menu = next(x for x in patient.exchanges if "/twilio/voice/menu" in x.url)
    before = _state(session)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the replay went another way")

    monkeypatch.setattr(menu_step, "current", broken)
    status, body = transport(app).post(menu.url, menu.params)
    monkeypatch.undo()

    assert status == 200
    assert body == menu.body and "problème technique" not in body
    assert _state(session) == before
    assert not list(journal.read(app.extensions["orientation"].config.journal_dir))


def test_a_volunteer_legs_status_callbacks_keep_its_call_sid_once_and_join_the_requests_timeline(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    patient = _ringing_one_volunteer(app, session, clock)
    leg_callbacks = [x for x in patient.exchanges if "/twilio/status?attempt=" in x.url]
    assert leg_callbacks
    leg_sid = leg_callbacks[0].params["CallSid"]
    session.expire_all()
    request = session.scalars(select(Request)).one()
    attempt = session.scalars(select(Attempt)).one()
    assert attempt.leg_call_sid == leg_sid
    events = session.scalars(select(Event).where(Event.kind == "call.status")).all()
    assert len(events) == len(leg_callbacks)
    assert {e.request_id for e in events} == {request.id}

    again = transport(app)
    last = leg_callbacks[-1]
    # Another CallSid for the same attempt changes nothing kept; its event still joins the request.
    other = {**last.params, "CallSid": "CA" + "f" * 32, "SequenceNumber": "42"}
    assert again.post(last.url, other) == (200, last.body)
    # An attempt that does not exist: answered, stored without a request, nothing else touched.
    unknown = last.url.split("?", 1)[0] + f"?attempt={attempt.id + 1000}"
    assert again.post(unknown, {**last.params, "SequenceNumber": "43"}) == (200, last.body)
    session.expire_all()
    assert session.scalars(select(Attempt)).one().leg_call_sid == leg_sid
    kept = session.scalars(select(Event).where(Event.kind == "call.status").order_by(Event.id)).all()
    assert [e.request_id for e in kept[-2:]] == [request.id, None]


def _ringing_one_volunteer(app: Flask, session: Session, clock: FrozenClock) -> VoiceCall:
    """A patient's call for a médecin traitant in 75020, ringing the territory's one volunteer, who answered."""
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    patient = call_to_postcode(app, "1")
    patient.leg_answer()
    return patient
