"""Call-backs end to end: the clock job phones volunteers through Twilio's REST API (a local fake), the voice
engine plays Twilio on those calls, and the figures move exactly as the coordinator expects."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import Attempt, Event, OutboxMessage
from orientation.services import callback_jobs
from orientation.simulator.engine import VoiceCall
from tests import factories
from tests.conftest import PUBLIC_BASE_URL
from tests.fakes.twilio_rest import FakeTwilioRest, RecordedRequest
from tests.functional.api_client import api
from tests.functional.call_records import the_request
from tests.functional.twilio_client import call, message_left, runtime_of, said, send_sms, transport
from volunteers.models import Volunteer

PATIENT = "+33611223344"
COORDINATOR = "+33699999999"


def _calls(fake: FakeTwilioRest) -> list[RecordedRequest]:
    return fake.requests_to("/Calls.json", "POST")


def _sms_to(fake: FakeTwilioRest, number: str) -> list[str]:
    return [r.form["Body"] for r in fake.requests_to("/Messages.json", "POST") if r.form["To"] == number]


def _answer(app: Flask, placed: RecordedRequest, **engine: Any) -> VoiceCall:
    """Twilio's side of an outgoing call: the volunteer picks up and Twilio fetches the call's Url."""
    leg = VoiceCall(
        transport(app),
        placed.form["Url"],
        from_=placed.form["From"],
        to=placed.form["To"],
        status_callback_url=placed.form.get("StatusCallback"),
        **engine,
    )
    leg.start()
    return leg


def _figures(app: Flask, session: Session, clock: FrozenClock) -> dict[str, Any]:
    response = api(app, session, clock(), name=f"stats-{clock().timestamp()}").get("/stats")
    assert response.status_code == 200
    figures: dict[str, Any] = response.get_json()["motives"]["visite_domicile"]
    return figures


def test_a_message_left_when_nobody_answered_is_called_back_and_its_outcome_moves_the_figures(
    live_app: Flask, fake: FakeTwilioRest, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock(), coordinator_phone=COORDINATOR)
    first = factories.volunteer(session, territory, clock(), motives=["visite_domicile"])
    second = factories.volunteer(session, territory, clock(), motives=["visite_domicile"])
    message_left_at = clock()
    message_left(live_app)
    waiting = the_request(session)
    assert waiting.status == "callback_pending" and waiting.had_message and waiting.recording_url
    before = _figures(live_app, session, clock)
    assert before == {
        **before,
        "requests": 1,
        "connected": 0,
        "callbacks_pending": 1,
        "median_callback_delay_seconds": None,
        "with_outcome": 0,
        "matched": 0,
        "match_rate": None,
    }

    # The clock process, five minutes later, phones the volunteer least recently offered a call.
    clock.advance(minutes=5)
    assert callback_jobs.work_callbacks(runtime_of(live_app), clock()) == 1
    [offer] = _calls(fake)
    assert offer.form["From"] == factories.LINE_NUMBER
    assert offer.form["Url"].startswith(f"{PUBLIC_BASE_URL}/twilio/callback/offer?attempt=")
    assert offer.form["StatusCallback"].startswith(f"{PUBLIC_BASE_URL}/twilio/callback/status?attempt=")
    refusing = offer.form["To"]
    assert refusing in (first.phone, second.phone)

    # The volunteer hears a notice with nothing personal, presses 1, then the request and the message; passes.
    leg = _answer(live_app, offer)
    notice = "Ligne d'orientation CPTS Paris 20 : un patient attend un rappel. Tapez 1 pour écouter la demande."
    assert said(leg) == notice
    leg.press("1")
    heard = said(leg)
    assert "Rappel d'un patient" in heard and "visite à domicile" in heard and "75 0 20" in heard
    assert "Tapez 1 pour rappeler le patient, 2 pour passer" in heard
    assert [e.text for e in leg.events if e.kind == "play"] == [waiting.recording_url]
    leg.press("2")
    assert leg.state == "ended"

    # Passing hands the request at once to the other volunteer on duty, who calls the patient back.
    clock.advance(minutes=1)
    second_offer = _calls(fake)[1]
    accepting = second_offer.form["To"]
    assert {refusing, accepting} == {first.phone, second.phone}
    leg = _answer(live_app, second_offer)
    leg.press("1")
    leg.press("1")
    assert leg.state == "dial_leg" and leg.waiting_for is not None and leg.waiting_for.text == PATIENT
    dial = ET.fromstring(leg.exchanges[-1].body).find("Dial")
    assert dial is not None and dial.get("callerId") == factories.LINE_NUMBER
    leg.leg_answer()
    leg.end_bridge(duration=240)
    assert "Vous allez recevoir un SMS" in said(leg)

    reached = the_request(session)
    assert reached.status == "connected" and reached.callback_done_at == clock()
    taker = session.scalars(select(Volunteer).where(Volunteer.phone == accepting)).one()
    assert reached.volunteer_id == taker.id
    results = [(a.kind, a.volunteer_id, a.result) for a in session.scalars(select(Attempt).order_by(Attempt.id))]
    refuser = first.id if taker.id == second.id else second.id
    assert results[-2:] == [("callback", refuser, "declined"), ("callback", taker.id, "accepted")]

    # The outcome SMS (with the form's link) left through Twilio; the volunteer answers 1.
    [asked] = [body for body in _sms_to(fake, accepting) if "répondez 1" in body]
    assert reached.reference in asked and f"{PUBLIC_BASE_URL}/issue?t=" in asked
    assert "pris en charge" in send_sms(live_app, accepting, "1")

    after = _figures(live_app, session, clock)
    assert after == {
        **before,
        "callbacks_pending": 0,
        "median_callback_delay_seconds": (clock() - message_left_at).total_seconds(),
        "with_outcome": 1,
        "matched": 1,
        "match_rate": 1.0,
    }
    assert after["median_callback_delay_seconds"] == 360.0
    # A call-back is not a live answer: the answer figures are those of before.
    assert (after["connected"], after["answer_rate"], after["median_seconds_to_answer"]) == (0, 0.0, None)


def test_a_patient_who_never_answers_is_unreachable_after_the_third_call_and_the_coordinator_is_told(
    live_app: Flask, fake: FakeTwilioRest, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(
        session, clock(), coordinator_phone=COORDINATOR, settings={"callback_spacing_minutes": 20}
    )
    factories.volunteer(session, territory, clock(), motives=["visite_domicile"])
    message_left(live_app)
    for round_number in (1, 2, 3):
        clock.advance(minutes=20)
        assert callback_jobs.work_callbacks(runtime_of(live_app), clock()) == 1
        leg = _answer(live_app, _calls(fake)[-1])
        leg.press("1")
        leg.press("1")
        leg.leg_no_answer()
        pending = the_request(session)
        assert pending.callback_attempts == round_number
        if round_number < 3:
            assert pending.status == "callback_pending"
            assert pending.next_callback_at == clock() + timedelta(minutes=20)
            assert "Nous le rappellerons plus tard" in said(leg)
            # Not before the spacing: the job leaves it alone.
            clock.advance(minutes=19)
            assert callback_jobs.work_callbacks(runtime_of(live_app), clock()) == 0
            clock.advance(minutes=-19)
    closed = the_request(session)
    assert closed.status == "closed" and closed.outcome == "unreachable" and closed.callback_done_at is None
    assert "dernier essai" in said(leg)
    [notice] = _sms_to(fake, COORDINATOR)[-1:]
    assert closed.reference in notice and "injoignable" in notice and PATIENT not in notice
    outcome_events = session.scalars(select(Event).where(Event.kind == "outcome")).all()
    assert [(e.actor, e.payload["to"]) for e in outcome_events] == [("line", "unreachable")]
    clock.advance(hours=2)
    assert callback_jobs.work_callbacks(runtime_of(live_app), clock()) == 0


def test_when_every_volunteer_passes_the_round_ends_without_counting_against_the_patient(
    live_app: Flask, fake: FakeTwilioRest, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock(), settings={"callback_spacing_minutes": 45})
    factories.volunteer(session, territory, clock(), motives=["visite_domicile"])
    factories.volunteer(session, territory, clock(), motives=["visite_domicile"])
    message_left(live_app)
    clock.advance(minutes=1)
    callback_jobs.work_callbacks(runtime_of(live_app), clock())
    first = _answer(live_app, _calls(fake)[0])
    first.press("1")
    first.press("2")
    second = _answer(live_app, _calls(fake)[1])
    second.silence()
    second.silence()  # twice without a key: a voicemail; the round is over
    assert len(_calls(fake)) == 2
    pending = the_request(session)
    assert pending.status == "callback_pending" and pending.callback_attempts == 0
    assert pending.next_callback_at == clock() + timedelta(minutes=45)
    clock.advance(minutes=45)
    assert callback_jobs.work_callbacks(runtime_of(live_app), clock()) == 1
    assert len(_calls(fake)) == 3


def _offer_answered(live_app: Flask, fake: FakeTwilioRest, clock: FrozenClock, **engine: Any) -> VoiceCall:
    """A message left, the clock's offer answered by the volunteer, who presses 1, hears the request and 1."""
    message_left(live_app)
    clock.advance(minutes=5)
    assert callback_jobs.work_callbacks(runtime_of(live_app), clock()) == 1
    leg = _answer(live_app, _calls(fake)[-1], **engine)
    leg.press("1")
    leg.press("1")
    assert leg.state == "dial_leg" and leg.waiting_for is not None and leg.waiting_for.text == PATIENT
    return leg


