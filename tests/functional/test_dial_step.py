"""A dial action after another callback settled the ring: goodbye from a Core read, nothing else written."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import Attempt, Event, OutboxMessage, Request, Territory
from orientation.simulator.engine import VoiceCall
from tests import factories
from tests.functional.twilio_client import call_to_postcode, transport
from tests.sql_statements import statements_sent


def _ended_conversation(app: Flask, session: Session, clock: FrozenClock) -> VoiceCall:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    patient = call_to_postcode(app)
    patient.leg_answer()
    patient.leg_press("1")
    clock.advance(seconds=120)
    patient.end_bridge(duration=120)
    return patient


def _state(session: Session) -> tuple[object, ...]:
    session.expire_all()
    request = session.scalars(select(Request)).one()
    attempts = [(a.result, a.ended_at) for a in session.scalars(select(Attempt).order_by(Attempt.id))]
    outbox = session.scalar(select(func.count()).select_from(OutboxMessage))
    timeline = session.scalar(select(func.count()).select_from(Event).where(Event.idempotency_key.is_(None)))
    return request.status, request.updated_at, attempts, outbox, timeline


def _dial_again(patient: VoiceCall, **changes: str) -> tuple[str, dict[str, str]]:
    """The call's dial action posted once more with some parameters changed (a new callback, not a duplicate)."""
    dial = next(x for x in reversed(patient.exchanges) if "/twilio/voice/dial" in x.url)
    return dial.url, {**dial.params, **changes}


def test_a_dial_action_after_the_leg_s_end_says_goodbye_and_writes_nothing_but_its_own_row(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    patient = _ended_conversation(app, session, clock)
    before = _state(session)
    assert before[2] == [("accepted", clock())] and before[3] >= 1
    url, params = _dial_again(patient, DialCallDuration="121")
    clock.advance(seconds=3)
    with statements_sent(app.extensions["orientation"].engine) as statements:
        status, body = transport(app).post(url, params)
    assert status == 200 and "<Hangup" in body and "Au revoir" in body
    assert _state(session) == before
    # The few columns it needs, not the attempt, request and wide territory rows as ORM objects.
    assert not [s for s in statements if "reference_prefix" in s], statements
    session.expire_all()
    row = session.scalars(select(Event).where(Event.kind == "voice.dial").order_by(Event.id.desc())).first()
    assert row is not None and row.request_id == session.scalar(select(Request.id))


def test_the_settled_goodbye_speaks_the_territory_s_own_wording(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    patient = _ended_conversation(app, session, clock)
    territory = session.scalars(select(Territory)).one()
    territory.settings = {**(territory.settings or {}), "prompts": {"goodbye": "À bientôt sur la ligne."}}
    session.commit()
    url, params = _dial_again(patient, DialCallDuration="122")
    status, body = transport(app).post(url, params)
    assert status == 200 and "À bientôt sur la ligne." in body


def test_a_dial_action_for_an_unknown_attempt_says_goodbye(app: Flask, session: Session, clock: FrozenClock) -> None:
    patient = _ended_conversation(app, session, clock)
    url, params = _dial_again(patient)
    before = _state(session)
    status, body = transport(app).post(url.split("?")[0] + "?attempt=999999", params)
    assert status == 200 and "<Hangup" in body and "Au revoir" in body
    assert _state(session) == before


def test_a_busy_ring_is_judged_without_the_narrow_read_first_and_the_hunt_goes_on(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    factories.volunteer(session, territory, clock())
    patient = call_to_postcode(app)
    with statements_sent(app.extensions["orientation"].engine) as statements:
        patient.leg_busy()
    # No narrow read (dial_step.lock) before the ORM's: an unanswered ring costs what it did.
    assert not [s for s in statements if "ended_at IS NOT NULL AS ended" in s]
    session.expire_all()
    assert [a.result for a in session.scalars(select(Attempt).order_by(Attempt.id))] == ["busy", None]
    assert patient.state == "dial_leg"
