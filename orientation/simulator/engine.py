"""A step-wise TwiML interpreter that plays Twilio's part in one inbound call.

It knows nothing of the app's routes: it posts signed webhooks, reads the TwiML answered and waits
whenever Twilio would wait for someone (the caller's keys, a message, a volunteer's phone). A CLI, the
simulator page and the tests drive it with the same inputs.

Where Twilio's behaviour is not obvious, this is what we do (checked against Twilio's TwiML docs):
- ``<Gather>`` without ``action`` posts to the current document's URL; on timeout it falls through to
  the next verb, or posts to ``action`` with no ``Digits`` when ``actionOnEmptyResult="true"``.
- A ``<Number url>`` (screening) document may only hold ``<Say>``, ``<Play>``, ``<Pause>``, ``<Gather>``
  and ``<Hangup>``; any other verb is a TwiML error and the leg is hung up, never bridged.
- ``<Record>`` with nothing recorded (duration 0) does not request ``action`` and goes on; a caller
  hanging up while recording posts ``Digits=hangup`` and the answer is not executed.
- ``<Dial>`` posts its ``action`` when the dialed leg ends, with ``DialCallStatus``, ``DialCallSid``,
  ``DialCallDuration`` (seconds since the leg answered, 0 if it never did) and ``DialBridged``. A leg
  that answered then hung up during screening reports ``completed`` with ``DialBridged=false``.
- The caller hanging up during a ``<Dial>``: ringing legs are ``canceled``, answered ones ``completed``,
  and each leg's ``statusCallback`` hears it. Twilio's ``<Dial>`` page says the action continues the call
  "after the dialed party hangs up"; when the caller hangs up the session ends. By default no action is
  requested then; ``dial_action_after_hangup=True`` plays the other reading (the action is requested
  with ``CallStatus=completed``, ``DialCallStatus=canceled`` when no leg had answered, ``completed``
  otherwise, and its answer ignored), so the app is tested against both.
- ``<Number machineDetection>``: the answering party (``leg_answer(answered_by=...)``) is reported as
  ``AnsweredBy`` on the ``<Number url>`` request (``answered_by_in="url"``, the default) or on the leg's
  status callbacks (``answered_by_in="status"``), the two places Twilio's pages point to.
- A fetch that fails (non-2xx, unreachable, not TwiML) is an application error: the fallback URL is
  tried when one is given (with ``ErrorCode`` and ``ErrorUrl``), otherwise the call ends. A failed
  screening document hangs up the volunteer's leg only.
- Every request is a POST, whatever the ``method`` attribute says (the transport only posts).
"""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET  # not defusedxml (unavailable): parses only the app's answers
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import urljoin

import phonenumbers

from orientation.simulator.transport import SignedTransport, TransportError

MAX_VERBS_WITHOUT_INPUT = 200
DEFAULT_ACCOUNT_SID = "AC" + "0" * 32
_DEFAULT_START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
_KEYS = set("0123456789*#")
_LEG_FINAL = {"completed", "busy", "no-answer", "failed", "canceled"}

# Twilio's error codes, so a log line looks like what the Twilio debugger would show.
HTTP_RETRIEVAL_FAILURE = "11200"
DOCUMENT_PARSE_FAILURE = "12100"
CALLBACK_FAILURE = "15003"
LOOP_GUARD = "loop"
# What a <Number url> (screening) document may hold: Twilio's <Number> page lets it "play or say information
# to the called party, or provide a chance to decline the phone call using <Gather> and <Hangup>".
SCREENING_VERBS = frozenset({"Say", "Play", "Pause", "Gather", "Hangup"})
SCREENING_GATHER_CHILDREN = frozenset({"Say", "Play", "Pause"})
SCREENING_VERB_ERROR = "12200"  # Twilio's "Schema validation warning": the document holds a verb it cannot run


@dataclass(frozen=True)
class Event:
    """Something that happened on the line, for a transcript, a page or an assertion."""

    kind: str
    text: str = ""  # leg_* and "bridged" events: the dialed number
    attrs: Mapping[str, str] = field(default_factory=dict)
    party: str = "caller"  # "caller" (the patient's side) or "volunteer" (a dialed leg)
    leg_sid: str | None = None


@dataclass(frozen=True)
class Exchange:
    """One webhook request posted to the app and what it answered (status None: unreachable)."""

    url: str
    params: dict[str, str]
    status: int | None
    body: str


class InvalidInput(Exception):
    """The call is not waiting for that input (pressing keys while a phone rings, say)."""


@dataclass
class _Doc:
    url: str
    verbs: list[ET.Element]
    pos: int = 0

    def next_verb(self) -> ET.Element | None:
        if self.pos >= len(self.verbs):
            return None
        verb = self.verbs[self.pos]
        self.pos += 1
        return verb


