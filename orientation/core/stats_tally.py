"""The additive part of the stats of some requests: counts and delay histograms per motive, pure.

A `Tally` holds what `orientation.services.stats_sql` counts in the database for a set of requests: per
bucket (each motive and "unknown"), eight counts and, for both delays (time to answer, call-back delay), how
many requests fall in each slot of delay: each whole second up to ten minutes, then wider slots (`slot`),
so that a year's histograms stay a few hundred numbers however the call-backs spread over the days.
Tallies of disjoint sets of requests add up to the tally of their union, which is what lets a year's
figures be built from stored days and months (`stats_rollups`). The exact order statistics are not
additive: the histograms only say in which slot a wanted rank lies, and the database is asked for the
delays of that slot (see stats_sql).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

# The counts of a bucket, in this order.
COUNTS = (
    "requests",
    "connected",
    "abandoned",
    "callbacks_pending",
    "with_outcome",
    "matched",
    "oriented",
    "no_solution",
)


MICROS = 1_000_000
# Slots below `limit` whole seconds are `width` seconds wide (each limit a multiple of the next width).
LADDER = ((600, 1), (3_600, 60), (86_400, 900), (864_000, 3_600))
WIDEST = 86_400


def whole_second(micros: int) -> int:
    """A delay's whole seconds, truncated toward zero as the databases' integer division does."""
    return micros // MICROS if micros >= 0 else -(-micros // MICROS)


def slot(second: int) -> int:
    """The first second of the histogram slot holding a delay of `second` whole seconds."""
    if second < LADDER[0][0]:
        return second  # negative delays (impossible in real data) too: one second wide
    for limit, width in LADDER[1:]:
        if second < limit:
            return second // width * width
    return second // WIDEST * WIDEST


def slot_width(start: int) -> int:
    """How many whole seconds the slot starting at `start` holds."""
    for limit, width in LADDER:
        if start < limit:
            return width
    return WIDEST


def slot_micros(start: int) -> tuple[int, int]:
    """The delays in microseconds (bounds included) whose slot is the one starting at `start`."""
    if start > 0:
        return start * MICROS, (start + slot_width(start)) * MICROS - 1
    if start < 0:
        return (start - 1) * MICROS + 1, start * MICROS
    return -(MICROS - 1), MICROS - 1


def slot_sql(second: str) -> str:
    """SQL for slot() of an integer SQL expression of whole seconds (integer division truncates, as here)."""
    cases = [f"WHEN {second} < {LADDER[0][0]} THEN {second}"]
    cases += [f"WHEN {second} < {limit} THEN {second} / {width} * {width}" for limit, width in LADDER[1:]]
    return f"CASE {' '.join(cases)} ELSE {second} / {WIDEST} * {WIDEST} END"


def _add_histogram(into: dict[int, int], other: dict[int, int]) -> None:
    for start, count in other.items():
        into[start] = into.get(start, 0) + count


@dataclass
class Tally:
    """Counts per bucket and, per bucket, the number of delays in each whole second."""

    counts: dict[str, list[int]] = field(default_factory=dict)
    answers: dict[str, dict[int, int]] = field(default_factory=dict)
    callbacks: dict[str, dict[int, int]] = field(default_factory=dict)

    def add_group(
        self, bucket: str, answer_second: int | None, callback_second: int | None, count: int, sums: list[int]
    ) -> None:
        """Add `count` requests of one bucket sharing both delay slots; `sums` are their counts after connected."""
        tally = self.counts.setdefault(bucket, [0] * len(COUNTS))
        tally[0] += count
        if answer_second is not None:
            tally[1] += count
            histogram = self.answers.setdefault(bucket, {})
            histogram[answer_second] = histogram.get(answer_second, 0) + count
        if callback_second is not None:
            histogram = self.callbacks.setdefault(bucket, {})
            histogram[callback_second] = histogram.get(callback_second, 0) + count
        for index, value in enumerate(sums, start=2):
            tally[index] += value

    def merge(self, other: Tally) -> None:
        """Add another tally (of other requests) to this one."""
        for bucket, counts in other.counts.items():
            tally = self.counts.setdefault(bucket, [0] * len(COUNTS))
            for index, value in enumerate(counts):
                tally[index] += value
        for mine, theirs in ((self.answers, other.answers), (self.callbacks, other.callbacks)):
            for bucket, histogram in theirs.items():
                _add_histogram(mine.setdefault(bucket, {}), histogram)

    def to_json(self) -> str:
        """The tally as compact JSON (each histogram as its slots and their counts, two lists)."""

        def lists(histogram: dict[int, int]) -> list[list[int]]:
            starts = sorted(histogram)
            return [starts, [histogram[start] for start in starts]]

        return json.dumps(
            {
                "counts": self.counts,
                "answers": {b: lists(h) for b, h in self.answers.items()},
                "callbacks": {b: lists(h) for b, h in self.callbacks.items()},
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Tally:
        """The tally that to_json wrote."""
        data = json.loads(text)
        return cls(
            counts=data["counts"],
            answers={b: dict(zip(starts, counts, strict=True)) for b, (starts, counts) in data["answers"].items()},
            callbacks={b: dict(zip(starts, counts, strict=True)) for b, (starts, counts) in data["callbacks"].items()},
        )
