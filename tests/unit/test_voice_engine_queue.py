"""The simulator's queue layer (<Enqueue>, waitUrl, <Leave>, <Dial><Queue>) against a tiny TwiML app, and
the waiting line's TwiML builders holding only the verbs Twilio allows where they run."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from flask import Flask, Response, request

from callflows import waitline_twiml as wtwiml
from callflows.twiml import Urls
from orientation.simulator import FlaskClientTransport
from orientation.simulator.engine import Switchboard, VoiceCall
from orientation.simulator.queueing import QUEUE_URL_VERBS, WAIT_GATHER_CHILDREN, WAIT_VERBS

TOKEN = "test-auth-token"
PUBLIC = "https://orientation.example.org"
Posted = list[tuple[str, dict[str, str]]]


def twiml(body: str) -> Response:
    return Response(f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>', mimetype="text/xml")


def make_app(posted: Posted, wait_body: str) -> Flask:
    """A caller enqueued in "Q1" with a waitUrl; an agent dialing that queue."""
    app = Flask(__name__)

    @app.before_request
    def keep() -> None:
        posted.append((request.path, request.form.to_dict()))

    @app.post("/voice")
    def voice() -> Response:
        return twiml('<Say>Patientez.</Say><Enqueue action="/left" waitUrl="/wait">Q1</Enqueue><Say>Après.</Say>')

    @app.post("/wait")
    def wait() -> Response:
        return twiml(wait_body)

    @app.post("/key")
    def key() -> Response:
        return twiml("<Leave/>" if request.form.get("Digits") == "1" else "<Redirect>/wait</Redirect>")

    @app.post("/left")
    def left() -> Response:
        return twiml(f"<Say>Sorti : {request.form.get('QueueResult')}.</Say><Hangup/>")

    @app.post("/agent")
    def agent() -> Response:
        return twiml('<Dial action="/agent-done" timeout="7"><Queue url="/connecting">Q1</Queue></Dial>')

    @app.post("/connecting")
    def connecting() -> Response:
        return twiml("<Say>On vous passe un bénévole.</Say>")

    @app.post("/agent-done")
    def agent_done() -> Response:
        return twiml("<Hangup/>")

    return app


WAIT_TURN = '<Gather numDigits="1" action="/key" timeout="20"><Say>Vous êtes la première.</Say></Gather>'


def _call(app: Flask, board: Switchboard, path: str = "/voice", **kw: object) -> VoiceCall:
    transport = FlaskClientTransport(app.test_client(), TOKEN, PUBLIC)
    return VoiceCall(transport, PUBLIC + path, from_="+33612345678", to="+33180000000", switchboard=board, **kw)  # type: ignore[arg-type]


def _said(call: VoiceCall) -> list[str]:
    return [e.text for e in call.events if e.kind == "say" and e.party == "caller"]


def test_an_enqueued_caller_hears_the_wait_url_posted_with_the_queue_parameters() -> None:
    posted: Posted = []
    board = Switchboard()
    caller = _call(make_app(posted, WAIT_TURN), board)

    caller.start()

    assert caller.state == "gather" and caller.queued_in == "Q1"
    wait = next(form for path, form in posted if path == "/wait")
    assert wait["QueuePosition"] == "1" and wait["CurrentQueueSize"] == "1" and wait["QueueSid"].startswith("QU")
    assert board.members("Q1") == [caller]


def test_a_wait_document_played_to_its_end_is_requested_again() -> None:
    posted: Posted = []
    caller = _call(make_app(posted, WAIT_TURN), Switchboard())
    caller.start()

    caller.silence()

    assert [path for path, _ in posted].count("/wait") == 2
    assert caller.state == "gather"


def test_leave_requests_the_enqueue_action_right_away_with_queue_result_leave() -> None:
    posted: Posted = []
    board = Switchboard()
    caller = _call(make_app(posted, WAIT_TURN), board)
    caller.start()

    caller.press("1")

    left = next(form for path, form in posted if path == "/left")
    assert left["QueueResult"] == "leave" and "QueueTime" in left
    assert _said(caller)[-1] == "Sorti : leave." and caller.state == "ended"
    assert board.members("Q1") == []


def test_a_verb_the_wait_url_may_not_hold_takes_the_call_out_of_the_queue_with_an_error() -> None:
    posted: Posted = []
    caller = _call(make_app(posted, "<Record/>"), Switchboard())

    caller.start()

    assert any(e.kind == "error" and "<Record>" in e.text for e in caller.events)
    assert next(form for path, form in posted if path == "/left")["QueueResult"] == "error"


@pytest.mark.parametrize("requested", [True, False])
def test_a_caller_hanging_up_in_the_queue_requests_the_action_with_hangup_or_not(requested: bool) -> None:
    posted: Posted = []
    caller = _call(make_app(posted, WAIT_TURN), Switchboard(), enqueue_action_after_hangup=requested)
    caller.start()

    caller.hangup()

    results = [form["QueueResult"] for path, form in posted if path == "/left"]
    assert results == (["hangup"] if requested else [])
    assert caller.state == "ended"


def test_dial_queue_plays_the_queue_url_to_the_caller_then_bridges_and_both_actions_follow() -> None:
    posted: Posted = []
    board = Switchboard()
    app = make_app(posted, WAIT_TURN)
    caller = _call(app, board)
    caller.start()
    agent = _call(app, board, "/agent")

    agent.start()

    assert agent.state == "bridged" and caller.state == "queue_bridged"
    assert "On vous passe un bénévole." in _said(caller)
    connecting = next(form for path, form in posted if path == "/connecting")
    assert connecting["DequeingCallSid"] == agent.call_sid and connecting["CallSid"] == caller.call_sid
    agent.end_bridge(duration=90)
    done = next(form for path, form in posted if path == "/agent-done")
    assert done["DialBridged"] == "true" and done["DialCallStatus"] == "completed"
    assert next(form for path, form in posted if path == "/left")["QueueResult"] == "bridged"
    assert caller.state == "ended"


def test_dialing_an_empty_queue_waits_the_timeout_and_reports_no_answer() -> None:
    posted: Posted = []
    agent = _call(make_app(posted, WAIT_TURN), Switchboard(), "/agent")

    agent.start()

    done = next(form for path, form in posted if path == "/agent-done")
    assert done["DialCallStatus"] == "no-answer" and agent.duration == 7


# ---------------------------------------------------------------- the builders


URLS = Urls("https://line.example.org")


def _verbs(xml: str) -> list[ET.Element]:
    return list(ET.fromstring(xml))


def test_the_wait_turn_holds_only_verbs_a_wait_url_may_run() -> None:
    verbs = _verbs(str(wtwiml.wait_turn(URLS, ["Vous êtes la première."], "Tapez 1.", "P20-2026-1", 3)))

    assert {v.tag for v in verbs} <= WAIT_VERBS
    assert all(child.tag in WAIT_GATHER_CHILDREN for v in verbs if v.tag == "Gather" for child in v)
    # The next turn is named: the same signed content would be taken for a retry of this turn.
    assert verbs[-1].tag == "Redirect" and verbs[-1].text == URLS("/twilio/queue/wait", ref="P20-2026-1", turn=4)


def test_leaving_and_holding_use_only_wait_url_verbs() -> None:
    for document in (wtwiml.leave_line(["L'attente se prolonge."]), wtwiml.hold(URLS, "Merci.", "P20-2026-1", 1)):
        assert {v.tag for v in _verbs(str(document))} <= WAIT_VERBS


def test_the_caller_is_enqueued_in_a_queue_named_by_the_reference_only() -> None:
    enqueue = _verbs(str(wtwiml.enqueue(URLS, ["Restez en ligne."], "P20-2026-000123")))[-1]

    assert enqueue.tag == "Enqueue" and enqueue.text == "P20-2026-000123"
    assert enqueue.get("waitUrl", "").endswith("/twilio/queue/wait?ref=P20-2026-000123")
    assert enqueue.get("action", "").endswith("/twilio/queue/left?ref=P20-2026-000123")


def test_the_volunteer_dequeues_exactly_that_caller() -> None:
    dial = _verbs(str(wtwiml.dequeue(URLS, "Vous êtes mis en relation.", "P20-2026-000123", 7)))[-1]

    queue = dial.find("Queue")
    assert queue is not None and queue.text == "P20-2026-000123"
    assert queue.get("url", "").endswith("/twilio/queue/connecting?ref=P20-2026-000123")
    assert "Say" in QUEUE_URL_VERBS
