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

import xml.etree.ElementTree as ET  # not defusedxml (unavailable): parses only the app's answers
from urllib.parse import urljoin

from orientation.simulator.events import Event, Exchange, InvalidInput, describe
from orientation.simulator.parts import MAX_VERBS_WITHOUT_INPUT, _int_attr
from orientation.simulator.queueing import QueueingCall, Switchboard

__all__ = ["MAX_VERBS_WITHOUT_INPUT", "Event", "Exchange", "InvalidInput", "Switchboard", "VoiceCall", "describe"]


class VoiceCall(QueueingCall):
    """One simulated inbound call, advanced by explicit inputs; every step returns its new events."""

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
        mark = self._begin("gather", "dial_leg", "leg_gather", "bridged", "queued", "queue_bridged")
        self._elapsed += max(after_seconds, 0)
        self._emit("hangup", "caller hung up")
        self._call_status = "completed"
        self._hanging_up = True
        if self._queue is not None:
            self._hang_up_queued()
        elif self._bridge_peer is not None:
            self._hang_up_bridged(after_seconds)
        if self._dial is not None:
            self._abort_dial(post_action=self.dial_action_after_hangup)
        self._end_call("completed")
        return self.events[mark:]

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
