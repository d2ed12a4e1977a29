"""Where a request's call-back stands, pure: waiting since, who is asked, who passed, tries left, next round.

Computed from the request, its attempts and the territory's call-back policy with a clock passed in, so the
request page and its button say the same thing and a unit test can pin it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from orientation.core import lifecycle
from orientation.services.callback_policy import callback_settings


class AttemptLike(Protocol):
    """What the status reads of an attempt (an `Attempt` row, or a plain stand-in)."""

    kind: str
    volunteer_id: int
    result: str | None
    offered_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class Passed:
    """A volunteer who did not take the call-back, and why (an attempt result code)."""

    volunteer_id: int
    result: str
    at: datetime | None


@dataclass(frozen=True)
class CallbackStatus:
    """The call-back block of a request's page, and whether the button may start a round now."""

    state: str  # none | waiting | offering | dialling | reached | unreachable
    waiting_since: datetime | None
    offered_to: int | None
    offered_at: datetime | None
    passed: tuple[Passed, ...]
    failed_calls: int
    max_attempts: int
    next_round_at: datetime | None
    round_due: bool
    can_trigger: bool
    reason: str | None
    button: str


def callback_status(
    request: Any,
    attempts: Sequence[AttemptLike],
    settings: Mapping[str, Any] | None,
    now: datetime,
    volunteers: Mapping[int, str],
    open_periods: Sequence[tuple[datetime, datetime]] | None = None,
) -> CallbackStatus:
    """The call-back's state at `now`: the block's figures, and the button's label or the reason it is off.

    `open_periods` (the line's opening intervals from `now` on, when known) move the next round to the line's
    reopening: the clock job offers call-backs during opening hours only.
    """
    policy = callback_settings(dict(settings or {}))
    mine = [a for a in attempts if a.kind == "callback"]
    current = next((a for a in mine if a.result is None or (a.result == "accepted" and a.ended_at is None)), None)
    passed = tuple(Passed(a.volunteer_id, a.result, a.ended_at) for a in mine if a.result not in (None, "accepted"))
    status = request.status
    if current is not None:
        state = "offering" if current.result is None else "dialling"
    elif status == "callback_pending":
        state = "waiting"
    elif request.callback_done_at is not None:
        state = "reached"
    elif request.outcome == "unreachable":
        state = "unreachable"
    else:
        state = "none"
    next_round = None
    if state == "waiting":
        next_round = _next_round(max(now, request.next_callback_at or now), open_periods)
    due = state == "waiting" and (next_round is None or next_round <= now)
    reason = _refusal(request, current, volunteers)
    if status == "callback_pending":
        button = "Relancer un tour de rappel maintenant"
    else:
        button = "Déclencher un rappel maintenant"
    return CallbackStatus(
        state=state,
        waiting_since=request.callback_requested_at if state in ("waiting", "offering", "dialling") else None,
        offered_to=current.volunteer_id if current is not None else None,
        offered_at=current.offered_at if current is not None else None,
        passed=passed,
        failed_calls=request.callback_attempts or 0,
        max_attempts=policy.max_attempts,
        next_round_at=next_round,
        round_due=due,
        can_trigger=reason is None,
        reason=reason,
        button=button,
    )


def _next_round(earliest: datetime, open_periods: Sequence[tuple[datetime, datetime]] | None) -> datetime | None:
    """The first instant from `earliest` on when the line is open (`earliest` itself when hours are unknown)."""
    if open_periods is None:
        return earliest
    for start, end in sorted(open_periods):
        if end > earliest:
            return max(start, earliest)
    return None


def _refusal(request: Any, current: AttemptLike | None, volunteers: Mapping[int, str]) -> str | None:
    """Why a round cannot start now, in French; None when it can."""
    if not request.caller:
        return "numéro du patient inconnu"
    if request.status in lifecycle.WAITING:
        return "appel en cours"
    if request.status == "closed":
        return "demande close"
    if current is not None:
        who = volunteers.get(current.volunteer_id, "un bénévole")
        if current.result is None:
            return f"un tour de rappel est en cours : {who} est appelé(e)"
        return f"{who} est en train de rappeler le patient"
    return None
