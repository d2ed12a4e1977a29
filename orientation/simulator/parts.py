"""The parts of a simulated call: Twilio's constants, a TwiML document, a dialed leg, and small readers."""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET  # not defusedxml (unavailable): parses only the app's answers
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import phonenumbers

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
    # A <Dial><Queue> leg: the simulated call it dequeued (a QueueingCall), told when the bridge ends.
    peer: Any = None


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