def test_a_voicemail_answering_the_offer_records_nothing_personal(
    live_app: Flask, fake: FakeTwilioRest, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock(), settings={"callback_spacing_minutes": 30})
    factories.volunteer(session, territory, clock(), motives=["visite_domicile"])
    message_left(live_app)
    callback_jobs.work_callbacks(runtime_of(live_app), clock())
    voicemail = _answer(live_app, _calls(fake)[0])
    voicemail.silence()
    voicemail.silence()

    heard = said(voicemail)
    assert "un patient attend un rappel" in heard
    assert "visite" not in heard and "75" not in heard and "message" not in heard
    assert [e for e in voicemail.events if e.kind == "play"] == []
    assert [a.result for a in the_request(session).attempts if a.kind == "callback"] == ["no_answer"]


@pytest.mark.parametrize("answered_by_in", ["url", "status"])
def test_a_voicemail_answering_the_patient_is_not_reached_and_the_volunteer_is_told(
    live_app: Flask, fake: FakeTwilioRest, session: Session, clock: FrozenClock, answered_by_in: str
) -> None:
    territory = factories.territory(session, clock(), settings={"callback_spacing_minutes": 30})
    factories.volunteer(session, territory, clock(), motives=["visite_domicile"])
    leg = _offer_answered(live_app, fake, clock, answered_by_in=answered_by_in)
    dial = ET.fromstring(leg.exchanges[-1].body).find("Dial")
    assert dial is not None and dial.get("ringTone") == "fr"
    number = dial.find("Number")
    assert number is not None and number.get("machineDetection") == "Enable"

    leg.leg_answer(answered_by="machine_start")
    if leg.state == "bridged":  # AnsweredBy came with the status callback only: the volunteer hears the greeting
        clock.advance(seconds=20)
        leg.end_bridge(duration=20)

    assert "Un répondeur a décroché" in said(leg) and "Nous le rappellerons plus tard" in said(leg)
    pending = the_request(session)
    assert pending.status == "callback_pending" and pending.callback_attempts == 1
    assert pending.connected_at is None and pending.callback_done_at is None
    missed = session.scalars(select(Event).where(Event.kind == "callback.not_reached")).one()
    assert missed.payload["answered_by"] == "machine_start"
    assert [b for b in _sms_to(fake, leg.to) if "répondez 1" in b] == []


