"""The dialing layer of the simulated call: <Dial> legs, their screening documents and the volunteer's inputs."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # not defusedxml (unavailable): parses only the app's answers
from email.utils import format_datetime
from urllib.parse import urljoin

from orientation.simulator.base import CallMachine
from orientation.simulator.events import Event, InvalidInput
from orientation.simulator.parts import (
    _LEG_FINAL,
    SCREENING_GATHER_CHILDREN,
    SCREENING_VERB_ERROR,
    SCREENING_VERBS,
    _Dial,
    _int_attr,
    _Leg,
    _text,
)


class DialingCall(CallMachine):
    """A call that can ring volunteers: <Dial>, its legs and what the dialed party does."""

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
            elif noun.tag == "Queue":
                self._dial_queue(verb, noun, doc_url)
                return
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

    def _dial_queue(self, verb: ET.Element, noun: ET.Element, doc_url: str) -> None:
        """Dequeue the first caller of a queue (see QueueingCall)."""
        raise NotImplementedError

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
