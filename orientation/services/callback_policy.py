"""The call-back policy (pure decisions): a territory's spacing and attempts, who answered, was the patient reached."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

DEFAULT_SPACING_MINUTES = 60
DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_RETENTION_DAYS = 30
OFFER_PATH = "/twilio/callback/offer"
STATUS_PATH = "/twilio/callback/status"
# Final statuses of the outgoing call to a volunteer, and what they make of an offer nobody answered with a key.
OFFER_RESULT_FOR_STATUS = {
    "busy": "busy",
    "no-answer": "no_answer",
    "failed": "failed",
    "canceled": "cancelled",
    # Answered but no key pressed: a voicemail, or someone who hung up.
    "completed": "no_answer",
}


@dataclass(frozen=True)
class CallbackSettings:
    """A territory's call-back policy, from its settings (with defaults)."""

    spacing: timedelta
    max_attempts: int
    retention: timedelta


def _bounded_int(settings: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = settings.get(key)
    # Settings are free JSON: a string, a bool or an absurd number must not stop call-backs.
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return default
    return value


def callback_settings(settings: dict[str, Any] | None) -> CallbackSettings:
    """Read `callback_spacing_minutes`, `callback_max_attempts`, `recording_retention_days` from settings."""
    settings = settings or {}
    return CallbackSettings(
        spacing=timedelta(
            minutes=_bounded_int(settings, "callback_spacing_minutes", DEFAULT_SPACING_MINUTES, 1, 7 * 24 * 60)
        ),
        max_attempts=_bounded_int(settings, "callback_max_attempts", DEFAULT_MAX_ATTEMPTS, 1, 20),
        retention=timedelta(days=_bounded_int(settings, "recording_retention_days", DEFAULT_RETENTION_DAYS, 1, 3650)),
    )


# AnsweredBy values of Twilio's answering machine detection that are not a person.
_MACHINE_PREFIX = "machine"
_FAX = "fax"


def answered_by_machine(answered_by: str | None) -> bool:
    """True when machine detection says a voicemail or a fax answered (not "human", nor "unknown")."""
    value = (answered_by or "").lower()
    return value.startswith(_MACHINE_PREFIX) or value == _FAX


def patient_reached(
    dial_status: str | None, dial_seconds: int | None, answered_by: str | None = None, bridged: bool | None = None
) -> bool:
    """True when the dialled patient answered and talked: a completed <Dial> that lasted at least a second,
    answered by a person (Twilio's `completed` also covers a voicemail) and bridged to the volunteer."""
    if answered_by_machine(answered_by) or bridged is False:
        return False
    return (dial_status or "").lower() == "completed" and (dial_seconds or 0) > 0


def after_missed_patient(failed_so_far: int, max_attempts: int) -> str:
    """After the patient was dialled in vain (failed_so_far includes this one): "retry" or "unreachable"."""
    return "unreachable" if failed_so_far >= max_attempts else "retry"


def offer_url(base_url: str, attempt_id: int) -> str:
    """The webhook Twilio fetches when the volunteer answers the call-back offer."""
    return f"{base_url.rstrip('/')}{OFFER_PATH}?attempt={attempt_id}"


def status_url_for(offer: str) -> str:
    """The status callback of an offer call, derived from its URL (same attempt)."""
    return offer.replace(OFFER_PATH, STATUS_PATH, 1)