@pytest.mark.parametrize("action_after_hangup", [False, True], ids=["no_dial_action", "dial_action"])
def test_a_volunteer_who_hangs_up_during_the_call_back_conversation_leaves_a_reached_patient_and_one_outcome_request(
    live_app: Flask, fake: FakeTwilioRest, session: Session, clock: FrozenClock, action_after_hangup: bool
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock(), motives=["visite_domicile"])
    leg = _offer_answered(live_app, fake, clock, dial_action_after_hangup=action_after_hangup)
    leg.leg_answer()
    assert leg.state == "bridged"
    clock.advance(seconds=180)
    leg.hangup(after_seconds=180)  # the volunteer (the parent call of a call-back) hangs up

    assert len([x for x in leg.exchanges if "/twilio/callback/dialed" in x.url]) == (1 if action_after_hangup else 0)
    reached = the_request(session)
    assert reached.status == "connected" and reached.volunteer_id == volunteer.id
    assert reached.callback_attempts == 0
    assert len([b for b in _sms_to(fake, volunteer.phone) if "répondez 1" in b]) == 1


@pytest.mark.parametrize("action_after_hangup", [False, True], ids=["no_dial_action", "dial_action"])
def test_a_volunteer_who_hangs_up_while_the_patient_rings_is_not_counted_against_the_patient(
    live_app: Flask, fake: FakeTwilioRest, session: Session, clock: FrozenClock, action_after_hangup: bool
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock(), motives=["visite_domicile"])
    factories.volunteer(session, territory, clock(), motives=["visite_domicile"])
    leg = _offer_answered(live_app, fake, clock, dial_action_after_hangup=action_after_hangup)
    leg.hangup()

    pending = the_request(session)
    assert pending.status == "callback_pending" and pending.callback_attempts == 0
    assert [a.result for a in pending.attempts if a.kind == "callback"] == ["accepted", None]
    assert len(_calls(fake)) == 2  # handed at once to the other volunteer on duty


