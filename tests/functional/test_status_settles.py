"""Whichever callback tells the app first that an accepted conversation is over (the volunteer leg's final
status, the patient's call's final status or the <Dial> action) finishes it once: one outcome request, worded
and sent as the territory says, the volunteer freed; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import Attempt, Event, OutboxMessage, Request, Territory
from orientation.simulator.engine import VoiceCall
from tests import factories
from tests.conftest import PUBLIC_BASE_URL
from tests.functional.twilio_client import call, transport
from volunteers.models import Volunteer

OVERRIDE = "Dossier {reference} ({motive}) : {link}"


def _bridged(app: Flask, session: Session, clock: FrozenClock) -> tuple[VoiceCall, int]:
    territory = factories.territory(session, clock(), sms_sender="CPTS P20")
    stored = session.get(Territory, territory.id)
    assert stored is not None
    stored.settings = {**(stored.settings or {}), "prompts": {"sms_outcome_request_link": OVERRIDE}}
    session.commit()
    volunteer = factories.volunteer(session, territory, clock())
    patient = call(app, dial_action_after_hangup=False)
    patient.start()
    patient.press("2")
    patient.press("75020")
    patient.leg_answer()
    patient.leg_press("1")
    assert patient.state == "bridged"
    return patient, volunteer.id


def _callbacks(patient: VoiceCall) -> dict[str, tuple[str, dict[str, str]]]:
    """The three callbacks that may each be the first news of the conversation's end (new sequence numbers)."""
    leg = next(x for x in patient.exchanges if "/twilio/status?attempt=" in x.url)
    attempt_id = leg.url.split("attempt=")[1]
    inbound = patient.exchanges[0].params
    return {
        "leg_status": (leg.url, {**leg.params, "CallStatus": "completed", "SequenceNumber": "7", "CallDuration": "60"}),
        "call_status": (
            f"{PUBLIC_BASE_URL}/twilio/status",
            {**inbound, "CallStatus": "completed", "SequenceNumber": "7", "CallDuration": "80"},
        ),
        "dial": (
            f"{PUBLIC_BASE_URL}/twilio/voice/dial?attempt={attempt_id}",
            {**inbound, "CallStatus": "in-progress", "DialCallStatus": "completed", "DialCallDuration": "60",
             "DialBridged": "true"},
        ),
    }  # fmt: skip


@pytest.mark.parametrize("first", ["leg_status", "call_status", "dial"])
def test_the_first_callback_telling_the_conversation_ended_sends_the_one_outcome_request_as_the_territory_words_it(
    app: Flask, session: Session, clock: FrozenClock, first: str
) -> None:
    patient, volunteer_id = _bridged(app, session, clock)
    callbacks = _callbacks(patient)
    clock.advance(seconds=60)
    url, params = callbacks.pop(first)
    assert transport(app).post(url, params)[0] == 200

    session.expire_all()
    request = session.scalars(select(Request)).one()
    [sms] = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "outcome_request")).all()
    volunteer = session.get(Volunteer, volunteer_id)
    assert volunteer is not None and sms.to_number == volunteer.phone
    assert sms.from_number == "CPTS P20" and sms.request_id == request.id and sms.territory_id == request.territory_id
    # The territory's own wording of the link-only request (an alphanumeric sender cannot be answered).
    assert (sms.body or "").startswith(f"Dossier {request.reference} (") and f"{PUBLIC_BASE_URL}/issue?t=" in (
        sms.body or ""
    )
    assert volunteer.on_call_request_id is None
    [attempt] = session.scalars(select(Attempt).where(Attempt.request_id == request.id)).all()
    assert attempt.result == "accepted" and attempt.ended_at == clock()
    finished = session.scalars(select(Event).where(Event.kind == "attempt.finished")).all()
    assert len(finished) == 1
    if first != "dial":
        assert finished[0].payload["source"] == first

    # The two others come later: nothing is finished nor asked twice.
    ended = clock()
    clock.advance(seconds=5)
    for url, params in callbacks.values():
        assert transport(app).post(url, params)[0] == 200
    session.expire_all()
    assert len(session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "outcome_request")).all()) == 1
    assert len(session.scalars(select(Event).where(Event.kind == "attempt.finished")).all()) == 1
    assert session.scalars(select(Attempt)).one().ended_at == ended
