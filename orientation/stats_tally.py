"""The additive part of the stats of some requests: counts and delay histograms per motive, pure.

A `Tally` holds what `orientation.services.stats_sql` counts in the database for a set of requests: per
bucket (each motive and "unknown"), eight counts and, for both delays (time to answer, call-back delay), how
many requests fall in each whole second. Tallies of disjoint sets of requests add up to the tally of their
union, which is what lets a year's figures be built from stored days and months (`stats_rollups`). The
exact order statistics are not additive: the histograms only say in which whole second a wanted rank lies,
and the database is asked for the delays of that second (see stats_sql).
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


def _add_histogram(into: dict[int, int], other: dict[int, int]) -> None:
    for second, count in other.items():
        into[second] = into.get(second, 0) + count


@dataclass
class Tally:
    """Counts per bucket and, per bucket, the number of delays in each whole second."""

    counts: dict[str, list[int]] = field(default_factory=dict)
    answers: dict[str, dict[int, int]] = field(default_factory=dict)
    callbacks: dict[str, dict[int, int]] = field(default_factory=dict)

    def add_group(
        self, bucket: str, answer_second: int | None, callback_second: int | None, count: int, sums: list[int]
    ) -> None:
        """Add `count` requests of one bucket sharing both delay seconds; `sums` are their counts after connected."""
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
        """The tally as compact JSON (histograms as [second, count] pairs)."""
        return json.dumps(
            {
                "counts": self.counts,
                "answers": {b: sorted(h.items()) for b, h in self.answers.items()},
                "callbacks": {b: sorted(h.items()) for b, h in self.callbacks.items()},
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Tally:
        """The tally that to_json wrote."""
        data = json.loads(text)
        return cls(
            counts={b: [int(v) for v in c] for b, c in data["counts"].items()},
            answers={b: {int(s): int(n) for s, n in pairs} for b, pairs in data["answers"].items()},
            callbacks={b: {int(s): int(n) for s, n in pairs} for b, pairs in data["callbacks"].items()},
        )
