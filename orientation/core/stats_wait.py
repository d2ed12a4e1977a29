"""The waiting line's figures (issue 19), pure over plain rows: time in the line and who left it, and how.

A caller is in the waiting line from ``wait_started_at`` to ``wait_ended_at``; ``wait_end`` says how they
left it: ``answered`` (a volunteer took the call), ``hung_up``, ``chose_message`` (pressed the key to leave a
message instead) or ``wait_limit`` (sent to the message step past the territory's limit).

Conventions, as in :mod:`orientation.core.stats`: a request counts in the period and motive bucket of its call
(``created_at``, local time; no motive: ``"unknown"``), medians are :func:`statistics.median` and the 90th
percentile is the nearest rank. The time in the line is measured over callers who have left it (any way);
callers still waiting count in ``waited`` and ``waiting`` only. An end this module does not know (a newer
call flow's) counts in ``waited`` and in no ``left_*`` figure rather than failing a report.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from orientation.core.stats import ALL, MOTIVES, UNKNOWN_MOTIVE, _median, nearest_rank_percentile

K = TypeVar("K", bound=Hashable)
WAIT_ENDS: tuple[str, ...] = ("answered", "hung_up", "chose_message", "wait_limit")


@dataclass(frozen=True, slots=True)
class WaitRow:
    """One request that joined the waiting line, as much of it as the figures need."""

    motive: str | None
    wait_started_at: datetime
    wait_ended_at: datetime | None = None
    wait_end: str | None = None
    created_at: datetime | None = None  # the call's arrival: its period (ACI months)
    postcode: str | None = None  # its commune (ACI)


@dataclass(frozen=True, slots=True)
class WaitFigures:
    """The waiting line's figures of one motive (or all) over the rows given."""

    waited: int  # callers who joined the line
    waiting: int  # still in it (no end yet)
    answered_from_line: int  # taken by a volunteer from the line
    left_hung_up: int
    left_chose_message: int
    left_wait_limit: int
    median_wait_seconds: float | None  # wait_ended_at - wait_started_at, over callers who left the line
    p90_wait_seconds: float | None  # nearest rank


@dataclass(slots=True)
class _WaitTally:
    waited: int = 0
    waiting: int = 0
    ends: dict[str, int] = field(default_factory=lambda: dict.fromkeys(WAIT_ENDS, 0))
    seconds: list[float] = field(default_factory=list)

    def add(self, row: WaitRow) -> None:
        self.waited += 1
        if row.wait_ended_at is None:
            self.waiting += 1
            return
        self.seconds.append(max(0.0, (row.wait_ended_at - row.wait_started_at).total_seconds()))
        if row.wait_end in self.ends:
            self.ends[row.wait_end] += 1

    def merge(self, other: _WaitTally) -> None:
        self.waited += other.waited
        self.waiting += other.waiting
        for end, count in other.ends.items():
            self.ends[end] += count
        self.seconds.extend(other.seconds)

    def figures(self) -> WaitFigures:
        self.seconds.sort()
        return WaitFigures(
            waited=self.waited,
            waiting=self.waiting,
            answered_from_line=self.ends["answered"],
            left_hung_up=self.ends["hung_up"],
            left_chose_message=self.ends["chose_message"],
            left_wait_limit=self.ends["wait_limit"],
            median_wait_seconds=_median(self.seconds),
            p90_wait_seconds=nearest_rank_percentile(self.seconds, 90),
        )


def bucket(motive: str | None) -> str:
    """The bucket a row counts in: its motive, or ``"unknown"`` (none, or one the figures do not know)."""
    return motive if motive in MOTIVES else UNKNOWN_MOTIVE


def wait_figures_by_motive(rows: Iterable[WaitRow]) -> dict[str, WaitFigures]:
    """Waiting-line figures for each motive, for ``"unknown"`` and for ``"all"``."""
    tallies = {key: _WaitTally() for key in (*MOTIVES, UNKNOWN_MOTIVE)}
    for row in rows:
        tallies[bucket(row.motive)].add(row)
    total = _WaitTally()
    for tally in tallies.values():
        total.merge(tally)
    result = {key: tally.figures() for key, tally in tallies.items()}
    result[ALL] = total.figures()
    return result


def wait_figures_by_key(keyed: Iterable[tuple[K, WaitRow]]) -> dict[K, WaitFigures]:
    """Waiting-line figures per key (e.g. month × commune × motive of the ACI export), only for keys given."""
    tallies: dict[K, _WaitTally] = {}
    for key, row in keyed:
        tally = tallies.get(key)
        if tally is None:
            tally = tallies[key] = _WaitTally()
        tally.add(row)
    return {key: tally.figures() for key, tally in tallies.items()}


NO_WAIT = _WaitTally().figures()  # the figures of a group where nobody waited
