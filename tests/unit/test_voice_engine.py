"""The simulated Twilio voice engine, driven against a tiny TwiML app that checks real signatures."""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask, Response, request
from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator
from werkzeug.serving import make_server

from orientation.simulator import FlaskClientTransport, HttpTransport, InvalidInput, VoiceCall
from orientation.simulator.engine import MAX_VERBS_WITHOUT_INPUT

TOKEN = "test-auth-token"
PUBLIC = "https://orientation.example.org"
PATIENT = "+33612345678"
LINE = "+33180000000"
VOLUNTEER = "+33698765432"
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

Posted = list[tuple[str, dict[str, str]]]


def twiml(body: str) -> Response:
    return Response(f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>', mimetype="text/xml")


def make_app(posted: Posted) -> Flask:
    """A fixed TwiML app: menu, screened dial, message, speech, loops and failures."""
    app = Flask(__name__)
    validator = RequestValidator(TOKEN)

    @app.before_request
    def check_signature() -> Response | None:
        query = request.query_string.decode()
        url = PUBLIC + request.path + (f"?{query}" if query else "")
        if not validator.validate(url, request.form.to_dict(), request.headers.get("X-Twilio-Signature", "")):
            return Response("bad signature", status=403)
        posted.append((request.full_path.rstrip("?"), request.form.to_dict()))
        return None

    @app.post("/voice")
    def voice() -> Response:
        return twiml(
            '<Say language="fr-FR" voice="Polly.Lea">Bienvenue sur la ligne.</Say>'
            '<Gather numDigits="1" action="/menu" timeout="5">'
            "<Say>Tapez 1 pour un médecin, 2 pour un message, 3 pour parler.</Say></Gather>"
            "<Say>Pas de réponse.</Say><Redirect>/voice?again=1</Redirect>"
        )

    @app.post("/menu")
    def menu() -> Response:
        if "SpeechResult" in request.form:
            return twiml(f"<Say>Vous avez dit {request.form['SpeechResult']}.</Say><Hangup/>")
        choice = request.form.get("Digits")
        if choice == "1":
            return twiml(
                '<Say>Nous cherchons un professionnel.</Say><Dial action="dial-done" timeout="20">'
                '<Number url="screen" statusCallback="/leg-status" '
                f'statusCallbackEvent="initiated ringing answered completed">{VOLUNTEER}</Number></Dial>'
            )
        if choice == "2":
            return twiml(
                '<Say>Laissez un message.</Say><Record action="/recorded" maxLength="120" '
                'recordingStatusCallback="/rec-status"/><Say>Rien reçu.</Say>'
            )
        if choice == "3":
            return twiml('<Gather input="speech" language="fr-FR"><Say>Dites votre demande.</Say></Gather>')
        if choice == "6":
            return twiml(
                '<Dial action="dial-done"><Number url="screen" machineDetection="Enable" statusCallback="/leg-status" '
                f'statusCallbackEvent="answered completed">{VOLUNTEER}</Number></Dial>'
            )
        if choice == "5":
            return twiml(
                '<Dial action="dial-done" timeout="20"><Number url="screen-redirect" statusCallback="/leg-status">'
                f"{VOLUNTEER}</Number></Dial>"
            )
        if choice == "7":
            return Response("<Response><Say>oops</Response>", mimetype="text/xml")
        if choice == "8":
            return Response("boom", status=500)
        if choice == "9":
            return twiml("<Redirect>/loop</Redirect>")
        return twiml("<Redirect>/voice</Redirect>")

    @app.post("/screen")
    def screen() -> Response:
        return twiml(
            '<Gather numDigits="1" action="/screen-choice" timeout="10">'
            "<Say>Demande de médecin, tapez 1 pour prendre l'appel.</Say></Gather>"
            "<Say>Pas de réponse, au revoir.</Say><Hangup/>"
        )

    @app.post("/screen-redirect")
    def screen_redirect() -> Response:
        return twiml(
            '<Gather numDigits="1" action="/screen-choice"><Say>Tapez 1.</Say></Gather><Redirect>/screen</Redirect>'
        )

    @app.post("/screen-choice")
    def screen_choice() -> Response:
        if request.form.get("Digits") == "1":
            return twiml("<Say>Mise en relation.</Say>")
        return twiml("<Hangup/>")

    @app.post("/dial-done")
    def dial_done() -> Response:
        if request.form.get("DialBridged") == "true":
            return twiml("<Say>Merci, au revoir.</Say><Hangup/>")
        return twiml("<Say>Personne n'est disponible.</Say><Hangup/>")

    @app.post("/recorded")
    def recorded() -> Response:
        return twiml("<Say>Message reçu.</Say><Hangup/>")

    @app.post("/loop")
    def loop() -> Response:
        return twiml("<Pause length='0'/><Redirect>/loop</Redirect>")

    @app.post("/reject")
    def reject() -> Response:
        return twiml('<Reject reason="busy"/>')

    @app.post("/broken")
    def broken() -> Response:
        return Response("down", status=503)

    @app.post("/fallback")
    def fallback() -> Response:
        return twiml("<Say>La ligne est momentanément indisponible.</Say><Hangup/>")

    @app.post("/status")
    @app.post("/leg-status")
    @app.post("/rec-status")
    def status() -> Response:
        return Response("", status=204)

    return app


def counting_sids() -> Callable[[str], str]:
    counter = itertools.count(1)
    return lambda prefix: f"{prefix}{next(counter):032x}"


@pytest.fixture
def posted() -> Posted:
    return []


@pytest.fixture
def app(posted: Posted) -> Flask:
    return make_app(posted)


@pytest.fixture
def new_call(app: Flask) -> Callable[..., VoiceCall]:
    def build(path: str = "/voice", token: str = TOKEN, **kwargs: object) -> VoiceCall:
        transport = FlaskClientTransport(app.test_client(), token, PUBLIC)
        return VoiceCall(
            transport,
            PUBLIC + path,
            from_=PATIENT,
            to=LINE,
            status_callback_url=PUBLIC + "/status",
            clock=lambda: START,
            new_sid=counting_sids(),
            **kwargs,  # type: ignore[arg-type]
        )

    return build


def posts_to(posted: Posted, path: str) -> list[dict[str, str]]:
    return [params for full_path, params in posted if full_path.split("?")[0] == path]


def pick(params: dict[str, str], *names: str) -> tuple[str, ...]:
    return tuple(params[name] for name in names)


def kinds(call: VoiceCall) -> list[str]:
    return [event.kind for event in call.events]


def said(call: VoiceCall, party: str = "caller") -> list[str]:
    return [event.text for event in call.events if event.kind == "say" and event.party == party]


def test_the_inbound_webhook_is_signed_and_carries_twilios_call_parameters(new_call, posted):
    call = new_call()
    events = call.start()

    (params,) = posts_to(posted, "/voice")
    assert re.fullmatch(r"CA[0-9a-f]{32}", params["CallSid"])
    assert params["CallSid"] == call.call_sid
    assert params["CallStatus"] == "ringing"
    assert params["Direction"] == "inbound"
    assert params["From"] == params["Caller"] == PATIENT
    assert params["To"] == params["Called"] == LINE
    assert params["FromCountry"] == "FR"
    assert params["ApiVersion"] == "2010-04-01"
    assert [event.kind for event in events] == ["say", "say", "gather"]
    assert events[0].attrs == {"language": "fr-FR", "voice": "Polly.Lea"}
    assert events[2].text.startswith("Tapez 1")
    assert events[2].attrs["numDigits"] == "1"
    assert events[2].attrs["action"] == PUBLIC + "/menu"
    assert call.state == "gather"
    assert call.waiting_for is events[2]


def test_a_bad_signature_gets_the_call_ended_on_an_application_error(new_call, posted):
    call = new_call(token="not-the-token")
    call.start()

    assert posted == []
    assert call.state == "ended"
    assert kinds(call) == ["error", "ended", "callback_error"]
    assert call.events[0].attrs["code"] == "11200"


def test_a_pressed_key_goes_to_the_gather_action_and_rings_the_volunteer(new_call, posted):
    call = new_call()
    call.start()
    events = call.press("1")

    (menu,) = posts_to(posted, "/menu")
    assert menu["Digits"] == "1"
    assert menu["CallStatus"] == "in-progress"
    assert [e.kind for e in events] == ["input", "say", "dial", "leg_ringing"]
    assert call.state == "dial_leg"
    leg_statuses = posts_to(posted, "/leg-status")
    assert [p["CallStatus"] for p in leg_statuses] == ["initiated", "ringing"]
    assert all(p["ParentCallSid"] == call.call_sid != p["CallSid"] for p in leg_statuses)
    assert leg_statuses[0]["To"] == VOLUNTEER


def test_the_screening_document_is_fetched_with_the_child_legs_parameters(new_call, posted):
    call = new_call()
    call.start()
    call.press("1")
    events = call.leg_answer()

    (screen,) = posts_to(posted, "/screen")  # relative url="screen" resolved against /menu
    assert screen["Direction"] == "outbound-dial"
    assert screen["CallStatus"] == "in-progress"
    assert screen["ParentCallSid"] == call.call_sid
    assert screen["CallSid"] != call.call_sid
    assert screen["To"] == VOLUNTEER
    assert screen["From"] == PATIENT
    assert call.state == "leg_gather"
    assert [e.kind for e in events] == ["leg_answered", "say", "leg_gather"]
    assert all(e.party == "volunteer" for e in events)
    assert posts_to(posted, "/leg-status")[-1]["CallStatus"] == "in-progress"


def test_a_volunteer_who_declines_in_screening_makes_the_dial_report_completed_without_bridge(new_call, posted):
    call = new_call()
    call.start()
    call.press("1")
    call.leg_answer()
    child_sid = posts_to(posted, "/screen")[0]["CallSid"]
    call.leg_press("2")

    (choice,) = posts_to(posted, "/screen-choice")
    assert choice["Digits"] == "2"
    assert choice["CallSid"] == child_sid
    (dial,) = posts_to(posted, "/dial-done")
    assert dial["DialCallStatus"] == "completed"
    assert dial["DialBridged"] == "false"
    assert dial["DialCallSid"] == child_sid
    assert dial["CallSid"] == call.call_sid
    assert said(call)[-1] == "Personne n'est disponible."
    assert call.state == "ended"
    assert posts_to(posted, "/leg-status")[-1]["CallStatus"] == "completed"
    assert posts_to(posted, "/status")[0]["CallStatus"] == "completed"


def test_a_screening_document_with_a_redirect_is_a_twiml_error_and_the_leg_is_never_bridged(new_call, posted):
    call = new_call()
    call.start()
    call.press("5")
    call.leg_answer()
    call.leg_silence()

    errors = [e for e in call.events if e.kind == "error"]
    assert [(e.party, e.attrs["code"]) for e in errors] == [("volunteer", "12200")]
    assert "bridged" not in kinds(call)
    assert posts_to(posted, "/screen") == []  # the <Redirect> was never followed
    (dial,) = posts_to(posted, "/dial-done")
    assert pick(dial, "DialCallStatus", "DialBridged") == ("completed", "false")


def test_a_volunteer_who_accepts_is_bridged_and_the_dial_action_reports_the_conversation(new_call, posted):
    call = new_call()
    call.start()
    call.press("1")
    call.leg_answer()
    call.leg_press("1")

    assert call.state == "bridged"
    assert said(call, "volunteer")[-1] == "Mise en relation."
    call.end_bridge(duration=120)

    (dial,) = posts_to(posted, "/dial-done")
    assert dial["DialCallStatus"] == "completed"
    assert dial["DialBridged"] == "true"
    assert dial["DialCallDuration"] == "120"
    (final,) = posts_to(posted, "/status")
    assert final["CallDuration"] == "120"
    assert final["Timestamp"] == "Mon, 02 Mar 2026 10:02:00 +0000"
    assert posts_to(posted, "/leg-status")[-1]["CallDuration"] == "120"


def test_a_silent_volunteer_falls_through_the_screening_to_its_hangup(new_call, posted):
    call = new_call()
    call.start()
    call.press("1")
    call.leg_answer()
    call.leg_silence()

    assert said(call, "volunteer")[-1] == "Pas de réponse, au revoir."
    assert posts_to(posted, "/screen-choice") == []
    (dial,) = posts_to(posted, "/dial-done")
    assert pick(dial, "DialCallStatus", "DialBridged", "DialCallDuration") == ("completed", "false", "10")


@pytest.mark.parametrize(
    ("act", "status", "duration"),
    [("leg_no_answer", "no-answer", 20), ("leg_busy", "busy", 0), ("leg_fail", "failed", 0)],
)
def test_an_unreached_volunteer_is_reported_to_the_dial_action(new_call, posted, act, status, duration):
    call = new_call()
    call.start()
    call.press("1")
    getattr(call, act)()

    (dial,) = posts_to(posted, "/dial-done")
    assert pick(dial, "DialCallStatus", "DialBridged", "DialCallDuration") == (status, "false", "0")
    assert posts_to(posted, "/leg-status")[-1]["CallStatus"] == status
    assert call.duration == duration
    assert call.state == "ended"


def test_a_caller_hanging_up_while_the_volunteer_rings_cancels_the_leg_and_ends_the_session_without_action(
    new_call, posted
):
    call = new_call()
    call.start()
    call.press("1")
    call.hangup()

    assert posts_to(posted, "/leg-status")[-1]["CallStatus"] == "canceled"
    assert posts_to(posted, "/dial-done") == []  # "the Twilio session ends"
    assert posts_to(posted, "/status")[0]["CallStatus"] == "completed"
    assert call.state == "ended"


def test_the_other_reading_still_tells_the_dial_action_of_a_hang_up_and_ignores_its_answer(new_call, posted):
    call = new_call(dial_action_after_hangup=True)
    call.start()
    call.press("1")
    call.hangup()

    (dial,) = posts_to(posted, "/dial-done")
    assert pick(dial, "CallStatus", "DialCallStatus", "DialBridged") == ("completed", "canceled", "false")
    assert "Personne n'est disponible." not in said(call)  # the caller is gone: the answer is ignored
    assert call.state == "ended"


@pytest.mark.parametrize("action_after_hangup", [False, True])
def test_a_caller_hanging_up_during_the_conversation_completes_the_leg_and_ends_the_call(
    new_call, posted, action_after_hangup
):
    call = new_call(dial_action_after_hangup=action_after_hangup)
    call.start()
    call.press("1")
    call.leg_answer()
    call.leg_press("1")
    call.hangup()

    assert posts_to(posted, "/leg-status")[-1]["CallStatus"] == "completed"
    dials = posts_to(posted, "/dial-done")
    if action_after_hangup:
        assert [(d["DialCallStatus"], d["DialBridged"]) for d in dials] == [("completed", "true")]
    else:
        assert dials == []
    assert posts_to(posted, "/status")[-1]["CallStatus"] == "completed"


@pytest.mark.parametrize("where", ["url", "status"])
def test_machine_detection_reports_who_answered_on_the_number_url_or_its_status_callbacks(new_call, posted, where):
    call = new_call(answered_by_in=where)
    call.start()
    call.press("6")
    call.leg_answer(answered_by="machine_start")

    screen = posts_to(posted, "/screen")[0]
    answered = [p for p in posts_to(posted, "/leg-status") if p["CallStatus"] == "in-progress"]
    assert screen.get("AnsweredBy") == ("machine_start" if where == "url" else None)
    assert [p.get("AnsweredBy") for p in answered] == ["machine_start" if where == "status" else None]


def test_without_machine_detection_no_answered_by_is_sent(new_call, posted):
    call = new_call(answered_by_in="url")
    call.start()
    call.press("1")
    call.leg_answer(answered_by="machine_start")

    assert "AnsweredBy" not in posts_to(posted, "/screen")[0]


def test_silence_on_the_menu_falls_through_to_the_next_verbs(new_call, posted):
    call = new_call()
    call.start()
    call.silence()

    assert posts_to(posted, "/menu") == []
    assert said(call)[-3:-1] == ["Pas de réponse.", "Bienvenue sur la ligne."]
    assert [path for path, _ in posted] == ["/voice", "/voice?again=1"]
    assert call.state == "gather"
    assert call.duration == 5


def test_a_message_is_posted_with_its_recording_to_the_record_action(new_call, posted):
    call = new_call()
    call.start()
    call.press("2")
    assert call.state == "record"
    call.record(duration=42)

    (recorded,) = posts_to(posted, "/recorded")
    assert recorded["RecordingDuration"] == "42"
    assert recorded["Digits"] == "#"
    assert re.fullmatch(r"https://api\.twilio\.com/.+/Recordings/RE[0-9a-f]{32}", recorded["RecordingUrl"])
    (status,) = posts_to(posted, "/rec-status")
    assert status["RecordingSid"] == recorded["RecordingSid"]
    assert said(call)[-1] == "Message reçu."
    assert posts_to(posted, "/status")[0]["CallDuration"] == "42"


def test_an_empty_recording_skips_the_action_like_twilio(new_call, posted):
    call = new_call()
    call.start()
    call.press("2")
    call.record(duration=0)

    assert posts_to(posted, "/recorded") == []
    assert said(call)[-1] == "Rien reçu."


def test_hanging_up_while_recording_posts_digits_hangup_and_ignores_the_answer(new_call, posted):
    call = new_call()
    call.start()
    call.press("2")
    call.hangup()

    (recorded,) = posts_to(posted, "/recorded")
    assert recorded["Digits"] == "hangup"
    assert recorded["CallStatus"] == "completed"
    assert "Message reçu." not in said(call)
    assert call.state == "ended"


def test_speech_goes_to_the_current_document_when_the_gather_has_no_action(new_call, posted):
    call = new_call()
    call.start()
    call.press("3")
    call.speak("un médecin traitant", confidence=0.8)

    speech = posts_to(posted, "/menu")[-1]
    assert speech["SpeechResult"] == "un médecin traitant"
    assert float(speech["Confidence"]) == pytest.approx(0.8)
    assert "Digits" not in speech
    assert said(call)[-1] == "Vous avez dit un médecin traitant."


def test_an_infinite_redirect_loop_is_stopped_with_an_error(new_call, posted):
    call = new_call()
    call.start()
    call.press("9")

    assert call.state == "ended"
    assert call.events[-2].kind == "error"
    assert call.events[-2].attrs["code"] == "loop"
    assert len(posts_to(posted, "/loop")) <= MAX_VERBS_WITHOUT_INPUT


@pytest.mark.parametrize(("key", "code"), [("8", "11200"), ("7", "12100")])
def test_a_broken_answer_ends_the_call_on_an_application_error(new_call, posted, key, code):
    call = new_call()
    call.start()
    call.press(key)

    errors = [e for e in call.events if e.kind == "error"]
    assert [e.attrs["code"] for e in errors] == [code]
    assert call.state == "ended"
    assert posts_to(posted, "/status")[0]["CallStatus"] == "completed"


def test_the_fallback_url_answers_when_the_voice_url_fails(new_call, posted):
    call = new_call("/broken", fallback_url=PUBLIC + "/fallback")
    call.start()

    (fallback,) = posts_to(posted, "/fallback")
    assert fallback["ErrorCode"] == "11200"
    assert fallback["ErrorUrl"] == PUBLIC + "/broken"
    assert said(call) == ["La ligne est momentanément indisponible."]


def test_a_rejected_call_ends_busy_without_duration(new_call, posted):
    call = new_call("/reject")
    call.start()

    (final,) = posts_to(posted, "/status")
    assert (final["CallStatus"], final["CallDuration"]) == ("busy", "0")


def test_an_input_the_call_does_not_wait_for_is_refused_without_changing_anything(new_call, posted):
    call = new_call()
    with pytest.raises(InvalidInput):
        call.press("1")
    call.start()
    with pytest.raises(InvalidInput):
        call.leg_answer()
    with pytest.raises(InvalidInput):
        call.speak("bonjour")  # this menu listens to keys only
    with pytest.raises(InvalidInput):
        call.press("12a")
    assert call.state == "gather"
    assert call.waiting_for is not None
    assert len(posted) == 1


@settings(max_examples=60, deadline=None)
@given(keys=st.text(alphabet="0123456789*#", min_size=1, max_size=6))
def test_a_gather_submits_at_most_num_digits_and_never_the_finish_key(keys):
    posted: Posted = []
    transport = FlaskClientTransport(make_app(posted).test_client(), TOKEN, PUBLIC)
    call = VoiceCall(transport, PUBLIC + "/voice", PATIENT, LINE, clock=lambda: START)
    call.start()
    call.press(keys)

    menu = posts_to(posted, "/menu")
    expected = keys.split("#")[0][:1]
    if expected:
        assert menu[0]["Digits"] == expected
    else:
        assert menu == []  # nothing but "#": no input, the menu falls through


def test_the_transcript_reads_like_the_call(new_call):
    call = new_call()
    call.start()
    call.press("1")
    call.leg_answer()
    call.leg_press("1")
    call.end_bridge(30)
    lines = call.transcript()

    assert lines[0] == "LINE: Bienvenue sur la ligne."
    assert "YOU PRESS 1" in lines
    assert f"VOLUNTEER {VOLUNTEER} RINGS" in lines
    assert "VOLUNTEER PRESSES 1" in lines
    assert f"YOU ARE CONNECTED TO VOLUNTEER {VOLUNTEER}" in lines
    assert lines[-1] == "CALL ENDED (completed, 30 s)"


@pytest.fixture
def served_app(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def test_the_http_transport_drives_a_running_app_with_public_url_signatures(served_app, posted):
    call = VoiceCall(HttpTransport(TOKEN, PUBLIC, served_app), PUBLIC + "/voice", PATIENT, LINE)
    call.start()
    call.press("2")

    assert call.state == "record"
    assert [path for path, _ in posted] == ["/voice", "/menu"]
