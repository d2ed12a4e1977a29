"""Which motives a shift covers, and the gaps no shift covers in the line's open hours (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from orientation.core.intervals import merge
from volunteers.shifts import Occurrence


def motive_covered(
    volunteer_id: int, motives: frozenset[str], motive: str, volunteer_motives: Mapping[int, frozenset[str]]
) -> bool:
    """Whether a volunteer on a shift limited to `motives` (empty: all theirs) takes calls for `motive`."""
    accepted = volunteer_motives.get(volunteer_id, frozenset())
    # A shift's list narrows, never widens: a volunteer who stopped accepting a motive (or a replacement
    # who never did) must not be rung for it.
    return motive in accepted and (not motives or motive in motives)


def effective_motives(occurrence: Occurrence, volunteer_motives: Mapping[int, frozenset[str]]) -> frozenset[str]:
    """Return the motives an occurrence really covers: its own list narrowed to the volunteer's."""
    accepted = volunteer_motives.get(occurrence.volunteer_id, frozenset())
    return occurrence.motives & accepted if occurrence.motives else accepted


def covers(occurrence: Occurrence, motive: str, volunteer_motives: Mapping[int, frozenset[str]]) -> bool:
    """Return True when the occurrence's volunteer takes calls for `motive` during it."""
    return motive_covered(occurrence.volunteer_id, occurrence.motives, motive, volunteer_motives)


def coverage_gaps(
    occurrences: Iterable[Occurrence],
    open_intervals: Iterable[tuple[datetime, datetime]],
    motive: str,
    volunteer_motives: Mapping[int, frozenset[str]],
) -> list[tuple[datetime, datetime]]:
    """Return the parts of the open intervals no occurrence covering `motive` covers, merged and sorted."""
    covered = merge((o.starts_at, o.ends_at) for o in occurrences if covers(o, motive, volunteer_motives))
    gaps: list[tuple[datetime, datetime]] = []
    index = 0
    for start, end in merge(open_intervals):
        cursor = start
        # Covered intervals ending before this open interval cannot matter to later ones either.
        while index < len(covered) and covered[index][1] <= cursor:
            index += 1
        scan = index
        while cursor < end and scan < len(covered) and covered[scan][0] < end:
            covered_start, covered_end = covered[scan]
            if covered_start > cursor:
                gaps.append((cursor, covered_start))
            cursor = max(cursor, covered_end)
            scan += 1
        if cursor < end:
            gaps.append((cursor, end))
    return merge(gaps)
