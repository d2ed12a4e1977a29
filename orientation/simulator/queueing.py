"""The queue layer of the simulated call: <Enqueue> with its waitUrl, <Leave>, and <Dial><Queue> dequeuing.

Twilio's behaviour, from its pages (docs/twilio-contract.md, "Waiting line"):
- ``<Enqueue>`` puts the call in the named queue (one ``Switchboard`` per simulated account, shared by the
  calls of a test) and plays the waitUrl document, posted with ``QueuePosition``, ``QueueSid``,
  ``QueueTime``, ``AvgQueueTime``, ``CurrentQueueSize`` and ``MaxQueueSize``. Played to its end, the
  waitUrl is requested again. Only Play, Say, Pause, Gather, Redirect, Leave and Hangup may run there; any
  other verb is an application error that takes the call out of the queue (``QueueResult=error``).
- ``<Leave>`` takes the call out of its queue: the Enqueue ``action`` is requested right away with
  ``QueueResult=leave`` (without an action, the verbs after the ``<Enqueue>`` go on).
- ``<Dial><Queue url>`` on another call connects it with the first caller of that queue: the ``url``
  document (Play, Say, Pause, Redirect only) is played to the dequeued caller first, with ``QueueSid``,
  ``QueueTime`` and ``DequeingCallSid``. When the bridge ends, the dialing call's ``<Dial action>`` reports
  ``DialBridged=true`` and the caller's Enqueue ``action`` is requested with ``QueueResult=bridged``. An
  empty queue lets the ``<Dial>`` wait its timeout, then its action hears ``no-answer``.
- The caller hanging up while queued: by default the Enqueue action is requested with
  ``QueueResult=hangup`` and its answer ignored; ``enqueue_action_after_hangup=False`` plays the other
  reading (no request), so the app is tested against both.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # not defusedxml (unavailable): parses only the app's answers
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from orientation.simulator.dialing import DialingCall
from orientation.simulator.parts import SCREENING_VERB_ERROR, _Dial, _Doc, _int_attr, _Leg, _text

WAIT_VERBS = frozenset({"Say", "Play", "Pause", "Gather", "Redirect", "Leave", "Hangup"})
WAIT_GATHER_CHILDREN = frozenset({"Say", "Play", "Pause"})
QUEUE_URL_VERBS = frozenset({"Say", "Play", "Pause", "Redirect"})
MAX_QUEUE_SIZE = 100


@dataclass
class Switchboard:
    """Twilio's queues of one account, shared by the simulated calls: name → the calls waiting, in order."""

    queues: dict[str, list[Any]] = field(default_factory=dict)
    sids: dict[str, str] = field(default_factory=dict)

    def join(self, name: str, call: Any, new_sid: Any) -> str:
        """Add a call at the back of a queue (created on demand); the queue's sid."""
        self.queues.setdefault(name, []).append(call)
        return self.sids.setdefault(name, new_sid("QU"))

    def remove(self, name: str, call: Any) -> None:
        """Take a call out of its queue."""
        members = self.queues.get(name, [])
        if call in members:
            members.remove(call)

    def front(self, name: str) -> Any:
        """The call at the front of a queue, or None."""
        members = self.queues.get(name) or []
        return members[0] if members else None

    def members(self, name: str) -> list[Any]:
        """The calls waiting in a queue, front first."""
        return list(self.queues.get(name) or [])


@dataclass
class _Queued:
    name: str
    sid: str
    action: str | None
    wait_url: str | None
    joined_at: float
    after: _Doc | None


