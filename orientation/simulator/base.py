"""The core of the simulated call: posting webhooks, reading TwiML and running the caller's document.

The dialing layer (`dialing.py`) and the caller's inputs (`engine.py`) build on this class; the module
docstring of `engine.py` lists the Twilio behaviours the whole simulator follows.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # not defusedxml (unavailable): parses only the app's answers
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from email.utils import format_datetime
from typing import Any
from urllib.parse import urljoin

from orientation.simulator.events import Event, Exchange, InvalidInput, describe
from orientation.simulator.parts import (
    _DEFAULT_START,
    _KEYS,
    CALLBACK_FAILURE,
    DEFAULT_ACCOUNT_SID,
    DOCUMENT_PARSE_FAILURE,
    HTTP_RETRIEVAL_FAILURE,
    LOOP_GUARD,
    MAX_VERBS_WITHOUT_INPUT,
    _country,
    _Dial,
    _Doc,
    _int_attr,
    _Leg,
    _new_sid,
    _text,
)
from orientation.simulator.transport import SignedTransport, TransportError

__all__ = ["MAX_VERBS_WITHOUT_INPUT", "CallMachine"]


class CallMachine:
    """The state of one simulated call and the machinery every input runs through."""

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
        # The caller's place in a Twilio queue while an <Enqueue> holds them (see queueing.py).
        self._queue: Any = None

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
            if verb is None and self._queue is not None:
                # A waitUrl document played to its end: Twilio requests the waitUrl again.
                self._next_wait_turn()
                continue
            if verb is not None and self._queue is not None and not self._allowed_while_queued(verb):
                continue  # the call left its queue (or ended) over a verb a waitUrl may not hold
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
        elif tag == "Enqueue":
            self._start_enqueue(verb, doc_url)
        elif tag == "Leave" and self._queue is not None:
            self._leave_queue("leave")
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

    def _callback(self, url: str, params: dict[str, str], party: str) -> None:
        status, _ = self._post(url, params)
        if status is None or not 200 <= status < 300:
            self._emit("callback_error", f"HTTP {status}", {"code": CALLBACK_FAILURE, "url": url}, party)

    # ------------------------------------------------------------ hooks of the dialing layer

    def _start_dial(self, verb: ET.Element, doc_url: str) -> None:
        """Ring the numbers of a <Dial> (see DialingCall)."""
        raise NotImplementedError

    def _abort_dial(self, post_action: bool) -> None:
        """End every leg of the current <Dial> (see DialingCall)."""
        raise NotImplementedError

    # ------------------------------------------------------------ hooks of the queue layer

    def _start_enqueue(self, verb: ET.Element, doc_url: str) -> None:
        """Put the caller in a queue and play its waitUrl (see QueueingCall)."""
        raise NotImplementedError

    def _leave_queue(self, result: str) -> None:
        """Take the caller out of their queue and request the Enqueue action (see QueueingCall)."""
        raise NotImplementedError

    def _next_wait_turn(self) -> None:
        """Request the waitUrl again (see QueueingCall)."""
        raise NotImplementedError

    def _allowed_while_queued(self, verb: ET.Element) -> bool:
        """False (and the call handled) for a verb a waitUrl document may not hold (see QueueingCall)."""
        raise NotImplementedError

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
