"""The rota's week grid, pure: for each hour of each day, closed, uncovered (a gap) or who covers it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from volunteers.coverage import covers
from volunteers.shifts import Occurrence


@dataclass(frozen=True)
class Cell:
    """One hour of one day: its state and the volunteers who cover the motive then."""

    state: str  # "closed", "gap" or "covered"
    names: tuple[str, ...] = ()


def _overlaps(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def hour_span(day: date, hour: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants of one wall-clock hour (on a DST day the span is what the clock shows)."""
    start = datetime.combine(day, time(hour), tzinfo=tz).astimezone(UTC)
    end = (
        datetime.combine(day, time(hour + 1), tzinfo=tz)
        if hour < 23
        else datetime.combine(day + timedelta(days=1), time(), tzinfo=tz)
    ).astimezone(UTC)
    return start, end


def week_grid(
    monday: date,
    tz: ZoneInfo,
    motive: str,
    occurrences: Sequence[Occurrence],
    open_intervals: Sequence[tuple[datetime, datetime]],
    gaps: Sequence[tuple[datetime, datetime]],
    volunteer_motives: Mapping[int, frozenset[str]],
    names: Mapping[int, str],
) -> list[list[Cell]]:
    """Rows of 24 hours × 7 days: a cell with any gap in it is a gap; an hour the line is shut is closed."""
    relevant = [o for o in occurrences if covers(o, motive, volunteer_motives)]
    rows: list[list[Cell]] = []
    for hour in range(24):
        row = []
        for offset in range(7):
            span = hour_span(monday + timedelta(days=offset), hour, tz)
            if any(_overlaps(span, gap) for gap in gaps):
                row.append(Cell("gap"))
            elif not any(_overlaps(span, interval) for interval in open_intervals):
                row.append(Cell("closed"))
            else:
                who = sorted(
                    {names.get(o.volunteer_id, "?") for o in relevant if _overlaps(span, (o.starts_at, o.ends_at))}
                )
                row.append(Cell("covered", tuple(who)))
        rows.append(row)
    return rows
