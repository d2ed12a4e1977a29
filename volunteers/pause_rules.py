"""May a volunteer pause, until when, and which motives would the pause leave uncovered (pure).

One rule for the three ways a volunteer steers their own calls: an SMS (``PAUSE`` / ``DISPO``, whose sender
can be spoofed), their private page and the voice menu when they call the line. It bounds what a forged
command can do: a deactivated volunteer is never obeyed, a pause always ends with the volunteer's current
shift (else their next one), and a pause that leaves a motive without anyone while the line is open is
reported, so the coordinator is told at once.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from orientation.core.lifecycle import MOTIVES
from volunteers.coverage import covers
from volunteers.shifts import Occurrence

# Why a command is not obeyed.
INACTIVE = "inactive"
NO_SHIFT = "no_shift"


@dataclass(frozen=True, slots=True)
class PauseDecision:
    """What a pause asked at one instant does: refused (and why), or paused until `until`."""

    refused: str | None = None
    until: datetime | None = None
    # True when the pause takes the volunteer out of a shift in progress, False when it covers the next one.
    current: bool = False
    # Motives (in MOTIVES order) that nobody available covers any more once this volunteer pauses.
    uncovered: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        """True when the pause is applied."""
        return self.refused is None


def decide_pause(
    volunteer_id: int,
    *,
    active: bool,
    own_shifts: Sequence[Occurrence],
    on_duty: Sequence[Occurrence],
    volunteer_motives: Mapping[int, frozenset[str]],
    available: Collection[int],
    line_open: bool,
    now: datetime,
) -> PauseDecision:
    """Decide a pause asked at `now`.

    `own_shifts` are the volunteer's occurrences in progress or to come (any order); `on_duty` every
    occurrence of the territory containing `now`; `volunteer_motives` the motives of its active volunteers;
    `available` the ids of those not paused at `now`.
    """
    if not active:
        return PauseDecision(refused=INACTIVE)
    mine = [o for o in own_shifts if o.volunteer_id == volunteer_id and o.ends_at > now]
    current = [o for o in mine if o.contains(now)]
    if current:
        until = max(o.ends_at for o in current)
    else:
        upcoming = sorted((o for o in mine if o.starts_at > now), key=lambda o: (o.starts_at, o.ends_at))
        if not upcoming:
            # Nothing to pause, and an open-ended pause is exactly what a forged SMS must not get.
            return PauseDecision(refused=NO_SHIFT)
        return PauseDecision(until=upcoming[0].ends_at)
    uncovered: tuple[str, ...] = ()
    if line_open:
        others = [
            o for o in on_duty if o.volunteer_id != volunteer_id and o.volunteer_id in available and o.contains(now)
        ]
        uncovered = tuple(
            motive
            for motive in MOTIVES
            if any(covers(o, motive, volunteer_motives) for o in current)
            and not any(covers(o, motive, volunteer_motives) for o in others)
        )
    return PauseDecision(until=until, current=True, uncovered=uncovered)
