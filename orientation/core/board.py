"""The live board of a territory (issue 19): who waits, for how long, who can answer, today's figures (pure).

Built from plain values read by ``orientation.services.board`` and a clock passed in, so that every line of
the board can be checked in a unit test. Callers are shown by their reference only, never their number.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from orientation.core.stats import ALL, MOTIVES, UNKNOWN_MOTIVE, MotiveFigures, RequestRow, figures_by_motive
from orientation.core.stats_wait import WaitFigures, WaitRow, bucket, wait_figures_by_motive

# A volunteer on duty is in one of these states, the first that applies in this order: on a call (even if
# they paused during it), being offered a caller (their phone rings), paused, else free.
ON_CALL, OFFERED, PAUSED, FREE = "on_call", "offered", "paused", "free"
STATES: tuple[str, ...] = (FREE, OFFERED, ON_CALL, PAUSED)


@dataclass(frozen=True, slots=True)
class WaitingCaller:
    """A caller in the waiting line now."""

    reference: str
    motive: str | None
    wait_started_at: datetime


@dataclass(frozen=True, slots=True)
class VolunteerNow:
    """A volunteer on duty now, with what they are doing and the motives they take now."""

    id: int
    name: str
    motives: frozenset[str]
    on_call: bool = False
    offered: bool = False
    paused: bool = False


@dataclass(frozen=True, slots=True)
class WaitingLine:
    """One waiting caller on the board."""

    reference: str
    waited_seconds: int
    over_limit: bool  # waited past the territory's limit (the call flow should have moved them on)


@dataclass(frozen=True, slots=True)
class MotiveLine:
    """One motive on the board: its callers waiting, longest first, and the volunteers on duty who take it."""

    motive: str
    waiting: tuple[WaitingLine, ...]
    longest_seconds: int | None
    on_duty: int
    free: int


@dataclass(frozen=True, slots=True)
class VolunteerLine:
    """One volunteer on duty on the board."""

    name: str
    state: str
    motives: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Board:
    """Everything the live board shows, computed at `at`."""

    at: datetime
    crisis_enabled: bool
    crisis_offers: int
    wait_limit_seconds: int
    motives: tuple[MotiveLine, ...]
    volunteers: tuple[VolunteerLine, ...]
    states: dict[str, int]
    waiting_total: int
    today: MotiveFigures
    today_wait: WaitFigures


def state_of(volunteer: VolunteerNow) -> str:
    """What a volunteer on duty is doing now (see STATES for the precedence)."""
    if volunteer.on_call:
        return ON_CALL
    if volunteer.offered:
        return OFFERED
    if volunteer.paused:
        return PAUSED
    return FREE


def build_board(
    *,
    now: datetime,
    waiting: Iterable[WaitingCaller],
    volunteers: Sequence[VolunteerNow],
    today_rows: Iterable[RequestRow],
    today_waits: Iterable[WaitRow],
    crisis_enabled: bool,
    crisis_offers: int,
    wait_limit_seconds: int,
) -> Board:
    """The board at `now`: per motive the callers waiting (longest first), the volunteers' states, today's figures.

    A motive appears when it has a caller waiting or a volunteer on duty who takes it; callers without a known
    motive come under "unknown" (never expected: a caller chooses a motive before being put in the line).
    """
    by_motive: dict[str, list[WaitingLine]] = {}
    for caller in waiting:
        waited = max(0, int((now - caller.wait_started_at).total_seconds()))
        line = WaitingLine(caller.reference, waited, waited > wait_limit_seconds)
        by_motive.setdefault(bucket(caller.motive), []).append(line)
    states = {v.id: state_of(v) for v in volunteers}
    lines = []
    for motive in (*MOTIVES, UNKNOWN_MOTIVE):
        queue = sorted(by_motive.get(motive, []), key=lambda w: (-w.waited_seconds, w.reference))
        taking = [v for v in volunteers if motive in v.motives]
        if not queue and not taking:
            continue
        lines.append(
            MotiveLine(
                motive=motive,
                waiting=tuple(queue),
                longest_seconds=queue[0].waited_seconds if queue else None,
                on_duty=len(taking),
                free=sum(1 for v in taking if states[v.id] == FREE),
            )
        )
    order = {state: index for index, state in enumerate(STATES)}
    shown = sorted(volunteers, key=lambda v: (order[states[v.id]], v.name.casefold(), v.id))
    return Board(
        at=now,
        crisis_enabled=crisis_enabled,
        crisis_offers=crisis_offers,
        wait_limit_seconds=wait_limit_seconds,
        motives=tuple(lines),
        volunteers=tuple(
            VolunteerLine(v.name, states[v.id], tuple(m for m in MOTIVES if m in v.motives)) for v in shown
        ),
        states={state: sum(1 for s in states.values() if s == state) for state in STATES},
        waiting_total=sum(len(line.waiting) for line in lines),
        today=figures_by_motive(today_rows)[ALL],
        today_wait=wait_figures_by_motive(today_waits)[ALL],
    )
