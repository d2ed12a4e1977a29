"""How a stats period is split into stored months, stored days and rows (orientation.core.stats_plan), pure."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orientation.core.stats_plan import Plan, midnight, month_days, next_month, plan
from orientation.core.stats_tally import Tally, slot, slot_micros, slot_sql, whole_second

CUTOFF = date(2026, 11, 20)
moments = st.datetimes(min_value=datetime(2025, 10, 1), max_value=datetime(2027, 2, 1), timezones=st.just(UTC))


def _pieces(p: Plan) -> list[tuple[datetime, datetime | None]]:
    pieces = list(p.raw)
    pieces += [(midnight(d), midnight(d + timedelta(days=1))) for d in p.days]
    pieces += [(midnight(m), midnight(next_month(m))) for m in p.months]
    return sorted(pieces, key=lambda piece: piece[0])


@given(since=moments, until=st.one_of(st.none(), moments))
def test_the_pieces_tile_the_period_exactly_and_store_nothing_from_the_cutoff_on(
    since: datetime, until: datetime | None
) -> None:
    p = plan(since, until, CUTOFF)
    pieces = _pieces(p)
    if until is not None and until <= since:
        assert p == Plan(raw=[(since, until)])
        return
    assert pieces[0][0] == since
    assert pieces[-1][1] == until
    for (_, end), (start, _) in pairwise(pieces):
        assert end == start
    assert all(d < CUTOFF for d in p.stored_days())
    assert all(m.day == 1 for m in p.months)


def test_a_year_in_paris_time_is_two_partial_days_eleven_months_and_the_days_of_the_last_one() -> None:
    since = datetime(2025, 12, 31, 23, 0, tzinfo=UTC)  # 1 January 2026, 00:00 in Paris
    until = datetime(2026, 12, 31, 23, 0, tzinfo=UTC)
    p = plan(since, until, date(2027, 1, 10))
    assert p.raw == [(since, midnight(date(2026, 1, 1))), (midnight(date(2026, 12, 31)), until)]
    assert p.months == [date(2026, m, 1) for m in range(1, 12)]
    assert p.days == [date(2026, 12, d) for d in range(1, 31)]


def test_a_period_ending_after_the_cutoff_counts_its_end_from_the_rows() -> None:
    p = plan(datetime(2026, 10, 1, tzinfo=UTC), None, CUTOFF)
    assert p.months == [date(2026, 10, 1)]
    assert p.days == [date(2026, 11, d) for d in range(1, 20)]
    assert p.raw == [(midnight(CUTOFF), None)]


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        plan(datetime(2026, 1, 1), None, CUTOFF)


def test_month_days_know_leap_years() -> None:
    assert len(month_days(date(2028, 2, 1))) == 29
    assert next_month(date(2026, 12, 1)) == date(2027, 1, 1)


def test_tallies_add_up_and_survive_json() -> None:
    first, second = Tally(), Tally()
    first.add_group("orientation", 12, None, 2, [1, 0, 1, 1, 0, 0])
    second.add_group("orientation", 12, 700, 3, [0, 1, 0, 0, 0, 0])
    second.add_group("unknown", None, None, 1, [1, 0, 0, 0, 0, 0])
    first.merge(Tally.from_json(second.to_json()))
    assert first.counts == {"orientation": [5, 5, 1, 1, 1, 1, 0, 0], "unknown": [1, 0, 1, 0, 0, 0, 0, 0]}
    assert first.answers == {"orientation": {12: 5}}
    assert first.callbacks == {"orientation": {700: 3}}
    assert Tally.from_json(first.to_json()) == first


@given(micros=st.integers(min_value=-(10**12), max_value=10**13))
def test_a_delay_lies_in_the_micro_range_of_its_slot_and_slots_keep_the_order(micros: int) -> None:
    start = slot(whole_second(micros))
    low, high = slot_micros(start)
    assert low <= micros <= high
    assert slot(whole_second(low)) == start == slot(whole_second(high))
    assert slot(whole_second(micros + 1)) >= start


def test_the_sql_slot_is_the_python_slot() -> None:
    seconds = [-5, 0, 1, 599, 600, 659, 660, 3599, 3600, 4499, 4500, 86_399, 86_400, 863_999, 864_000, 10**7]
    connection = sqlite3.connect(":memory:")
    for second in seconds:
        assert connection.execute(f"SELECT {slot_sql(str(second))}").fetchone()[0] == slot(second), second
    connection.close()