def test_a_volunteer_who_does_not_pick_up_passes_the_request_to_the_next_one(
    live_app: Flask, fake: FakeTwilioRest, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock(), motives=["visite_domicile"])
    factories.volunteer(session, territory, clock(), motives=["visite_domicile"])
    message_left(live_app)
    clock.advance(minutes=1)
    callback_jobs.work_callbacks(runtime_of(live_app), clock())
    unanswered = _calls(fake)[0]
    status = {"CallSid": "CA" + "7" * 32, "CallStatus": "no-answer", "AccountSid": fake.account_sid}
    assert transport(live_app).post(unanswered.form["StatusCallback"], status)[0] == 200
    assert transport(live_app).post(unanswered.form["StatusCallback"], status)[0] == 200  # a retry: once
    assert [c.form["To"] for c in _calls(fake)][1] != unanswered.form["To"]
    assert len(_calls(fake)) == 2
    results = [a.result for a in session.scalars(select(Attempt).where(Attempt.kind == "callback"))]
    assert results == ["no_answer", None]


def test_no_call_back_is_made_while_the_line_is_closed(
    live_app: Flask, fake: FakeTwilioRest, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock(), motives=["visite_domicile"])
    message_left(live_app)
    territory.opening_hours = "Mo-Fr 08:00-09:00"  # Tuesday 10:00 in Paris: closed now
    session.commit()
    assert callback_jobs.work_callbacks(runtime_of(live_app), clock()) == 0
    assert _calls(fake) == []


