"""How a period of the stats is split into stored totals and rows to read: pure, over UTC days and months.

The figures of a long period come from totals kept per UTC day and per calendar month (UTC)
(`orientation.services.stats_rollups`), and only the parts that no whole stored total covers are counted
from the requests themselves: the partial days at either end of the period, and the recent days, which are
never stored because calls in progress still change them (`cutoff`). The pieces tile the period exactly:
every instant of [since, until) is in one and only one of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Plan:
    """The pieces of one period: row ranges to count, and stored days and months to add."""

    raw: list[tuple[datetime, datetime | None]] = field(default_factory=list)  # [start, end); end None: no end
    days: list[date] = field(default_factory=list)
    months: list[date] = field(default_factory=list)  # each the first day of a whole month

    def stored_days(self) -> list[date]:
        """Every day a stored total of this plan covers: its days and those of its months."""
        covered = list(self.days)
        for month in self.months:
            covered.extend(month_days(month))
        return sorted(covered)


def midnight(day: date) -> datetime:
    """The UTC instant a day starts."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def next_month(month: date) -> date:
    """The first day of the month after `month`'s."""
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def month_days(month: date) -> list[date]:
    """Every day of the month starting on `month`."""
    first = month.replace(day=1)
    count = (next_month(first) - first).days
    return [first + timedelta(days=n) for n in range(count)]


def _first_whole_day(since: datetime) -> date:
    moment = since.astimezone(UTC)
    day = moment.date()
    return day if moment == midnight(day) else day + ONE_DAY


def plan(since: datetime, until: datetime | None, cutoff: date) -> Plan:
    """Split [since, until) into row ranges, stored days and stored months; only days before `cutoff` are stored."""
    if since.tzinfo is None or (until is not None and until.tzinfo is None):
        raise ValueError("since and until must be timezone-aware")
    if until is not None and until <= since:
        return Plan(raw=[(since, until)])
    first = _first_whole_day(since)
    stored_end = cutoff if until is None else min(cutoff, until.astimezone(UTC).date())
    if first >= stored_end:
        return Plan(raw=[(since, until)])
    raw: list[tuple[datetime, datetime | None]] = []
    if since < midnight(first):
        raw.append((since, midnight(first)))
    end = midnight(stored_end)
    if until is None or end < until:
        raw.append((end, until))
    days: list[date] = []
    months: list[date] = []
    day = first
    while day < stored_end:
        if day.day == 1 and next_month(day) <= stored_end:
            months.append(day)
            day = next_month(day)
        else:
            days.append(day)
            day += ONE_DAY
    return Plan(raw=raw, days=days, months=months)
