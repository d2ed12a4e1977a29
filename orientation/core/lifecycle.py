"""The request state machine, pure: which status may follow which, and what is final."""

from __future__ import annotations

MOTIVES = ("medecin_traitant", "visite_domicile", "soins_non_programmes", "orientation")
STATUSES = ("received", "in_menu", "routing", "connected", "callback_pending", "closed", "abandoned")
OUTCOMES = (
    "matched",
    "oriented",
    "no_solution",
    "unreachable",
    "emergency_redirect",
    "out_of_territory",
    "abandoned",
)
ATTEMPT_RESULTS = ("accepted", "declined", "no_answer", "busy", "failed", "cancelled")

# Statuses before the patient has been put through to anyone: hanging up there abandons the request.
WAITING = frozenset({"received", "in_menu", "routing"})
FINAL = frozenset({"closed", "abandoned"})

_NEXT: dict[str, frozenset[str]] = {
    "received": frozenset({"in_menu", "routing", "callback_pending", "abandoned", "closed"}),
    "in_menu": frozenset({"routing", "callback_pending", "abandoned", "closed"}),
    "routing": frozenset({"connected", "callback_pending", "abandoned", "closed"}),
    "connected": frozenset({"closed", "callback_pending"}),
    "callback_pending": frozenset({"connected", "closed"}),
    "closed": frozenset({"closed"}),
    "abandoned": frozenset({"closed", "callback_pending"}),
}


class TransitionError(ValueError):
    """A status change the lifecycle does not allow."""


def can_move(current: str, target: str) -> bool:
    """True when a request in `current` may move to `target` (staying put is always allowed)."""
    # A status the lifecycle does not know (a typo, a stale row) goes nowhere, not even to itself.
    if current not in _NEXT or target not in _NEXT:
        return False
    return current == target or target in _NEXT[current]


def move(current: str, target: str) -> str:
    """The new status, or TransitionError when the move is not allowed."""
    if not can_move(current, target):
        raise TransitionError(f"cannot move a request from {current} to {target}")
    return target


def status_for_outcome(current: str, outcome: str | None) -> str:
    """Setting a final outcome closes the request; clearing it reopens nothing already closed."""
    if outcome is None:
        return current
    return "closed"


def attempt_result_from_dial(accepted: bool, dial_status: str | None, bridged: bool | None, declined: bool) -> str:
    """Judge one ring of a volunteer from what the app saw and what Twilio's <Dial> action reports.

    Acceptance is recorded by the app when the volunteer presses 1; `DialCallStatus` alone is not trusted,
    because a leg that hung up during screening (a voicemail, a refusal) still reports `completed`.
    """
    if accepted:
        return "accepted" if bridged is not False else "failed"
    if declined:
        return "declined"
    status = (dial_status or "").lower()
    if status == "busy":
        return "busy"
    if status == "failed":
        return "failed"
    if status == "canceled":
        return "cancelled"
    # no-answer, or answered (completed) by something that never pressed 1: a voicemail, silence.
    return "no_answer"
