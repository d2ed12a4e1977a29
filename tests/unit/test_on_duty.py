"""Who is on duty, remembered until the rota's next boundary: the span is exact and the memo keeps to it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.test_rota import EASTER_MONDAY, INSTANTS, NO_HOLIDAYS, FakeHolidays, pattern, rotas, utc
from volunteers.on_duty import HORIZON, OnDutyMemo, next_change
from volunteers.rota import Rota
from volunteers.shifts import PARIS, OneOffShift

EVERY_DAY = frozenset(range(7))


@settings(max_examples=200, deadline=None)
@given(rota=rotas(), at=INSTANTS, holiday_days=st.frozensets(st.dates(date(2026, 3, 20), date(2026, 11, 1))))
def test_who_is_on_duty_does_not_change_before_the_next_change_and_does_at_it(
    rota: Rota, at: datetime, holiday_days: frozenset[date]
) -> None:
    calendar = FakeHolidays(holiday_days | {EASTER_MONDAY})
    until = next_change(rota, at, calendar, PARIS)
    now_on_duty = rota.on_duty(at, calendar)

    assert at < until <= at + HORIZON
    for t in (at + (until - at) / 3, at + (until - at) / 2, until - timedelta(microseconds=1)):
        assert rota.on_duty(t, calendar) == now_on_duty
    if until < at + HORIZON:
        assert rota.on_duty(until, calendar) != now_on_duty


def test_the_next_change_is_the_end_of_a_running_shift_or_the_start_of_the_next_one() -> None:
    running = OneOffShift(1, 10, utc(2026, 6, 1, 8), utc(2026, 6, 1, 9, 17))
    rota = Rota([pattern(weekdays=EVERY_DAY, start=time(11, 30), end=time(12))], [running])

    assert next_change(rota, utc(2026, 6, 1, 8, 30), NO_HOLIDAYS, PARIS) == utc(2026, 6, 1, 9, 17)
    # 11:30 in Paris is 09:30 UTC in June.
    assert next_change(rota, utc(2026, 6, 1, 9, 17), NO_HOLIDAYS, PARIS) == utc(2026, 6, 1, 9, 30)
    # Nothing starts or ends within the horizon: the span stops there.
    assert next_change(rota, utc(2026, 6, 1, 13), NO_HOLIDAYS, PARIS) == utc(2026, 6, 1, 13) + HORIZON


def test_the_memo_computes_once_within_a_span_and_again_outside_it() -> None:
    memo = OnDutyMemo()
    computed: list[str] = []
    at = datetime(2026, 6, 1, 8, tzinfo=UTC)
    until = at + timedelta(minutes=20)

    def compute(ids: list[int]) -> list[int]:
        computed.append("list")
        return ids

    def boundary() -> datetime:
        computed.append("boundary")
        return until

    key = ("Europe/Paris", None, "orientation")
    first = memo.get(key, at, lambda: compute([3, 1]), boundary)
    again = memo.get(key, until - timedelta(microseconds=1), lambda: compute([9]), boundary)
    assert again is first and first.ids == (3, 1) and first.members == {1, 3}
    assert computed == ["list", "boundary"] or computed == ["boundary", "list"]

    # Another motive in the same span: its own list, the boundary already known.
    later = at + timedelta(minutes=5)
    other = memo.get(("Europe/Paris", None, "visite_domicile"), later, lambda: compute([1]), boundary)
    assert other.ids == (1,) and computed.count("boundary") == 1

    # At the boundary, and before the span (a clock read earlier elsewhere): computed again.
    assert memo.get(key, until, lambda: compute([9]), boundary).ids == (9,)
    assert memo.get(key, at - timedelta(seconds=1), lambda: compute([7]), boundary).ids == (7,)
    assert computed.count("list") == 4
