"""What a simulated call reports: its events, the webhook exchanges, and a transcript line for each event."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


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
    if kind == "enqueued":
        return "YOU WAIT IN LINE"
    if kind == "left_queue":
        return f"YOU LEAVE THE LINE ({attrs.get('result')})"
    if kind == "dequeued":
        return f"VOLUNTEER {text} TAKES YOUR CALL FROM THE LINE"
    if kind == "ended":
        return f"CALL ENDED ({text}, {attrs.get('duration')} s)"
    return None