class QueueingCall(DialingCall):
    """A call that can wait in a Twilio queue, and dequeue a caller from one."""

    def __init__(
        self, *args: Any, switchboard: Switchboard | None = None, enqueue_action_after_hangup: bool = True, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.switchboard = switchboard if switchboard is not None else Switchboard()
        self.enqueue_action_after_hangup = enqueue_action_after_hangup
        self._queue: _Queued | None = None
        # While bridged through a queue: the other call, and (caller side) the queue they were dequeued from.
        self._bridge_peer: QueueingCall | None = None
        self._dequeued_from: _Queued | None = None
        self._hanging_up = False

    @property
    def queued_in(self) -> str | None:
        """The queue the call waits in, if any."""
        return self._queue.name if self._queue is not None else None

    # ------------------------------------------------------------------------ the caller's side

    def _start_enqueue(self, verb: ET.Element, doc_url: str) -> None:
        name = _text(verb)
        action, wait_url = verb.get("action"), verb.get("waitUrl")
        sid = self.switchboard.join(name, self, self._new_sid)
        self._queue = _Queued(
            name=name,
            sid=sid,
            action=urljoin(doc_url, action) if action else None,
            wait_url=urljoin(doc_url, wait_url) if wait_url else None,
            joined_at=self._elapsed,
            after=self._doc,
        )
        event = self._emit("enqueued", name, dict(verb.attrib))
        if self._queue.wait_url is None:
            self._wait("queued", event)  # Twilio's hold music, until dequeued
            return
        self._next_wait_turn()

    def _queue_params(self, queued: _Queued) -> dict[str, str]:
        members = self.switchboard.members(queued.name)
        waits = [self._elapsed - m._queue.joined_at for m in members if m._queue is not None]
        return {
            "QueueSid": queued.sid,
            "QueueTime": str(int(self._elapsed - queued.joined_at)),
            "QueuePosition": str(members.index(self) + 1 if self in members else 0),
            "CurrentQueueSize": str(len(members)),
            "AvgQueueTime": str(int(sum(waits) / len(waits)) if waits else 0),
            "MaxQueueSize": str(MAX_QUEUE_SIZE),
        }

    def _next_wait_turn(self) -> None:
        queued = self._queue
        assert queued is not None and queued.wait_url is not None
        self._gather = None
        doc = self._fetch(queued.wait_url, {**self._caller_params(), **self._queue_params(queued)}, "caller")
        if doc is None:
            self._leave_queue("error")
        else:
            self._doc = doc

    def _allowed_while_queued(self, verb: ET.Element) -> bool:
        if verb.tag in WAIT_VERBS and (
            verb.tag != "Gather" or all(child.tag in WAIT_GATHER_CHILDREN for child in verb)
        ):
            return True
        assert self._doc is not None
        message = f"<{verb.tag}> is not allowed in a waitUrl document"
        self._emit("error", message, {"code": SCREENING_VERB_ERROR, "url": self._doc.url})
        self._leave_queue("error")
        return False

    def _leave_queue(self, result: str) -> None:
        queued = self._queue
        assert queued is not None
        self.switchboard.remove(queued.name, self)
        self._queue = None
        self._gather = None
        self._emit("left_queue", queued.name, {"result": result})
        self.state = "running"
        if queued.action is None:
            if queued.after is None:
                self._end_call("completed")
            else:
                self._doc = queued.after
            return
        params = {**self._caller_params(), **self._action_params(queued, result)}
        doc = self._fetch(queued.action, params, "caller")
        if doc is None:
            self._end_call("completed")
        else:
            self._doc = doc

    def _action_params(self, queued: _Queued, result: str) -> dict[str, str]:
        return {
            "QueueResult": result,
            "QueueSid": queued.sid,
            "QueueTime": str(int(self._elapsed - queued.joined_at)),
        }

    def _hang_up_queued(self) -> None:
        """The caller hangs up while waiting in a queue (called by VoiceCall.hangup)."""
        queued = self._queue
        assert queued is not None
        self.switchboard.remove(queued.name, self)
        self._queue = None
        self._gather = None
        if self.enqueue_action_after_hangup and queued.action is not None:
            # The caller is gone: Twilio requests the action, nothing it answers runs.
            self._post(queued.action, {**self._caller_params(), **self._action_params(queued, "hangup")})

    def _dequeued(self, by: QueueingCall, url: str | None) -> None:
        """A <Dial><Queue> took this caller: play the <Queue url> document, then the two talk."""
        queued = self._queue
        assert queued is not None
        self.switchboard.remove(queued.name, self)
        self._queue = None
        self._gather = None
        self._dequeued_from = queued
        self._bridge_peer = by
        self.state = "running"
        self._emit("dequeued", by.to)
        if url is not None:
            params = {
                **self._caller_params(),
                "QueueSid": queued.sid,
                "QueueTime": str(int(self._elapsed - queued.joined_at)),
                "DequeingCallSid": by.call_sid,
            }
            doc = self._fetch(url, params, "caller")
            for verb in doc.verbs if doc is not None else []:
                if verb.tag not in QUEUE_URL_VERBS:
                    message = f"<{verb.tag}> is not allowed in a <Queue url> document"
                    self._emit("error", message, {"code": SCREENING_VERB_ERROR, "url": url})
                    break
                self._simple_verb(verb, "caller", None)
        self._wait("queue_bridged", self._emit("bridged", by.to, party="volunteer"))

    def _queue_bridge_over(self, duration: int, caller_gone: bool) -> None:
        """The conversation with the dequeuing call is over: the Enqueue action hears "bridged"."""
        queued = self._dequeued_from
        assert queued is not None
        self._dequeued_from = None
        self._bridge_peer = None
        if caller_gone:
            if queued.action is not None:
                self._post(queued.action, {**self._caller_params(), **self._action_params(queued, "bridged")})
            return
        self._elapsed += max(duration, 0)
        self.state = "running"
        if queued.action is None:
            self._doc = queued.after
            if self._doc is None:
                self._end_call("completed")
                return
        else:
            params = {**self._caller_params(), **self._action_params(queued, "bridged")}
            doc = self._fetch(queued.action, params, "caller")
            if doc is None:
                self._end_call("completed")
                return
            self._doc = doc
        self._run_caller()

    def _hang_up_bridged(self, after_seconds: int) -> None:
        """The dequeued caller hangs up mid-conversation: the dequeuing call's bridge ends too."""
        peer = self._bridge_peer
        assert peer is not None
        peer._peer_left(after_seconds)

    # ------------------------------------------------------------------------ the dequeuing side

    def _dial_queue(self, verb: ET.Element, noun: ET.Element, doc_url: str) -> None:
        name = _text(noun)
        action = verb.get("action")
        caller = self.switchboard.front(name)
        number = caller.from_ if caller is not None else name
        sid = caller.call_sid if caller is not None else self._new_sid("CA")
        leg = _Leg(number, sid, None, None, frozenset(), peer=caller)
        self._dial = _Dial(
            action=urljoin(doc_url, action) if action else None,
            timeout=_int_attr(verb, "timeout", 30),
            caller_id=verb.get("callerId", self.from_),
            legs=[leg],
        )
        self._emit("dial", f"queue {name}", dict(verb.attrib))
        if caller is None:
            # Nobody in the queue: <Dial> waits its timeout for someone to join, then gives up.
            self._elapsed += self._dial.timeout
            self._leg_final(leg, "no-answer")
            self._finish_dial(leg, "no-answer", bridged=False)
            return
        url = noun.get("url")
        caller._dequeued(self, urljoin(doc_url, url) if url else None)
        leg.status = "answered"
        leg.answered_at = self._elapsed
        self._bridge(leg)

    def _finish_dial(self, leg: _Leg, status: str, bridged: bool) -> None:
        peer = leg.peer
        if peer is not None and bridged and peer._dequeued_from is not None:
            leg.peer = None
            peer._queue_bridge_over(self._leg_duration(leg), caller_gone=peer._hanging_up)
        super()._finish_dial(leg, status, bridged)

    def _peer_left(self, after_seconds: int) -> None:
        """The dequeued caller hung up: this side's <Dial><Queue> ends as a finished conversation."""
        if self.state != "bridged":
            return
        self.end_bridge(after_seconds)