@dataclass
class _Leg:
    number: str
    sid: str
    url: str | None
    status_callback: str | None
    callback_events: frozenset[str]
    status: str = "ringing"  # ringing, answered, bridged, then one of _LEG_FINAL
    answered_at: float | None = None
    sequence: int = 0
    machine_detection: bool = False
    answered_by: str | None = None


@dataclass
class _Dial:
    action: str | None
    timeout: int
    caller_id: str
    legs: list[_Leg]


def _new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def _country(number: str) -> str:
    """ISO country of an E.164 number, as Twilio fills FromCountry and ToCountry."""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(number, None)) or ""
    except phonenumbers.NumberParseException:
        return ""


def _int_attr(verb: ET.Element, name: str, default: int) -> int:
    """A count or a number of seconds; a malformed one is the default, a negative one 0."""
    try:
        # Negative values would run the simulated clock backwards (a pause of -5 s).
        return max(int(verb.get(name, default)), 0)
    except ValueError:
        return default


def _text(verb: ET.Element) -> str:
    return (verb.text or "").strip()


class VoiceCall:
    """One simulated inbound call, advanced by explicit inputs; every step returns its new events."""

    def __init__(
        self,
        transport: SignedTransport,
        voice_url: str,
        from_: str,
        to: str,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        call_sid: str | None = None,
        status_callback_url: str | None = None,
        clock: Callable[[], datetime] | None = None,
        fallback_url: str | None = None,
        new_sid: Callable[[str], str] = _new_sid,
        dial_action_after_hangup: bool = False,
        answered_by_in: str = "url",
    ) -> None:
        self.transport = transport
        self.voice_url = voice_url
        self.from_ = from_
        self.to = to
        self.account_sid = account_sid
        self.call_sid = call_sid or new_sid("CA")
        self.status_callback_url = status_callback_url
        self.fallback_url = fallback_url
        self.events: list[Event] = []
        self.exchanges: list[Exchange] = []
        self.state = "idle"
        self.waiting_for: Event | None = None
        self._clock = clock or (lambda: _DEFAULT_START)
        self._new_sid = new_sid
        # Simulated seconds since the call started: pauses, timeouts, messages and conversations
        # move it, so durations are meaningful without ever sleeping.
        self._elapsed = 0.0
        self._call_status = "ringing"
        self._answered = False
        self._verbs_since_input = 0
        self._doc: _Doc | None = None
        self._gather: tuple[ET.Element, str] | None = None
        self._record: tuple[ET.Element, str] | None = None
        self._dial: _Dial | None = None
        self._leg_doc: _Doc | None = None
        self._leg_gather: tuple[ET.Element, str] | None = None
        self._sequence = 0
        self.dial_action_after_hangup = dial_action_after_hangup
        self.answered_by_in = answered_by_in

    # ----------------------------------------------------------------- inputs of the caller

    def start(self) -> list[Event]:
        """Ring the app: post the inbound-call webhook and run its TwiML until it waits."""
        mark = self._begin("idle")
        doc = self._fetch(self.voice_url, self._caller_params(), "caller")
        self._call_status = "in-progress"
        if doc is None:
            self._end_call("completed")
        else:
            self._doc = doc
            self._run_caller()
        return self.events[mark:]

    def press(self, digits: str) -> list[Event]:
        """The caller presses keys while a <Gather> listens."""
        self._check("gather")
        assert self._gather is not None
        verb, doc_url = self._gather
        keys, finished_on = self._gathered_keys(verb, digits)
        mark = self._begin("gather")
        self._emit("input", keys or digits, {"how": "press"})
        self._answer_gather(verb, doc_url, {"Digits": keys, "FinishedOnKey": finished_on}, "caller")
        return self.events[mark:]

    def speak(self, text: str, confidence: float = 0.92) -> list[Event]:
        """The caller says words while a <Gather input="speech"> listens."""
        self._check("gather")
        assert self._gather is not None
        verb, doc_url = self._gather
        if "speech" not in verb.get("input", "dtmf").split():
            raise InvalidInput("this <Gather> does not listen to speech")
        mark = self._begin("gather")
        self._emit("input", text, {"how": "speak"})
        params = {"SpeechResult": text, "Confidence": f"{confidence:.8f}"}
        self._answer_gather(verb, doc_url, params, "caller")
        return self.events[mark:]

    def silence(self) -> list[Event]:
        """The caller says nothing until the <Gather> times out."""
        mark = self._begin("gather")
        assert self._gather is not None
        verb, doc_url = self._gather
        self._emit("input", "", {"how": "silence"})
        self._elapsed += _int_attr(verb, "timeout", 5)
        self._answer_gather(verb, doc_url, None, "caller")
        return self.events[mark:]

    def record(self, duration: int = 10, finish_key: str | None = "#") -> list[Event]:
        """The caller leaves a message of ``duration`` seconds, ended by a key (None: by silence)."""
        mark = self._begin("record")
        assert self._record is not None
        verb, doc_url = self._record
        self._record = None
        duration = min(duration, _int_attr(verb, "maxLength", 3600))
        self._emit("input", str(duration), {"how": "record", "finish_key": finish_key or ""})
        self._elapsed += max(duration, 0)
        if duration <= 0:
            # Twilio drops an empty recording and goes on with the next verb.
            self._run_caller()
            return self.events[mark:]
        extra = self._recording_params(duration)
        if finish_key:
            extra["Digits"] = finish_key
        action = urljoin(doc_url, verb.get("action", "") or doc_url)
        doc = self._fetch(action, {**self._caller_params(), **extra}, "caller")
        self._recording_callback(verb, doc_url, extra)
        if doc is None:
            self._end_call("completed")
        else:
            self._doc = doc
            self._run_caller()
        return self.events[mark:]

    def hangup_during_record(self, duration: int = 5) -> list[Event]:
        """The caller hangs up while recording: the message is posted with Digits=hangup."""
        mark = self._begin("record")
        assert self._record is not None
        verb, doc_url = self._record
        self._record = None
        self._emit("hangup", "caller hung up while recording", party="caller")
        self._elapsed += max(duration, 0)
        self._call_status = "completed"
        if duration > 0:
            extra = {**self._recording_params(duration), "Digits": "hangup"}
            action = urljoin(doc_url, verb.get("action", "") or doc_url)
            # The caller is gone: Twilio requests the action but executes nothing it answers.
            self._post(action, {**self._caller_params(), **extra})
            self._recording_callback(verb, doc_url, extra)
        self._end_call("completed")
        return self.events[mark:]

    def hangup(self, after_seconds: int = 0) -> list[Event]:
        """The caller hangs up, whatever the line was doing (``after_seconds`` of it: a conversation's length)."""
        if self.state == "record":
            return self.hangup_during_record()
        mark = self._begin("gather", "dial_leg", "leg_gather", "bridged")
        self._elapsed += max(after_seconds, 0)
        self._emit("hangup", "caller hung up")
        self._call_status = "completed"
        if self._dial is not None:
            self._abort_dial(post_action=self.dial_action_after_hangup)
        self._end_call("completed")
        return self.events[mark:]

    # ------------------------------------------------------------ inputs of a dialed volunteer

    def leg_answer(self, number: str | None = None, answered_by: str = "human") -> list[Event]:
        """The dialed party picks up (``answered_by``: human, machine_start, fax… for machine detection);
        a <Number url> document then runs on their leg."""
        self._check("dial_leg")
        leg = self._ringing_leg(number)
        mark = self._begin("dial_leg")
        assert self._dial is not None
        for other in self._dial.legs:
            if other is not leg and other.status == "ringing":
                # Twilio hangs up the other simultaneous legs once one answers.
                self._leg_final(other, "canceled")
        leg.status = "answered"
        leg.answered_at = self._elapsed
        if leg.machine_detection:
            leg.answered_by = answered_by
        self._emit("leg_answered", leg.number, party="volunteer", leg_sid=leg.sid)
        self._leg_callback(leg, "answered", "in-progress")
        if leg.url is None:
            self._bridge(leg)
            return self.events[mark:]
        params = self._leg_params(leg, "in-progress")
        if leg.answered_by is not None and self.answered_by_in == "url":
            params["AnsweredBy"] = leg.answered_by
        doc = self._fetch(leg.url, params, "volunteer", leg)
        if doc is None:
            self._leg_final(leg, "completed")
            self._finish_dial(leg, "completed", bridged=False)
        else:
            self._leg_doc = doc
            self._run_leg(leg)
        return self.events[mark:]

    def leg_press(self, digits: str) -> list[Event]:
        """The volunteer presses keys in the screening menu."""
        self._check("leg_gather")
        assert self._leg_gather is not None
        verb, doc_url = self._leg_gather
        leg = self._answered_leg()
        keys, finished_on = self._gathered_keys(verb, digits)
        mark = self._begin("leg_gather")
        self._emit("input", keys or digits, {"how": "press"}, party="volunteer", leg_sid=leg.sid)
        self._answer_gather(verb, doc_url, {"Digits": keys, "FinishedOnKey": finished_on}, "volunteer")
        return self.events[mark:]

    def leg_silence(self) -> list[Event]:
        """The volunteer presses nothing until the screening <Gather> times out."""
        mark = self._begin("leg_gather")
        assert self._leg_gather is not None
        verb, doc_url = self._leg_gather
        leg = self._answered_leg()
        self._emit("input", "", {"how": "silence"}, party="volunteer", leg_sid=leg.sid)
        self._elapsed += _int_attr(verb, "timeout", 5)
        self._answer_gather(verb, doc_url, None, "volunteer")
        return self.events[mark:]

    def leg_no_answer(self) -> list[Event]:
        """Nobody picks up before the <Dial> timeout: every ringing leg ends as no-answer."""
        mark = self._begin("dial_leg")
        assert self._dial is not None
        self._elapsed += self._dial.timeout
        last = None
        for leg in self._dial.legs:
            if leg.status == "ringing":
                self._leg_final(leg, "no-answer")
                last = leg
        assert last is not None
        self._finish_dial(last, "no-answer", bridged=False)
        return self.events[mark:]

    def leg_busy(self, number: str | None = None) -> list[Event]:
        """The dialed phone is busy."""
        return self._leg_unreached(number, "busy")

    def leg_fail(self, number: str | None = None) -> list[Event]:
        """The dialed number cannot be reached (invalid, network failure)."""
        return self._leg_unreached(number, "failed")

    def end_bridge(self, duration: int = 60) -> list[Event]:
        """The bridged conversation ends after ``duration`` seconds (either side hangs up)."""
        mark = self._begin("bridged")
        leg = self._answered_leg()
        self._elapsed += max(duration, 0)
        self._emit("bridge_ended", leg.number, {"duration": str(duration)}, "volunteer", leg.sid)
        self._leg_final(leg, "completed")
        self._finish_dial(leg, "completed", bridged=True)
        return self.events[mark:]

    # ------------------------------------------------------------------------ reading

    def transcript(self) -> list[str]:
        """Human-readable lines of the whole call so far, for a terminal."""
        return [line for line in map(describe, self.events) if line]

    def now(self) -> datetime:
        """The simulated instant: the injected clock plus the seconds the call has lasted."""
        return self._clock() + timedelta(seconds=self._elapsed)

    @property
    def duration(self) -> int:
        """Seconds since the call was answered (0 when it never was)."""
        return int(self._elapsed) if self._answered else 0

    # -------------------------------------------------------------------- the machinery

    def _check(self, *expected: str) -> None:
        if self.state not in expected:
            raise InvalidInput(f"the call is {self.state!r}, not waiting for {' or '.join(expected)}")

    def _begin(self, *expected: str) -> int:
        """Check the call waits for this input, then run: returns where this step's events start."""
        self._check(*expected)
        self.state = "running"
        self.waiting_for = None
        self._verbs_since_input = 0
        return len(self.events)

    def _emit(
        self,
        kind: str,
        text: str = "",
        attrs: Mapping[str, str] | None = None,
        party: str = "caller",
        leg_sid: str | None = None,
    ) -> Event:
        event = Event(kind, text, dict(attrs or {}), party, leg_sid)
        self.events.append(event)
        return event

    def _wait(self, state: str, event: Event) -> None:
        self.state = state
        self.waiting_for = event

    def _caller_params(self) -> dict[str, str]:
        return {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "CallSid": self.call_sid,
            "CallStatus": self._call_status,
            "Called": self.to,
            "CalledCountry": _country(self.to),
            "Caller": self.from_,
            "CallerCountry": _country(self.from_),
            "Direction": "inbound",
            "From": self.from_,
            "FromCountry": _country(self.from_),
            "To": self.to,
            "ToCountry": _country(self.to),
        }

    def _leg_params(self, leg: _Leg, status: str) -> dict[str, str]:
        assert self._dial is not None
        caller_id = self._dial.caller_id
        return {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "CallSid": leg.sid,
            "CallStatus": status,
            "Called": leg.number,
            "Caller": caller_id,
            "Direction": "outbound-dial",
            "From": caller_id,
            "FromCountry": _country(caller_id),
            "ParentCallSid": self.call_sid,
            "To": leg.number,
            "ToCountry": _country(leg.number),
        }

    def _post(self, url: str, params: dict[str, str]) -> tuple[int | None, str]:
        try:
            status, body = self.transport.post(url, params)
        except TransportError:
            status, body = None, ""
        self.exchanges.append(Exchange(url, dict(params), status, body))
        return status, body

    def _fetch(self, url: str, params: dict[str, str], party: str, leg: _Leg | None = None) -> _Doc | None:
        """Post and parse a TwiML document; on failure, emit the error and try the fallback URL."""
        answer = self._document(url, *self._post(url, params))
        if isinstance(answer, _Doc):
            return answer
        code, message = answer
        leg_sid = leg.sid if leg else None
        self._emit("error", message, {"code": code, "url": url}, party, leg_sid)
        if party == "caller" and self.fallback_url and url != self.fallback_url:
            fallback = {**params, "ErrorCode": code, "ErrorUrl": url}
            answer = self._document(self.fallback_url, *self._post(self.fallback_url, fallback))
            if isinstance(answer, _Doc):
                return answer
            self._emit("error", "fallback failed too", {"code": code, "url": self.fallback_url}, party)
        return None

    @staticmethod
    def _document(url: str, status: int | None, body: str) -> _Doc | tuple[str, str]:
        """The TwiML document answered, or Twilio's error code and a message for what went wrong."""
        if status is None:
            return HTTP_RETRIEVAL_FAILURE, "application error: the app could not be reached"
        if not 200 <= status < 300:
            return HTTP_RETRIEVAL_FAILURE, f"application error: HTTP {status}"
        try:
            root = ET.fromstring(body.encode("utf-8"))  # noqa: S314 - the app under test
        except ET.ParseError:
            return DOCUMENT_PARSE_FAILURE, "application error: the answer is not XML"
        if root.tag != "Response":
            return DOCUMENT_PARSE_FAILURE, f"application error: <{root.tag}> is not a TwiML <Response>"
        return _Doc(url, list(root))

    def _guard(self, party: str) -> bool:
        """Count verbs run without input; past the limit the TwiML is looping: end the call."""
        self._verbs_since_input += 1
        if self._verbs_since_input <= MAX_VERBS_WITHOUT_INPUT:
            return True
        message = f"more than {MAX_VERBS_WITHOUT_INPUT} verbs without input: the TwiML loops"
        self._emit("error", message, {"code": LOOP_GUARD}, party)
        self._end_call("completed")
        return False

    def _run_caller(self) -> None:
        """Run the caller's document until a verb waits or the call ends."""
        while self.state == "running":
            assert self._doc is not None
            if not self._guard("caller"):
                return
            verb = self._doc.next_verb()
            if verb is None:
                # Twilio hangs up once the document has no verb left.
                self._emit("hangup", "end of TwiML", party="caller")
                self._end_call("completed")
                return
            if verb.tag == "Reject":
                first = not self._answered
                self._emit("reject", attrs=dict(verb.attrib))
                busy = verb.get("reason", "rejected") == "busy"
                self._end_call(("busy" if busy else "no-answer") if first else "completed")
                return
            self._answered = True
            self._run_caller_verb(verb, self._doc.url)

    def _run_caller_verb(self, verb: ET.Element, doc_url: str) -> None:
        tag = verb.tag
        if self._simple_verb(verb, "caller", None):
            return
        if tag == "Gather":
            self._gather = (verb, doc_url)
            self._wait("gather", self._gather_event(verb, doc_url, "caller", None))
        elif tag == "Record":
            self._record = (verb, doc_url)
            self._wait("record", self._emit("record", attrs=dict(verb.attrib)))
        elif tag == "Dial":
            self._start_dial(verb, doc_url)
        elif tag == "Hangup":
            self._emit("hangup", "the line hangs up", party="caller")
            self._end_call("completed")
        elif tag == "Redirect":
            url = urljoin(doc_url, _text(verb))
            self._emit("redirect", url)
            doc = self._fetch(url, self._caller_params(), "caller")
            if doc is None:
                self._end_call("completed")
            else:
                self._doc = doc
        elif tag in ("Sms", "Message"):
            self._emit("message", _text(verb), dict(verb.attrib))
        else:
            self._emit("unsupported", tag, dict(verb.attrib))

    def _simple_verb(self, verb: ET.Element, party: str, leg_sid: str | None) -> bool:
        """Say, Play and Pause: the same on both sides of a call; False for any other verb."""
        if verb.tag == "Say":
            self._emit("say", _text(verb), dict(verb.attrib), party, leg_sid)
        elif verb.tag == "Play":
            self._emit("play", _text(verb), dict(verb.attrib), party, leg_sid)
        elif verb.tag == "Pause":
            length = _int_attr(verb, "length", 1)
            self._elapsed += length
            self._emit("pause", str(length), dict(verb.attrib), party, leg_sid)
        else:
            return False
        return True

    def _gather_event(self, verb: ET.Element, doc_url: str, party: str, leg_sid: str | None) -> Event:
        prompt = []
        for child in verb:
            self._simple_verb(child, party, leg_sid)
            if child.tag == "Say":
                prompt.append(_text(child))
        attrs = {
            "input": verb.get("input", "dtmf"),
            "timeout": verb.get("timeout", "5"),
            "finishOnKey": verb.get("finishOnKey", "#"),
            **dict(verb.attrib),
            "action": urljoin(doc_url, verb.get("action", "") or doc_url),  # absolute, for a UI
        }
        kind = "gather" if party == "caller" else "leg_gather"
        return self._emit(kind, " ".join(prompt), attrs, party, leg_sid)

    @staticmethod
    def _gathered_keys(verb: ET.Element, digits: str) -> tuple[str, str]:
        """What a <Gather> submits for the pressed keys: cut at finishOnKey, at most numDigits."""
        if not digits or not set(digits) <= _KEYS or "dtmf" not in verb.get("input", "dtmf").split():
            raise InvalidInput("keys must be 0-9, * or #, on a <Gather> that listens to keys")
        finish = verb.get("finishOnKey", "#")
        keys, finished_on = digits, ""
        if finish and finish in digits:
            keys, finished_on = digits[: digits.index(finish)], finish
        num_digits = _int_attr(verb, "numDigits", 0)
        if num_digits > 0:
            keys = keys[:num_digits]
        return keys, finished_on

    def _answer_gather(self, verb: ET.Element, doc_url: str, extra: dict[str, str] | None, party: str) -> None:
        """Post the gathered input to the action, or fall through when nothing came in."""
        empty = extra is None or not (extra.get("Digits") or extra.get("SpeechResult"))
        leg = self._answered_leg() if party == "volunteer" else None
        if party == "caller":
            self._gather = None
        else:
            self._leg_gather = None
        if empty and verb.get("actionOnEmptyResult", "false") != "true":
            self._resume(party, leg)
            return
        params = self._caller_params() if leg is None else self._leg_params(leg, "in-progress")
        if not empty and extra is not None:
            params.update({key: value for key, value in extra.items() if value or key == "Digits"})
        action = urljoin(doc_url, verb.get("action", "") or doc_url)
        doc = self._fetch(action, params, party, leg)
        if leg is None:
            if doc is None:
                self._end_call("completed")
                return
            self._doc = doc
        elif doc is None:
            self._leg_final(leg, "completed")
            self._finish_dial(leg, "completed", bridged=False)
            return
        else:
            self._leg_doc = doc
        self._resume(party, leg)

    def _resume(self, party: str, leg: _Leg | None) -> None:
        if leg is None:
            self._run_caller()
        else:
            self._run_leg(leg)

    def _recording_params(self, duration: int) -> dict[str, str]:
        sid = self._new_sid("RE")
        return {
            "RecordingSid": sid,
            "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/{self.account_sid}/Recordings/{sid}",
            "RecordingDuration": str(duration),
        }

    def _recording_callback(self, verb: ET.Element, doc_url: str, recording: dict[str, str]) -> None:
        """Post recordingStatusCallback, which Twilio sends once the file is ready (after the action)."""
        callback = verb.get("recordingStatusCallback")
        if not callback:
            return
        params = {
            "AccountSid": self.account_sid,
            "CallSid": self.call_sid,
            "RecordingSid": recording["RecordingSid"],
            "RecordingUrl": recording["RecordingUrl"],
            "RecordingDuration": recording["RecordingDuration"],
            "RecordingStatus": "completed",
            "RecordingChannels": "1",
            "RecordingSource": "RecordVerb",
        }
        self._callback(urljoin(doc_url, callback), params, "caller")

    def _callback(self, url: str, params: dict[str, str], party: str) -> None:
        status, _ = self._post(url, params)
        if status is None or not 200 <= status < 300:
            self._emit("callback_error", f"HTTP {status}", {"code": CALLBACK_FAILURE, "url": url}, party)

    # ------------------------------------------------------------------------ dialing

    def _start_dial(self, verb: ET.Element, doc_url: str) -> None:
        legs: list[_Leg] = []
        for noun in verb:
            if noun.tag == "Number":
                url, callback = noun.get("url"), noun.get("statusCallback")
                events = noun.get("statusCallbackEvent", "completed").replace(",", " ").split()
                legs.append(
                    _Leg(
                        number=_text(noun),
                        sid=self._new_sid("CA"),
                        url=urljoin(doc_url, url) if url else None,
                        status_callback=urljoin(doc_url, callback) if callback else None,
                        callback_events=frozenset(events),
                        machine_detection=noun.get("machineDetection") in ("Enable", "DetectMessageEnd"),
                    )
                )
            else:
                self._emit("unsupported", f"Dial/{noun.tag}", dict(noun.attrib))
        if not legs and _text(verb):
            legs.append(_Leg(_text(verb), self._new_sid("CA"), None, None, frozenset()))
        event = self._emit("dial", ", ".join(leg.number for leg in legs), dict(verb.attrib))
        if not legs:
            return  # nothing to ring: the document goes on with its next verb
        action = verb.get("action")
        self._dial = _Dial(
            action=urljoin(doc_url, action) if action else None,
            timeout=_int_attr(verb, "timeout", 30),
            caller_id=verb.get("callerId", self.from_),
            legs=legs,
        )
        for leg in legs:
            self._leg_callback(leg, "initiated", "initiated")
            self._leg_callback(leg, "ringing", "ringing")
            self._emit("leg_ringing", leg.number, party="volunteer", leg_sid=leg.sid)
        self._wait("dial_leg", event)

    def _ringing_leg(self, number: str | None) -> _Leg:
        assert self._dial is not None
        for leg in self._dial.legs:
            if leg.status == "ringing" and number in (None, leg.number):
                return leg
        raise InvalidInput("no such ringing phone")

    def _answered_leg(self) -> _Leg:
        assert self._dial is not None
        return next(leg for leg in self._dial.legs if leg.status in ("answered", "bridged"))

    def _leg_unreached(self, number: str | None, status: str) -> list[Event]:
        self._check("dial_leg")
        leg = self._ringing_leg(number)
        mark = self._begin("dial_leg")
        assert self._dial is not None
        self._leg_final(leg, status)
        if any(other.status == "ringing" for other in self._dial.legs):
            self.state = "dial_leg"  # the other simultaneous legs still ring
        else:
            self._finish_dial(leg, status, bridged=False)
        return self.events[mark:]

    def _run_leg(self, leg: _Leg) -> None:
        """Run the screening document on the volunteer's leg until it waits, hangs up or ends.

        A ``<Number url>`` document may only say, play, pause, gather and hang up: any other verb is a
        TwiML error that hangs up the leg unbridged (the caller's call goes on with the <Dial> action).
        """
        while self.state == "running":
            assert self._leg_doc is not None
            if not self._guard("volunteer"):
                return
            verb = self._leg_doc.next_verb()
            if verb is None:
                self._bridge(leg)
                return
            if verb.tag not in SCREENING_VERBS or (
                verb.tag == "Gather" and any(child.tag not in SCREENING_GATHER_CHILDREN for child in verb)
            ):
                message = f"<{verb.tag}> is not allowed in a <Number url> document"
                self._emit("error", message, {"code": SCREENING_VERB_ERROR, "url": self._leg_doc.url}, "volunteer",
                           leg.sid)  # fmt: skip
                self._leg_final(leg, "completed")
                self._finish_dial(leg, "completed", bridged=False)
            elif self._simple_verb(verb, "volunteer", leg.sid):
                continue
            elif verb.tag == "Gather":
                self._leg_gather = (verb, self._leg_doc.url)
                self._wait("leg_gather", self._gather_event(verb, self._leg_doc.url, "volunteer", leg.sid))
            else:  # <Hangup>
                self._emit("hangup", "the screening hangs up", party="volunteer", leg_sid=leg.sid)
                self._leg_final(leg, "completed")
                self._finish_dial(leg, "completed", bridged=False)

    def _bridge(self, leg: _Leg) -> None:
        leg.status = "bridged"
        self._leg_doc = None
        self._wait("bridged", self._emit("bridged", leg.number, party="volunteer", leg_sid=leg.sid))

    def _leg_callback(self, leg: _Leg, event: str, status: str) -> None:
        """Post a <Number statusCallback> event when the TwiML asked for it."""
        if leg.status_callback is None or event not in leg.callback_events:
            return
        params = {
            **self._leg_params(leg, status),
            "CallbackSource": "call-progress-events",
            "SequenceNumber": str(leg.sequence),
            "Timestamp": format_datetime(self.now()),
        }
        leg.sequence += 1
        if leg.answered_by is not None and self.answered_by_in == "status":
            params["AnsweredBy"] = leg.answered_by
        if event == "completed":
            params["CallDuration"] = str(self._leg_duration(leg))
        self._callback(leg.status_callback, params, "volunteer")

    def _leg_duration(self, leg: _Leg) -> int:
        return 0 if leg.answered_at is None else int(self._elapsed - leg.answered_at)

    def _leg_final(self, leg: _Leg, status: str) -> None:
        assert status in _LEG_FINAL
        leg.status = status
        self._emit("leg_ended", leg.number, {"status": status}, "volunteer", leg.sid)
        self._leg_callback(leg, "completed", status)

    def _dial_params(self, leg: _Leg, status: str, bridged: bool) -> dict[str, str]:
        return {
            **self._caller_params(),
            "DialCallStatus": status,
            "DialCallSid": leg.sid,
            "DialCallDuration": str(self._leg_duration(leg)),
            "DialBridged": "true" if bridged else "false",
        }

    def _finish_dial(self, leg: _Leg, status: str, bridged: bool) -> None:
        """The dialed leg is over: post <Dial action> and go on with its answer, or the next verb."""
        assert self._dial is not None
        action = self._dial.action
        params = self._dial_params(leg, status, bridged)
        self._dial, self._leg_doc, self._leg_gather = None, None, None
        self.state = "running"
        if action is not None:
            doc = self._fetch(action, params, "caller")
            if doc is None:
                self._end_call("completed")
                return
            self._doc = doc
        self._run_caller()

    def _abort_dial(self, post_action: bool) -> None:
        """The caller is gone mid-<Dial>: end every leg, and tell the action (its answer is ignored)."""
        dial = self._dial
        assert dial is not None
        answered = [leg for leg in dial.legs if leg.answered_at is not None]
        for leg in dial.legs:
            if leg.status == "ringing":
                self._leg_final(leg, "canceled")
            elif leg.status in ("answered", "bridged"):
                self._leg_final(leg, "completed")
        if post_action and dial.action is not None:
            leg = answered[0] if answered else dial.legs[-1]
            bridged = bool(answered) and self._was_bridged(leg)
            status = "completed" if answered else "canceled"
            self._post(dial.action, self._dial_params(leg, status, bridged))
        self._dial, self._leg_doc, self._leg_gather = None, None, None

    def _was_bridged(self, leg: _Leg) -> bool:
        return any(e.kind == "bridged" and e.leg_sid == leg.sid for e in self.events)

    def _end_call(self, status: str) -> None:
        """End the call and post the number's status callback with the final status and duration."""
        if self._dial is not None:
            self._abort_dial(post_action=False)
        self._gather = self._record = None
        self._call_status = status
        self.state = "ended"
        self.waiting_for = None
        self._emit("ended", status, {"duration": str(self.duration)})
        if self.status_callback_url:
            params = {
                **self._caller_params(),
                "CallDuration": str(self.duration),
                "CallbackSource": "call-progress-events",
                "SequenceNumber": str(self._sequence),
                "Timestamp": format_datetime(self.now()),
            }
            self._sequence += 1
            self._callback(self.status_callback_url, params, "caller")


