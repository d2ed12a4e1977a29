"""A patient's call through the real webhooks, on SQLite and PostgreSQL, with Twilio played by the engine."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import Attempt, Event, OutboxMessage
from orientation.simulator.engine import InvalidInput, VoiceCall
from tests import factories
from tests.conftest import PARIS, PUBLIC_BASE_URL
from tests.functional.call_records import the_request
from tests.functional.twilio_client import call, call_to_postcode, said, transport
from volunteers.models import Volunteer


def test_a_patient_reaches_the_volunteer_on_shift_who_presses_one(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    patient = call(app)

    patient.start()
    assert patient.state == "gather"
    assert "urgence vitale" in said(patient) and "15" in said(patient)
    recorded = the_request(session)
    assert recorded.reference == "P20-2026-000001"
    assert recorded.caller == "+33611223344"
    assert recorded.status == "in_menu"

    patient.press("2")
    patient.press("75020")
    assert patient.state == "dial_leg"
    patient.leg_answer()
    assert patient.state == "leg_gather"
    screening = said(patient, "volunteer")
    assert "visite à domicile" in screening and "75 0 20" in screening and "Tapez 1" in screening

    patient.leg_press("1")
    assert patient.state == "bridged"
    connected = the_request(session)
    assert connected.status == "connected"
    assert connected.volunteer_id == volunteer.id
    assert connected.motive == "visite_domicile" and connected.postcode == "75020" and connected.in_territory

    patient.end_bridge(duration=300)
    assert patient.state == "ended"
    final = the_request(session)
    assert final.status == "connected"
    attempts = session.scalars(select(Attempt)).all()
    assert [(a.volunteer_id, a.result) for a in attempts] == [(volunteer.id, "accepted")]
    sms = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "outcome_request")).one()
    assert sms.to_number == volunteer.phone
    assert "P20-2026-000001" in (sms.body or "") and "répondez 1" in (sms.body or "")


def test_a_ring_records_when_the_volunteer_was_offered_so_the_next_caller_rings_someone_else_first(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    first = factories.volunteer(session, territory, clock())
    second = factories.volunteer(session, territory, clock())
    rung_at = clock()
    patient = call_to_postcode(app, "2", "75019")
    assert patient.waiting_for is not None and patient.waiting_for.text == first.phone

    session.expire_all()
    offered = {v.id: v.last_offered_at for v in session.scalars(select(Volunteer))}
    assert offered == {first.id: rung_at, second.id: None}
    patient.hangup()

    clock.advance(minutes=5)
    other = call(app, from_="+33622334455")
    other.start()
    other.press("2")
    other.press("75019")
    # Never offered comes before the one offered five minutes ago.
    assert other.waiting_for is not None and other.waiting_for.text == second.phone


def test_volunteers_are_rung_one_at_a_time_until_one_presses_one(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    first = factories.volunteer(session, territory, clock())
    second = factories.volunteer(session, territory, clock())
    third = factories.volunteer(session, territory, clock())
    fourth = factories.volunteer(session, territory, clock())
    # Fairness: the least recently offered is rung first; never offered comes before everyone.
    second.last_offered_at = clock() - timedelta(days=3)
    third.last_offered_at = clock() - timedelta(days=2)
    fourth.last_offered_at = clock() - timedelta(days=1)
    first.last_offered_at = clock() - timedelta(hours=1)
    session.commit()
    patient = call_to_postcode(app, "3", "75019")

    rung = []
    assert patient.state == "dial_leg"
    rung.append(patient.waiting_for.text if patient.waiting_for else None)
    patient.leg_answer()
    patient.leg_press("2")  # declines
    rung.append(patient.waiting_for.text if patient.waiting_for else None)
    patient.leg_no_answer()
    rung.append(patient.waiting_for.text if patient.waiting_for else None)
    patient.leg_answer()
    patient.leg_silence()
    patient.leg_silence()  # a voicemail, or someone who never presses 1: their leg is hung up
    rung.append(patient.waiting_for.text if patient.waiting_for else None)
    patient.leg_answer()
    patient.leg_press("1")
    assert patient.state == "bridged"

    assert rung == [second.phone, third.phone, fourth.phone, first.phone]
    results = [(a.volunteer_id, a.result) for a in session.scalars(select(Attempt).order_by(Attempt.id))]
    assert results == [
        (second.id, "declined"),
        (third.id, "no_answer"),
        (fourth.id, "no_answer"),
        (first.id, "accepted"),
    ]
    assert "Nous en cherchons un autre" in said(patient)
    dial_posts = [x for x in patient.exchanges if "/twilio/voice/dial" in x.url]
    assert dial_posts[2].params["DialCallStatus"] == "completed" and dial_posts[2].params["DialBridged"] == "false"


def test_a_silent_volunteer_hears_the_request_twice_in_one_screening_document_and_is_never_bridged(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    patient = call_to_postcode(app)
    patient.leg_answer()
    patient.leg_silence()
    assert patient.state == "leg_gather"  # the second <Gather> of the same document, not a new fetch
    patient.leg_silence()  # a voicemail never presses 1

    assert "bridged" not in [e.kind for e in patient.events]
    assert [e for e in patient.events if e.kind == "error"] == []
    screens = [x for x in patient.exchanges if x.url.split("?")[0].endswith("/twilio/voice/screen")]
    assert len(screens) == 1
    assert said(patient, "volunteer").count("visite à domicile") == 2
    assert [a.result for a in session.scalars(select(Attempt))] == ["no_answer"]


def test_busy_and_failed_legs_are_recorded_and_the_hunt_goes_on(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    factories.volunteer(session, territory, clock())
    factories.volunteer(session, territory, clock())
    patient = call_to_postcode(app, "1")
    patient.leg_busy()
    patient.leg_fail()
    patient.leg_answer()
    patient.leg_press("1")
    results = [a.result for a in session.scalars(select(Attempt).order_by(Attempt.id))]
    assert results == ["busy", "failed", "accepted"]


def test_only_volunteers_on_shift_accepting_the_motive_and_not_paused_are_rung(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock(), on_shift=False)
    factories.volunteer(session, territory, clock(), motives=["medecin_traitant"])
    paused = factories.volunteer(session, territory, clock())
    paused.paused = True
    other_line = factories.territory(session, clock(), name="CPTS Ailleurs", phone_numbers=["+33199000099"])
    factories.volunteer(session, other_line, clock())
    right = factories.volunteer(session, territory, clock(), motives=["visite_domicile"])
    session.commit()
    patient = call_to_postcode(app)
    assert patient.state == "dial_leg"
    assert patient.waiting_for is not None and patient.waiting_for.text == right.phone
    patient.leg_no_answer()
    # Nobody else may take a home visit now: the patient is asked for a message.
    assert patient.state == "record"


def test_a_volunteer_on_another_call_is_not_rung(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    busy = factories.volunteer(session, territory, clock())
    free = factories.volunteer(session, territory, clock())
    first = call(app, from_="+33611111111")
    first.start()
    first.press("4")
    first.press("75020")
    assert first.waiting_for is not None and first.waiting_for.text == busy.phone
    first.leg_answer()
    first.leg_press("1")
    second = call(app, from_="+33622222222")
    second.start()
    second.press("4")
    second.press("75020")
    assert second.waiting_for is not None and second.waiting_for.text == free.phone


def test_nobody_available_takes_a_message_and_sends_the_reference_by_sms(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock(), coordinator_phone="+33699999999")
    volunteer = factories.volunteer(session, territory, clock(), motives=["orientation"])
    patient = call(app, from_="+33611223344")
    patient.start()
    patient.press("1")
    patient.press("75020")
    assert patient.state == "record"
    assert "Aucun professionnel n'est disponible" in said(patient)
    pending = the_request(session)
    assert pending.status == "callback_pending" and pending.callback_requested_at == clock()
    patient.record(duration=25)
    assert patient.state == "ended"
    assert "P 20, 2026, 1" in said(patient)
    final = the_request(session)
    assert final.had_message and final.recording_sid and final.recording_seconds == 25
    messages = {(m.purpose, m.to_number) for m in session.scalars(select(OutboxMessage))}
    assert ("patient_callback", "+33611223344") in messages
    assert ("callback_alert", "+33699999999") in messages
    assert ("callback_alert", volunteer.phone) in messages
    patient_sms = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "patient_callback")).one()
    assert "P20-2026-000001" in (patient_sms.body or "")
    alert = session.scalars(select(OutboxMessage).where(OutboxMessage.to_number == volunteer.phone)).one()
    assert "+33611223344" not in (alert.body or "")


def test_a_landline_caller_gets_no_sms(app: Flask, session: Session, clock: FrozenClock) -> None:
    factories.territory(session, clock())
    patient = call(app, from_="+33143434343")
    patient.start()
    patient.press("1")
    patient.press("75020")
    patient.record(duration=10)
    purposes = [m.purpose for m in session.scalars(select(OutboxMessage))]
    assert "patient_callback" not in purposes


def test_the_wait_limit_sends_the_caller_to_the_message(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock(), max_wait_seconds=60)
    factories.volunteer(session, territory, clock())
    factories.volunteer(session, territory, clock())
    patient = call_to_postcode(app, "1")
    clock.advance(seconds=61)
    patient.leg_no_answer()
    assert patient.state == "record"
    assert len(session.scalars(select(Attempt)).all()) == 1


def test_a_caller_who_hangs_up_in_the_menu_leaves_an_abandoned_request(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    factories.territory(session, clock())
    patient = call(app)
    patient.start()
    patient.hangup()
    abandoned = the_request(session)
    assert abandoned.status == "abandoned" and abandoned.outcome == "abandoned"


@pytest.mark.parametrize("action_after_hangup", [False, True], ids=["no_dial_action", "dial_action"])
def test_a_caller_who_hangs_up_while_a_volunteer_rings_abandons_and_the_volunteer_cannot_take_it(
    app: Flask, session: Session, clock: FrozenClock, action_after_hangup: bool
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    patient = call(app, dial_action_after_hangup=action_after_hangup)
    patient.start()
    patient.press("2")
    patient.press("75020")
    patient.leg_answer()
    patient.hangup()
    abandoned = the_request(session)
    assert abandoned.status == "abandoned"
    assert [a.result for a in abandoned.attempts] == ["cancelled"]


def _connected(app: Flask, session: Session, clock: FrozenClock, action_after_hangup: bool) -> tuple[VoiceCall, int]:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    patient = call(app, dial_action_after_hangup=action_after_hangup)
    patient.start()
    patient.press("2")
    patient.press("75020")
    patient.leg_answer()
    patient.leg_press("1")
    assert patient.state == "bridged"
    return patient, volunteer.id


def _outcome_requests(session: Session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "outcome_request")))


@pytest.mark.parametrize("action_after_hangup", [False, True], ids=["no_dial_action", "dial_action"])
def test_a_caller_who_hangs_up_during_the_conversation_leaves_a_connected_request_and_one_outcome_request(
    app: Flask, session: Session, clock: FrozenClock, action_after_hangup: bool
) -> None:
    patient, volunteer_id = _connected(app, session, clock, action_after_hangup)
    clock.advance(seconds=240)
    patient.hangup(after_seconds=240)

    dial_posts = [x for x in patient.exchanges if "/twilio/voice/dial" in x.url]
    assert len(dial_posts) == (1 if action_after_hangup else 0)
    final = the_request(session)
    assert final.status == "connected" and final.volunteer_id == volunteer_id and final.outcome is None
    [attempt] = final.attempts
    assert attempt.result == "accepted" and attempt.ended_at == clock()
    [sms] = _outcome_requests(session)
    assert "P20-2026-000001" in (sms.body or "")
    freed = session.get(Volunteer, volunteer_id)
    assert freed is not None and freed.on_call_request_id is None
    finished = [e.payload for e in final.events if e.kind == "attempt.finished"]
    assert len(finished) == 1


def test_the_outcome_request_is_sent_once_when_the_leg_status_and_the_call_status_come_after_the_dial_action(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    patient, _ = _connected(app, session, clock, action_after_hangup=False)
    patient.end_bridge(duration=120)
    assert len(_outcome_requests(session)) == 1
    # Late or reordered callbacks of the same leg and call (new sequence numbers, so not duplicates).
    leg_status = next(x for x in patient.exchanges if "/twilio/status?attempt=" in x.url)
    late = {**leg_status.params, "CallStatus": "completed", "SequenceNumber": "9", "CallDuration": "120"}
    assert transport(app).post(leg_status.url, late)[0] == 200
    final_status = [x for x in patient.exchanges if x.url.endswith("/twilio/status")][-1]
    assert transport(app).post(final_status.url, {**final_status.params, "SequenceNumber": "9"})[0] == 200

    assert len(_outcome_requests(session)) == 1
    assert the_request(session).status == "connected"


def test_the_dial_action_alone_still_ends_the_conversation_when_no_status_callback_arrives(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    patient, _ = _connected(app, session, clock, action_after_hangup=False)
    dial_url = next(x for x in patient.exchanges if x.url.split("?")[0].endswith("/twilio/voice/screen")).url
    attempt_id = dial_url.split("attempt=")[1].split("&")[0]
    params = {
        **patient.exchanges[0].params,
        "CallStatus": "in-progress",
        "DialCallStatus": "completed",
        "DialCallDuration": "60",
        "DialBridged": "true",
    }
    status, body = transport(app).post(f"{PUBLIC_BASE_URL}/twilio/voice/dial?attempt={attempt_id}", params)
    assert status == 200 and "<Hangup" in body
    assert len(_outcome_requests(session)) == 1
    assert the_request(session).attempts[0].ended_at is not None


def test_silence_twice_at_the_menu_goes_on_as_orientation(app: Flask, session: Session, clock: FrozenClock) -> None:
    factories.territory(session, clock())
    patient = call(app)
    patient.start()
    patient.silence()
    assert patient.state == "gather" and "Je n'ai pas compris" in said(patient)
    patient.silence()
    assert patient.state == "gather"
    assert "demande d'orientation" in said(patient)
    assert the_request(session).motive == "orientation"


def test_a_spoken_motive_is_understood(app: Flask, session: Session, clock: FrozenClock) -> None:
    factories.territory(session, clock())
    patient = call(app)
    patient.start()
    patient.speak("Bonjour, je cherche un médecin traitant")
    assert the_request(session).motive == "medecin_traitant"


def test_star_repeats_the_menu_without_counting_a_miss(app: Flask, session: Session, clock: FrozenClock) -> None:
    factories.territory(session, clock())
    patient = call(app)
    patient.start()
    patient.press("*")
    patient.silence()
    patient.press("3")
    assert the_request(session).motive == "soins_non_programmes"


def test_a_postcode_outside_the_territory_is_kept_and_flagged(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    patient = call_to_postcode(app, "3", "69001")
    assert "ne fait pas partie du territoire" in said(patient)
    assert patient.state == "dial_leg"
    request = the_request(session)
    assert request.postcode == "69001" and request.in_territory is False


def _transferring(app: Flask, session: Session, clock: FrozenClock) -> VoiceCall:
    factories.territory(
        session,
        clock(),
        neighbours=[{"name": "CPTS Voisine", "phone": "+33199000002", "postcodes": ["93100"]}],
    )
    patient = call_to_postcode(app, "3", "93100")
    assert patient.state == "dial_leg" and patient.waiting_for is not None
    assert patient.waiting_for.text == "+33199000002"
    return patient


def test_a_postcode_covered_by_a_neighbour_is_transferred_there_and_is_out_of_territory_once_connected(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    patient = _transferring(app, session, clock)
    assert "CPTS Voisine" in said(patient) and "01 99 00 00 02" in said(patient) and "93 1 0 0" in said(patient)
    dial = patient.events[-2] if patient.events[-1].kind == "leg_ringing" else None
    assert dial is not None and dial.kind == "dial" and dial.attrs.get("ringTone") == "fr"
    ringing = the_request(session)
    assert ringing.outcome is None and ringing.in_territory is False and ringing.status == "in_menu"

    patient.leg_answer()
    connected = the_request(session)
    assert connected.outcome == "out_of_territory" and connected.status == "closed"
    patient.end_bridge(duration=90)
    assert the_request(session).outcome == "out_of_territory"


@pytest.mark.parametrize("unreached", ["leg_busy", "leg_no_answer", "leg_fail"])
def test_a_transfer_nobody_answers_brings_the_caller_back_to_the_message_step(
    app: Flask, session: Session, clock: FrozenClock, unreached: str
) -> None:
    patient = _transferring(app, session, clock)
    getattr(patient, unreached)()

    assert patient.state == "record"
    assert "La CPTS Voisine ne répond pas" in said(patient)
    waiting = the_request(session)
    assert waiting.outcome is None and waiting.status == "callback_pending"
    patient.record(duration=15)
    assert the_request(session).had_message


def test_the_postcode_is_asked_by_keys_and_may_be_said_in_french_words_on_the_second_try(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    patient = call(app)
    patient.start()
    patient.press("2")
    assert patient.waiting_for is not None and patient.waiting_for.attrs["input"] == "dtmf"
    with pytest.raises(InvalidInput):
        patient.speak("soixante-quinze zéro vingt")
    patient.silence()
    assert patient.waiting_for is not None and patient.waiting_for.attrs["input"] == "dtmf speech"
    assert "ou dites-les" in said(patient)
    patient.speak("soixante-quinze zéro vingt")

    assert patient.state == "dial_leg"
    assert the_request(session).postcode == "75020"


def test_no_postcode_after_two_tries_continues_without_one(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    patient = call(app)
    patient.start()
    patient.press("2")
    patient.silence()
    patient.press("12")
    assert patient.state == "dial_leg"
    patient.leg_answer()
    assert "code postal inconnu" in said(patient, "volunteer")
    assert the_request(session).postcode is None


def test_a_closed_line_says_when_it_opens_and_rings_nobody(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock(), opening_hours="Mo-Fr 08:00-20:00; PH off")
    factories.volunteer(session, territory, clock())
    clock.set(datetime(2026, 11, 28, 15, 0, tzinfo=PARIS))  # a Saturday afternoon
    patient = call(app)
    patient.start()
    words = said(patient)
    assert "fermée" in words and "lundi 30 novembre à 8 heures" in words
    assert "116 117" in words and "15" in words
    assert patient.state == "record"
    patient.record(duration=12)
    request = the_request(session)
    assert request.status == "callback_pending" and request.had_message
    assert session.scalars(select(Attempt)).all() == []


def test_a_closed_line_on_a_public_holiday(app: Flask, session: Session, clock: FrozenClock) -> None:
    factories.territory(session, clock(), opening_hours="Mo-Fr 08:00-20:00; PH off")
    clock.set(datetime(2026, 12, 25, 10, 0, tzinfo=PARIS))  # Christmas, a Friday
    patient = call(app)
    patient.start()
    assert "lundi 28 décembre à 8 heures" in said(patient)


def test_a_closed_line_caller_who_hangs_up_without_a_message_abandons(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    factories.territory(session, clock(), opening_hours="Mo-Fr 08:00-20:00")
    clock.set(datetime(2026, 11, 28, 15, 0, tzinfo=PARIS))
    patient = call(app)
    patient.start()
    patient.hangup_during_record(duration=0)
    assert the_request(session).status == "abandoned"


def test_an_unknown_called_number_is_told_the_emergency_numbers(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    factories.territory(session, clock())
    patient = call(app, to="+33199000077")
    patient.start()
    assert patient.state == "ended" and "15" in said(patient) and "116 117" in said(patient)


def test_every_prompt_is_spoken_in_french(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    patient = call_to_postcode(app)
    patient.leg_answer()
    says = [e for e in patient.events if e.kind == "say"]
    assert says and all(e.attrs.get("language") == "fr-FR" and e.attrs.get("voice") for e in says)


def test_no_caller_number_reaches_the_application_logs(
    app: Flask, session: Session, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    caplog.set_level(logging.DEBUG)
    patient = call(app, from_="+33611223344")
    patient.start()
    patient.press("2")
    patient.press("75020")
    patient.leg_no_answer()
    patient.record(duration=5)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "611223344" not in logged and "6 11 22 33 44" not in logged


def test_the_volunteer_pressing_1_writes_the_connection_then_the_acceptance_then_the_callback_in_the_timeline(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    patient = call_to_postcode(app)
    patient.leg_answer()
    patient.leg_press("1")
    assert patient.state == "bridged"
    request = the_request(session)
    attempt = session.scalars(select(Attempt)).one()
    assert (attempt.result, attempt.answered_at) == ("accepted", clock())
    assert (request.connected_at, request.updated_at) == (clock(), clock())
    assert session.get(Volunteer, volunteer.id).on_call_request_id == request.id  # type: ignore[union-attr]
    events = session.scalars(select(Event).where(Event.request_id == request.id).order_by(Event.id)).all()
    last = [(e.kind, e.payload, e.actor) for e in events[-3:]]
    assert last[0] == ("status", {"from": "routing", "to": "connected"}, "line")
    assert last[1] == ("attempt.accepted", {"attempt": attempt.id, "volunteer_id": volunteer.id}, None)
    assert last[2][0] == "voice.screen_answer" and events[-1].at == clock()
