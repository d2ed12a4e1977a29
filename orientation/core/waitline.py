"""The waiting line's decisions, over plain values: who joins, who is next, position, estimated wait, offers.

Nothing here reads the database or the wall clock: the services pass rows as `Waiting` / `FreeVolunteer`
values and `now` from the injected clock, so every rule is a unit test away.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

# How a caller left the line (requests.wait_end, migration 0015).
ANSWERED = "answered"
HUNG_UP = "hung_up"
CHOSE_MESSAGE = "chose_message"
WAIT_LIMIT = "wait_limit"
WAIT_ENDS = (ANSWERED, HUNG_UP, CHOSE_MESSAGE, WAIT_LIMIT)
# The key that leaves the line for the message step.
LEAVE_KEY = "1"
# An estimate needs a few answered waits to mean anything; fewer and the caller hears none.
MIN_SAMPLES_FOR_ESTIMATE = 3


@dataclass(frozen=True)
class Waiting:
    """One caller in the line: their request, when they joined, what they need."""

    request_id: int
    joined_at: datetime
    motive: str
    language: str = "fr"


@dataclass(frozen=True)
class FreeVolunteer:
    """A volunteer on duty and free now, with what they accept."""

    volunteer_id: int
    motives: frozenset[str]
    languages: frozenset[str] = frozenset({"fr"})


def joins_line(on_duty: Collection[int], busy: Collection[int], tried: Collection[int]) -> bool:
    """A caller nobody can take now waits when an eligible volunteer on duty is busy (on a call or ringing)
    and has not already been offered this call; when nobody is on duty, the message step stays."""
    return any(v in busy and v not in tried for v in on_duty)


def can_take(volunteer: FreeVolunteer, caller: Waiting) -> bool:
    """The volunteer accepts the caller's motive and speaks their language (French is everyone's)."""
    return caller.motive in volunteer.motives and (caller.language == "fr" or caller.language in volunteer.languages)


def in_order(line: Iterable[Waiting]) -> list[Waiting]:
    """First come, first served: by time joined, then by request id (two callers in the same instant)."""
    return sorted(line, key=lambda w: (w.joined_at, w.request_id))


def next_for(volunteer: FreeVolunteer, line: Iterable[Waiting], taken: Collection[int] = ()) -> Waiting | None:
    """The longest-waiting caller this volunteer can take (None when none): a caller already offered or
    taken (`taken`) is not offered twice."""
    for caller in in_order(line):
        if caller.request_id not in taken and can_take(volunteer, caller):
            return caller
    return None


def position(request_id: int, line: Iterable[Waiting], on_duty: Sequence[FreeVolunteer] = ()) -> int | None:
    """The caller's place (1 = next) among the callers ahead of them that a volunteer who can take them can
    also take: a caller for another motive does not hold them back. None when not in the line."""
    ordered = in_order(line)
    me = next((w for w in ordered if w.request_id == request_id), None)
    if me is None:
        return None
    mine = [v for v in on_duty if can_take(v, me)]
    ahead = 0
    for caller in ordered:
        if caller.request_id == request_id:
            break
        # Without the volunteers' list every earlier caller counts (a safe, longer reading).
        if not mine or any(can_take(v, caller) for v in mine):
            ahead += 1
    return ahead + 1


def estimated_wait_seconds(place: int, recent_waits: Sequence[float], volunteers: int) -> int | None:
    """Roughly how long until the caller at `place` is answered: the median recent wait of answered callers,
    scaled by how many are ahead per volunteer. None when it cannot be said honestly (too few answered
    waits, or no volunteer)."""
    if volunteers <= 0 or len(recent_waits) < MIN_SAMPLES_FOR_ESTIMATE or place < 1:
        return None
    ordered = sorted(recent_waits)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    rounds = -(-place // volunteers)  # ceil: callers answered per round of free volunteers
    return max(round(median * rounds), 0)


def spoken_minutes(seconds: int) -> int:
    """The estimate as said: whole minutes, at least one (rounded up: better early than late)."""
    return max(1, -(-seconds // 60))


def offers_for(
    caller: Waiting, free: Sequence[FreeVolunteer], crisis: bool, crisis_offers: int, offered: Collection[int] = ()
) -> list[int]:
    """Which free volunteers are offered this caller now, in the given (fairness) order: one outside crisis
    mode, up to `crisis_offers` at once in crisis mode; a volunteer already offered a call is never offered
    a second one."""
    room = max(1, crisis_offers) if crisis else 1
    chosen: list[int] = []
    for volunteer in free:
        if len(chosen) == room:
            break
        if volunteer.volunteer_id not in offered and can_take(volunteer, caller):
            chosen.append(volunteer.volunteer_id)
    return chosen


def waited_seconds(joined_at: datetime, now: datetime) -> int:
    """Whole seconds spent in the line so far (never negative)."""
    return max(int((now - joined_at).total_seconds()), 0)


def wait_limit_passed(joined_at: datetime, now: datetime, limit_seconds: int) -> bool:
    """True once the caller has waited the territory's limit: they go to the message step."""
    return waited_seconds(joined_at, now) >= limit_seconds


def leaves_by_key(digits: str | None) -> bool:
    """True for the key that leaves the line for the message step."""
    return (digits or "").strip() == LEAVE_KEY