def test_a_call_back_webhook_without_twilio_signature_is_refused_and_changes_nothing(
    live_app: Flask, fake: FakeTwilioRest, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock(), motives=["visite_domicile"])
    message_left(live_app)
    callback_jobs.work_callbacks(runtime_of(live_app), clock())
    url = _calls(fake)[0].form["Url"].replace(PUBLIC_BASE_URL, "")
    answer_url = url.replace("/offer", "/answer")
    client = live_app.test_client()
    assert client.post(answer_url, data={"CallSid": "CA" + "1" * 32, "Digits": "1"}).status_code == 403
    forged = client.post(
        answer_url, data={"CallSid": "CA" + "1" * 32, "Digits": "1"}, headers={"X-Twilio-Signature": "Zm9yZ2Vk"}
    )
    assert forged.status_code == 403
    assert session.scalars(select(Attempt).where(Attempt.kind == "callback")).one().result is None


def test_requests_without_a_number_to_call_are_left_to_the_coordinator(
    live_app: Flask, fake: FakeTwilioRest, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock(), motives=["visite_domicile"])
    patient = call(live_app, from_="anonymous")
    patient.start()
    patient.press("2")
    patient.press("75020")
    patient.leg_no_answer()
    patient.record(duration=10)
    assert the_request(session).status == "callback_pending" and the_request(session).caller is None
    assert callback_jobs.work_callbacks(runtime_of(live_app), clock()) == 0
    assert _calls(fake) == []


def test_recorded_messages_are_deleted_at_twilio_and_locally_after_the_retention(
    live_app: Flask, fake: FakeTwilioRest, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock(), settings={"recording_retention_days": 10})
    factories.volunteer(session, territory, clock(), motives=["visite_domicile"])
    message_left(live_app)
    request = the_request(session)
    sid = request.recording_sid
    assert sid is not None
    fake.add_recording(sid)
    request.status = "closed"
    request.outcome = "no_solution"
    request.closed_at = clock()
    session.commit()
    clock.advance(days=9, hours=23)
    assert callback_jobs.purge_recordings(runtime_of(live_app), clock()) == 0
    clock.advance(hours=1)
    assert callback_jobs.purge_recordings(runtime_of(live_app), clock()) == 1
    assert fake.state.deleted_recordings == {sid}
    purged = the_request(session)
    assert purged.recording_sid is None and purged.recording_url is None and purged.had_message
    event = session.scalars(select(Event).where(Event.kind == "recording.deleted")).one()
    assert event.actor == "retention"
    assert callback_jobs.purge_recordings(runtime_of(live_app), clock()) == 0


def test_a_recording_twilio_fails_to_delete_is_kept_for_the_next_run_and_one_already_gone_is_cleared(
    live_app: Flask, fake: FakeTwilioRest, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock(), motives=["visite_domicile"])
    message_left(live_app)
    request = the_request(session)
    request.status, request.outcome, request.closed_at = "closed", "no_solution", clock()
    session.commit()
    clock.advance(days=31)
    fake.fail_next(status=500)
    assert callback_jobs.purge_recordings(runtime_of(live_app), clock()) == 0
    assert the_request(session).recording_sid is not None
    # Never made known to the fake account: deleted meanwhile, Twilio says 404.
    assert callback_jobs.purge_recordings(runtime_of(live_app), clock()) == 1
    assert the_request(session).recording_sid is None


def test_the_migration_adds_the_call_back_columns(engine: Engine) -> None:
    columns = {c["name"]: c for c in inspect(engine).get_columns("requests")}
    assert "callback_attempts" in columns and "next_callback_at" in columns
    assert columns["callback_attempts"]["nullable"] is False and columns["next_callback_at"]["nullable"] is True


def test_without_a_twilio_account_offers_stay_in_the_outbox(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock(), motives=["visite_domicile"])
    message_left(app)
    assert callback_jobs.work_callbacks(runtime_of(app), clock()) == 1
    stored = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "callback_offer")).one()
    assert stored.status == "stored" and stored.channel == "call"
    # Nobody settles it: after STALE_OFFER the next run hands it on (here, to the same only volunteer).
    clock.advance(minutes=11)
    assert callback_jobs.work_callbacks(runtime_of(app), clock()) == 0
    first = session.scalars(select(Attempt).where(Attempt.kind == "callback").order_by(Attempt.id)).first()
    assert first is not None and first.result == "no_answer"
