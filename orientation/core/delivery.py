"""How a failed send is judged, when it is tried again, and what a delivery report changes: pure decisions.

Twilio answers a refused create with an error code; some codes say the message can never go (a bad or
unsubscribed recipient, a sender that cannot send there), others that Twilio was busy or unreachable. Sources
are cited in docs/twilio-contract.md, "SMS sender and delivery".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

Verdict = Literal["permanent", "transient", "uncertain"]

# Codes whose request Twilio refused for good: sending it again is refused again (or, for 21610, unlawful).
PERMANENT_CODES = frozenset(
    {
        13224,  # Dial: Twilio does not support calling this number
        21211,  # invalid 'To' phone number
        21214,  # 'To' phone number cannot be reached
        21216,  # call blocked by Twilio
        21217,  # phone number does not appear to be valid
        21408,  # permission to send to this region not enabled
        21601,  # 'From' is not an SMS-capable number of the account
        21602,  # message body required
        21603,  # a 'From' or 'MessagingServiceSid' parameter is required
        21604,  # 'To' required
        21606,  # 'From' is not a valid message-capable Twilio phone number for this destination
        21608,  # trial account: 'To' not verified
        21610,  # recipient replied STOP
        21612,  # this To/From combination cannot be sent
        21614,  # 'To' is not a mobile number
        21635,  # 'To' is a landline
        21659,  # 'From' is not a Twilio number, or short code country mismatch
        21660,  # 'From' belongs to another account
        21705,  # invalid Messaging Service
    }
)
MAX_ATTEMPTS = 6
FIRST_DELAY = timedelta(minutes=1)
LONGEST_DELAY = timedelta(minutes=30)

# Outbox statuses: stored (no provider), queued (to send, maybe after next_attempt_at), sent (Twilio took it),
# delivered / undelivered / failed (final), uncertain (a call create without an answer: see messaging.dispatch).
FINAL_STATUSES = frozenset({"delivered", "undelivered", "failed"})
# MessageStatus values of a status callback, as the outbox records them.
_REPORTED = {
    "accepted": "sent",
    "scheduled": "sent",
    "queued": "sent",
    "sending": "sent",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
    "canceled": "failed",
}


def judge(http_status: int | None, code: int | None, maybe_created: bool = False, channel: str = "sms") -> Verdict:
    """Permanent (never retry), transient (retry later) or uncertain (a call Twilio may have placed: never again)."""
    if code in PERMANENT_CODES:
        return "permanent"
    if http_status is None:
        # No answer from Twilio: refused connections never reached it; a timeout may hide a created resource.
        # A call placed twice rings a volunteer twice; an SMS sent twice is a lesser harm than a lost one.
        return "uncertain" if maybe_created and channel == "call" else "transient"
    if http_status == 429 or http_status >= 500:
        return "transient"
    if http_status in (401, 403):
        # Credentials or account settings: a configuration fix lets the message go, within the attempts.
        return "transient"
    # Any other 4xx: Twilio validated the request and refused it; the same request is refused again.
    return "permanent"


def next_attempt_at(attempts: int, now: datetime) -> datetime | None:
    """When to try again after `attempts` failed tries (1, 2, 4… minutes, at most 30), None once given up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    delay = FIRST_DELAY * (2 ** max(attempts - 1, 0))
    return now + min(delay, LONGEST_DELAY)


def after_report(current: str, reported: str) -> str | None:
    """The outbox status after a delivery report, or None when it changes nothing (unknown, late or repeated)."""
    new = _REPORTED.get(reported.lower())
    if new is None or new == current or current in FINAL_STATUSES:
        # Callbacks may come out of order: a "sent" after "delivered" must not undo it.
        return None
    return new