def describe(event: Event) -> str | None:
    """One transcript line for an event, or None for events a listener would not notice."""
    volunteer = event.party == "volunteer"
    kind, text, attrs = event.kind, event.text, event.attrs
    if kind == "say":
        return f"LINE TO VOLUNTEER: {text}" if volunteer else f"LINE: {text}"
    if kind == "play":
        return f"LINE PLAYS {text}"
    if kind == "pause":
        return f"(silence {text} s)"
    if kind in ("gather", "leg_gather"):
        who = "VOLUNTEER'S KEYS" if volunteer else "YOUR KEYS"
        count = attrs.get("numDigits")
        size = f"{count} key{'' if count == '1' else 's'}, " if count else ""
        return f"LINE WAITS FOR {who} ({size}{attrs.get('input')}, {attrs.get('timeout')} s)"
    if kind == "record":
        return "LINE RECORDS YOUR MESSAGE"
    if kind == "input":
        how, subject = attrs.get("how"), "VOLUNTEER" if volunteer else "YOU"
        if how == "press":
            return f"{subject} {'PRESSES' if volunteer else 'PRESS'} {text}"
        if how == "speak":
            return f'{subject} SAY "{text}"'
        if how == "record":
            return f"YOU LEAVE A {text} s MESSAGE"
        return f"{subject} {'SAYS' if volunteer else 'SAY'} NOTHING"
    if kind == "dial":
        return f"LINE DIALS {text}"
    if kind == "leg_ringing":
        return f"VOLUNTEER {text} RINGS"
    if kind == "leg_answered":
        return f"VOLUNTEER {text} ANSWERS"
    if kind == "leg_ended":
        return f"VOLUNTEER {text} LEG ENDS ({attrs.get('status')})"
    if kind == "bridged":
        return f"YOU ARE CONNECTED TO VOLUNTEER {text}"
    if kind == "bridge_ended":
        return f"CONVERSATION ENDS AFTER {attrs.get('duration')} s"
    if kind == "hangup":
        return f"{'VOLUNTEER LEG' if volunteer else 'CALL'} HANGS UP ({text})"
    if kind == "redirect":
        return f"(redirect to {text})"
    if kind == "message":
        return f"LINE SENDS A MESSAGE: {text}"
    if kind == "reject":
        return "LINE REJECTS THE CALL"
    if kind in ("error", "callback_error"):
        return f"APPLICATION ERROR {attrs.get('code')}: {text}"
    if kind == "unsupported":
        return f"(unsupported TwiML <{text}> ignored)"
    if kind == "ended":
        return f"CALL ENDED ({text}, {attrs.get('duration')} s)"
    return None
