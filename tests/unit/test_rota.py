"""Who is on duty when: DST, holidays, exceptions, gaps, and on_duty agreeing with occurrences."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from volunteers.coverage import coverage_gaps, covers, effective_motives
from volunteers.rota import Rota, next_shifts, on_duty_for_motive
from volunteers.shifts import PARIS, Cancellation, OneOffShift, Replacement, WeeklyPattern

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
EVERY_DAY = frozenset(range(7))
DOMICILE = "visite_domicile"
TRAITANT = "medecin_traitant"


@dataclass(frozen=True)
class FakeHolidays:
    """A holiday calendar made of a plain set of dates."""

    days: frozenset[date] = frozenset()

    def is_holiday(self, day: date) -> bool:
        return day in self.days


class LibraryHolidays:
    """The `holidays` package's French calendar behind the rota's protocol."""

    def __init__(self) -> None:
        self._calendar = holidays.country_holidays("FR", years=range(2025, 2028))

    def is_holiday(self, day: date) -> bool:
        return day in self._calendar


NO_HOLIDAYS = FakeHolidays()
BASTILLE_DAY = date(2026, 7, 14)  # a Tuesday
EASTER_MONDAY = date(2026, 4, 6)
FRENCH_2026 = FakeHolidays(frozenset({BASTILLE_DAY, EASTER_MONDAY}))


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def pattern(
    id: int = 1,
    volunteer_id: int = 10,
    weekdays: frozenset[int] = frozenset({SAT}),
    start: time = time(20),
    end: time = time(8),
    valid_from: date = date(2026, 1, 1),
    valid_until: date | None = None,
    motives: frozenset[str] = frozenset(),
    holidays: str = "include",
) -> WeeklyPattern:
    return WeeklyPattern(id, volunteer_id, weekdays, start, end, valid_from, valid_until, motives, holidays)


# -- daylight saving ------------------------------------------------------------------------------------


def test_a_saturday_night_shift_across_the_spring_change_lasts_eleven_hours() -> None:
    rota = Rota([pattern()])

    [occ] = rota.on_duty(paris(2026, 3, 28, 23), NO_HOLIDAYS)

    assert occ.ends_at - occ.starts_at == timedelta(hours=11)
    assert occ.starts_at == paris(2026, 3, 28, 20)
    assert occ.ends_at == paris(2026, 3, 29, 8)


def test_a_saturday_night_shift_across_the_autumn_change_lasts_thirteen_hours() -> None:
    rota = Rota([pattern()])

    [occ] = rota.on_duty(paris(2026, 10, 24, 23), NO_HOLIDAYS)

    assert occ.ends_at - occ.starts_at == timedelta(hours=13)
    assert occ.starts_at == paris(2026, 10, 24, 20)
    assert occ.ends_at == paris(2026, 10, 25, 8)


def test_a_night_shift_is_on_duty_exactly_within_its_wall_clock_span_on_the_change_night() -> None:
    rota = Rota([pattern()])

    assert rota.on_duty(paris(2026, 3, 28, 19, 59), NO_HOLIDAYS) == []
    assert len(rota.on_duty(paris(2026, 3, 28, 20), NO_HOLIDAYS)) == 1
    assert len(rota.on_duty(paris(2026, 3, 29, 7, 59), NO_HOLIDAYS)) == 1
    assert rota.on_duty(paris(2026, 3, 29, 8), NO_HOLIDAYS) == []
    # Both passes through the repeated autumn hour are within the shift.
    assert len(rota.on_duty(utc(2026, 10, 25, 0, 30), NO_HOLIDAYS)) == 1
    assert len(rota.on_duty(utc(2026, 10, 25, 1, 30), NO_HOLIDAYS)) == 1


def test_a_start_inside_the_spring_gap_begins_at_the_transition() -> None:
    rota = Rota([pattern(weekdays=frozenset({SUN}), start=time(2, 30), end=time(6))])

    [occ] = rota.occurrences(paris(2026, 3, 29), paris(2026, 3, 30), NO_HOLIDAYS)

    # 02:30 never shows on the clock that night: the shift starts when it jumps to 03:00 CEST.
    assert occ.starts_at == utc(2026, 3, 29, 1)
    assert occ.ends_at == utc(2026, 3, 29, 4)


def test_an_end_inside_the_spring_gap_ends_at_the_transition() -> None:
    rota = Rota([pattern(weekdays=frozenset({SAT}), start=time(22), end=time(2, 30))])

    [occ] = rota.occurrences(paris(2026, 3, 28), paris(2026, 3, 29, 12), NO_HOLIDAYS)

    assert occ.ends_at == utc(2026, 3, 29, 1)
    assert occ.ends_at - occ.starts_at == timedelta(hours=4)


def test_times_in_the_repeated_autumn_hour_start_on_the_first_pass_and_end_on_the_second() -> None:
    starting = Rota([pattern(id=1, weekdays=frozenset({SUN}), start=time(2, 30), end=time(6))])
    ending = Rota([pattern(id=2, weekdays=frozenset({SAT}), start=time(22), end=time(2, 30))])

    [starts] = starting.occurrences(paris(2026, 10, 25), paris(2026, 10, 26), NO_HOLIDAYS)
    [ends] = ending.occurrences(paris(2026, 10, 24), paris(2026, 10, 26), NO_HOLIDAYS)

    assert starts.starts_at == utc(2026, 10, 25, 0, 30)  # 02:30 CEST
    assert ends.ends_at == utc(2026, 10, 25, 1, 30)  # 02:30 CET
    assert ends.ends_at - ends.starts_at == timedelta(hours=5, minutes=30)


def test_occurrences_are_returned_in_utc() -> None:
    rota = Rota([pattern()])

    [occ] = rota.on_duty(paris(2026, 6, 6, 21), NO_HOLIDAYS)

    assert occ.starts_at.tzinfo is UTC
    assert occ.starts_at == utc(2026, 6, 6, 18)


# -- public holidays ------------------------------------------------------------------------------------


def test_a_pattern_skipping_holidays_is_off_on_bastille_day_only() -> None:
    rota = Rota([pattern(weekdays=frozenset({TUE}), start=time(8), end=time(20), holidays="skip")])

    found = rota.occurrences(paris(2026, 7, 6), paris(2026, 7, 27), FRENCH_2026)

    assert [o.starts_at.astimezone(PARIS).date() for o in found] == [date(2026, 7, 7), date(2026, 7, 21)]
    assert rota.on_duty(paris(2026, 7, 14, 12), FRENCH_2026) == []
    assert len(rota.on_duty(paris(2026, 7, 21, 12), FRENCH_2026)) == 1


def test_a_holiday_only_pattern_runs_on_easter_monday_and_bastille_day_alone() -> None:
    rota = Rota([pattern(weekdays=EVERY_DAY, start=time(9), end=time(19), holidays="only")])

    found = rota.occurrences(paris(2026, 3, 1), paris(2026, 8, 1), FRENCH_2026)

    assert [o.starts_at.astimezone(PARIS).date() for o in found] == [EASTER_MONDAY, BASTILLE_DAY]


def test_including_holidays_treats_them_as_any_other_day() -> None:
    rota = Rota([pattern(weekdays=frozenset({MON}), start=time(8), end=time(12))])

    assert len(rota.on_duty(paris(2026, 4, 6, 9), FRENCH_2026)) == 1


def test_the_holidays_package_works_as_the_calendar() -> None:
    rota = Rota(
        [
            pattern(id=1, weekdays=frozenset({MON}), start=time(8), end=time(12), holidays="skip"),
            pattern(id=2, weekdays=EVERY_DAY, start=time(8), end=time(12), holidays="only"),
        ]
    )

    [occ] = rota.on_duty(paris(2026, 4, 6, 9), LibraryHolidays())

    assert occ.pattern_id == 2


def test_an_overnight_shift_belongs_to_the_day_it_starts_for_holidays() -> None:
    rota = Rota([pattern(weekdays=frozenset({MON}), start=time(20), end=time(8), holidays="skip")])

    # Starts on 13 July (an ordinary Monday), runs into Bastille Day: it stays.
    assert len(rota.on_duty(paris(2026, 7, 14, 3), FRENCH_2026)) == 1


# -- exceptions, overlaps, validity ---------------------------------------------------------------------


def test_overlapping_shifts_are_all_on_duty_sorted_by_start() -> None:
    rota = Rota(
        [pattern(id=1, volunteer_id=10, weekdays=frozenset({WED}), start=time(8), end=time(20))],
        [
            OneOffShift(5, 11, paris(2026, 5, 6, 12), paris(2026, 5, 6, 14)),
            OneOffShift(6, 10, paris(2026, 5, 6, 10), paris(2026, 5, 6, 22)),
        ],
    )

    found = rota.on_duty(paris(2026, 5, 6, 13), NO_HOLIDAYS)

    assert [(o.volunteer_id, o.pattern_id, o.shift_id) for o in found] == [
        (10, 1, None),
        (10, None, 6),
        (11, None, 5),
    ]
    assert [o.volunteer_id for o in rota.on_duty(paris(2026, 5, 6, 21), NO_HOLIDAYS)] == [10]


def test_a_cancelled_occurrence_is_off_and_the_next_week_is_not() -> None:
    rota = Rota([pattern()], cancellations=[Cancellation(1, date(2026, 5, 9))])

    assert rota.on_duty(paris(2026, 5, 9, 22), NO_HOLIDAYS) == []
    # The night after the start date belongs to the cancelled occurrence too.
    assert rota.on_duty(paris(2026, 5, 10, 3), NO_HOLIDAYS) == []
    assert len(rota.on_duty(paris(2026, 5, 16, 22), NO_HOLIDAYS)) == 1
    window = rota.occurrences(paris(2026, 5, 1), paris(2026, 5, 20), NO_HOLIDAYS)
    assert [o.starts_at.astimezone(PARIS).date() for o in window] == [date(2026, 5, 2), date(2026, 5, 16)]


def test_a_replaced_occurrence_belongs_to_the_substitute() -> None:
    rota = Rota([pattern(volunteer_id=10)], replacements=[Replacement(1, date(2026, 5, 9), 20)])

    [occ] = rota.on_duty(paris(2026, 5, 10, 1), NO_HOLIDAYS)
    [usual] = rota.on_duty(paris(2026, 5, 17, 1), NO_HOLIDAYS)

    assert (occ.volunteer_id, occ.replaced_volunteer_id, occ.pattern_id) == (20, 10, 1)
    assert (usual.volunteer_id, usual.replaced_volunteer_id) == (10, None)


def test_two_different_replacements_for_one_occurrence_are_refused() -> None:
    with pytest.raises(ValueError, match="two replacements"):
        Rota(
            [pattern()],
            replacements=[Replacement(1, date(2026, 5, 9), 20), Replacement(1, date(2026, 5, 9), 21)],
        )


def test_validity_bounds_are_inclusive() -> None:
    rota = Rota([pattern(valid_from=date(2026, 5, 9), valid_until=date(2026, 5, 23))])

    found = rota.occurrences(paris(2026, 4, 1), paris(2026, 7, 1), NO_HOLIDAYS)

    assert [o.starts_at.astimezone(PARIS).date() for o in found] == [
        date(2026, 5, 9),
        date(2026, 5, 16),
        date(2026, 5, 23),
    ]
    # The last occurrence still runs past valid_until into the next morning.
    assert len(rota.on_duty(paris(2026, 5, 24, 7), NO_HOLIDAYS)) == 1


def test_occurrences_include_a_night_shift_already_running_at_the_window_start() -> None:
    rota = Rota([pattern()])

    found = rota.occurrences(paris(2026, 5, 10, 6), paris(2026, 5, 10, 7), NO_HOLIDAYS)

    assert [o.starts_at for o in found] == [paris(2026, 5, 9, 20)]


def test_equal_start_and_end_make_a_twenty_four_hour_shift() -> None:
    rota = Rota([pattern(weekdays=frozenset({WED}), start=time(8), end=time(8))])

    [occ] = rota.on_duty(paris(2026, 5, 7, 7, 59), NO_HOLIDAYS)

    assert occ.ends_at - occ.starts_at == timedelta(hours=24)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weekdays": frozenset()}, "weekdays"),
        ({"weekdays": frozenset({7})}, "weekdays"),
        ({"valid_until": date(2025, 1, 1)}, "valid_until"),
        ({"holidays": "sometimes"}, "holidays"),
        ({"start": time(8, tzinfo=UTC)}, "tzinfo"),
    ],
)
def test_an_inconsistent_pattern_is_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        pattern(**kwargs)  # type: ignore[arg-type]


def test_a_one_off_shift_needs_aware_ordered_instants() -> None:
    with pytest.raises(ValueError, match="aware"):
        OneOffShift(1, 10, datetime(2026, 5, 1, 8), paris(2026, 5, 1, 12))
    with pytest.raises(ValueError, match="after"):
        OneOffShift(1, 10, paris(2026, 5, 1, 12), paris(2026, 5, 1, 8))


def test_on_duty_refuses_a_naive_instant() -> None:
    with pytest.raises(ValueError, match="aware"):
        Rota([pattern()]).on_duty(datetime(2026, 5, 9, 22), NO_HOLIDAYS)


# -- motives --------------------------------------------------------------------------------------------


def test_a_shift_without_motives_covers_all_the_volunteers_motives() -> None:
    rota = Rota([pattern(volunteer_id=10)])
    [occ] = rota.on_duty(paris(2026, 5, 9, 22), NO_HOLIDAYS)

    assert covers(occ, DOMICILE, {10: frozenset({DOMICILE, TRAITANT})})
    assert not covers(occ, "orientation", {10: frozenset({DOMICILE, TRAITANT})})
    assert not covers(occ, DOMICILE, {})


def test_a_shift_motive_list_narrows_and_never_widens_the_volunteers() -> None:
    rota = Rota([pattern(volunteer_id=10, motives=frozenset({DOMICILE, "orientation"}))])
    [occ] = rota.on_duty(paris(2026, 5, 9, 22), NO_HOLIDAYS)
    accepted = {10: frozenset({DOMICILE, TRAITANT})}

    assert effective_motives(occ, accepted) == frozenset({DOMICILE})
    assert not covers(occ, TRAITANT, accepted)
    assert not covers(occ, "orientation", accepted)


def test_on_duty_for_motive_keeps_only_those_taking_the_motive() -> None:
    rota = Rota(
        [
            pattern(id=1, volunteer_id=10),
            pattern(id=2, volunteer_id=11),
            pattern(id=3, volunteer_id=12, motives=frozenset({TRAITANT})),
        ]
    )
    accepted = {10: frozenset({DOMICILE}), 11: frozenset({TRAITANT}), 12: frozenset({DOMICILE, TRAITANT})}

    found = on_duty_for_motive(rota, paris(2026, 5, 9, 22), DOMICILE, accepted, NO_HOLIDAYS, PARIS)

    assert [o.volunteer_id for o in found] == [10]


def test_a_replacement_covers_the_substitutes_motives() -> None:
    rota = Rota([pattern(volunteer_id=10)], replacements=[Replacement(1, date(2026, 5, 9), 20)])
    accepted = {10: frozenset({DOMICILE}), 20: frozenset({TRAITANT})}

    assert on_duty_for_motive(rota, paris(2026, 5, 9, 22), DOMICILE, accepted, NO_HOLIDAYS) == []
    assert len(on_duty_for_motive(rota, paris(2026, 5, 9, 22), TRAITANT, accepted, NO_HOLIDAYS)) == 1


# -- coverage gaps --------------------------------------------------------------------------------------


def test_coverage_gaps_are_the_open_hours_nobody_covers_for_the_motive() -> None:
    rota = Rota(
        [
            pattern(id=1, volunteer_id=10, weekdays=frozenset({MON}), start=time(8), end=time(12)),
            pattern(id=2, volunteer_id=11, weekdays=frozenset({MON}), start=time(11), end=time(14)),
            pattern(id=3, volunteer_id=12, weekdays=frozenset({MON}), start=time(16), end=time(18)),
        ]
    )
    accepted = {10: frozenset({DOMICILE}), 11: frozenset({DOMICILE}), 12: frozenset({TRAITANT})}
    occurrences = rota.occurrences(paris(2026, 5, 11), paris(2026, 5, 12), NO_HOLIDAYS)
    open_hours = [(paris(2026, 5, 11, 8), paris(2026, 5, 11, 20))]

    assert coverage_gaps(occurrences, open_hours, DOMICILE, accepted) == [
        (paris(2026, 5, 11, 14), paris(2026, 5, 11, 20))
    ]
    assert coverage_gaps(occurrences, open_hours, TRAITANT, accepted) == [
        (paris(2026, 5, 11, 8), paris(2026, 5, 11, 16)),
        (paris(2026, 5, 11, 18), paris(2026, 5, 11, 20)),
    ]


def test_coverage_gaps_merge_touching_open_intervals_and_sort_them() -> None:
    open_hours = [
        (utc(2026, 5, 12, 8), utc(2026, 5, 12, 12)),
        (utc(2026, 5, 11, 14), utc(2026, 5, 11, 18)),
        (utc(2026, 5, 11, 8), utc(2026, 5, 11, 14)),
    ]

    assert coverage_gaps([], open_hours, DOMICILE, {}) == [
        (utc(2026, 5, 11, 8), utc(2026, 5, 11, 18)),
        (utc(2026, 5, 12, 8), utc(2026, 5, 12, 12)),
    ]


def test_one_long_occurrence_covers_several_open_intervals() -> None:
    shift = OneOffShift(1, 10, utc(2026, 5, 11, 9), utc(2026, 5, 12, 10))
    occurrences = Rota(one_off_shifts=[shift]).occurrences(utc(2026, 5, 1), utc(2026, 6, 1), NO_HOLIDAYS)
    open_hours = [(utc(2026, 5, 11, 8), utc(2026, 5, 11, 12)), (utc(2026, 5, 12, 8), utc(2026, 5, 12, 12))]

    assert coverage_gaps(occurrences, open_hours, DOMICILE, {10: frozenset({DOMICILE})}) == [
        (utc(2026, 5, 11, 8), utc(2026, 5, 11, 9)),
        (utc(2026, 5, 12, 10), utc(2026, 5, 12, 12)),
    ]


# -- next shifts ----------------------------------------------------------------------------------------


def test_next_shifts_lists_the_next_three_including_replacements_taken() -> None:
    rota = Rota(
        [
            pattern(id=1, volunteer_id=10, weekdays=frozenset({SAT})),
            pattern(id=2, volunteer_id=30, weekdays=frozenset({TUE}), start=time(8), end=time(12)),
        ],
        [OneOffShift(7, 10, paris(2026, 5, 13, 9), paris(2026, 5, 13, 11))],
        cancellations=[Cancellation(1, date(2026, 5, 16))],
        replacements=[Replacement(2, date(2026, 5, 19), 10)],
    )

    found = next_shifts(rota, 10, paris(2026, 5, 10, 12), 3, NO_HOLIDAYS, PARIS)

    assert [(o.starts_at, o.pattern_id, o.shift_id) for o in found] == [
        (paris(2026, 5, 13, 9), None, 7),
        (paris(2026, 5, 19, 8), 2, None),
        (paris(2026, 5, 23, 20), 1, None),
    ]
    assert 10 not in {o.volunteer_id for o in next_shifts(rota, 30, paris(2026, 5, 10), 3, NO_HOLIDAYS)}


def test_next_shifts_leaves_out_the_shift_in_progress() -> None:
    rota = Rota([pattern()])

    found = next_shifts(rota, 10, paris(2026, 5, 9, 22), 1, NO_HOLIDAYS)

    assert [o.starts_at for o in found] == [paris(2026, 5, 16, 20)]


def test_next_shifts_looks_four_hundred_days_ahead_and_no_further() -> None:
    after = paris(2026, 1, 1)
    near = Rota([pattern(valid_from=date(2027, 1, 5))])  # Saturdays 9, 16, 23 January: 373 to 387 days
    far = Rota([pattern(valid_from=date(2027, 2, 6))])  # 401 days ahead

    assert len(next_shifts(near, 10, after, 3, NO_HOLIDAYS)) == 3
    assert next_shifts(far, 10, after, 3, NO_HOLIDAYS) == []


# -- on_duty agrees with occurrences --------------------------------------------------------------------

MOTIVE_SETS = st.frozensets(st.sampled_from([DOMICILE, TRAITANT, "orientation"]))


TIMES = st.sampled_from([time(0), time(1, 30), time(2), time(2, 30), time(3), time(8), time(12), time(20)])


@st.composite
def patterns(draw: st.DrawFn, index: int) -> WeeklyPattern:
    valid_from = draw(st.dates(date(2026, 3, 20), date(2026, 11, 1)))
    until = draw(st.none() | st.integers(0, 30))
    return WeeklyPattern(
        id=index,
        volunteer_id=draw(st.integers(1, 4)),
        motives=draw(MOTIVE_SETS),
        weekdays=draw(st.frozensets(st.integers(0, 6), min_size=1)),
        start=draw(TIMES),
        end=draw(TIMES),
        valid_from=valid_from,
        valid_until=None if until is None else valid_from + timedelta(days=until),
        holidays=draw(st.sampled_from(["include", "skip", "only"])),
    )


@st.composite
def rotas(draw: st.DrawFn) -> Rota:
    count = draw(st.integers(1, 6))
    drawn = [draw(patterns(i)) for i in range(1, count + 1)]
    days = st.dates(date(2026, 3, 20), date(2026, 11, 1))
    cancellations = [Cancellation(draw(st.integers(1, count)), day) for day in draw(st.lists(days, max_size=3))]
    replacements = {
        (pid, day): Replacement(pid, day, draw(st.integers(5, 6)))
        for pid, day in draw(st.lists(st.tuples(st.integers(1, count), days), max_size=3))
    }
    shifts = []
    for i in range(draw(st.integers(0, 2))):
        start = draw(st.datetimes(datetime(2026, 3, 25), datetime(2026, 11, 1), timezones=st.just(UTC)))
        length = timedelta(minutes=draw(st.integers(1, 3000)))
        shifts.append(OneOffShift(i, draw(st.integers(1, 4)), start, start + length))
    return Rota(drawn, shifts, cancellations, replacements.values())


# Instants clustered around both 2026 changes, where the fast path gives way to the exact one.
INSTANTS = st.one_of(
    st.datetimes(datetime(2026, 3, 26), datetime(2026, 4, 1), timezones=st.just(UTC)),
    st.datetimes(datetime(2026, 10, 22), datetime(2026, 10, 28), timezones=st.just(UTC)),
    st.datetimes(datetime(2026, 4, 1), datetime(2026, 10, 22), timezones=st.just(UTC)),
    st.sampled_from([utc(2026, 3, 29, 1), utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1), utc(2026, 10, 25, 1, 30)]),
)


@settings(max_examples=200, deadline=None)
@given(rota=rotas(), at=INSTANTS, holiday_days=st.frozensets(st.dates(date(2026, 3, 20), date(2026, 11, 1))))
def test_on_duty_equals_the_occurrences_containing_the_instant(
    rota: Rota, at: datetime, holiday_days: frozenset[date]
) -> None:
    calendar = FakeHolidays(holiday_days | {EASTER_MONDAY, BASTILLE_DAY})
    window = rota.occurrences(at - timedelta(days=2), at + timedelta(days=2), calendar)

    assert rota.on_duty(at, calendar) == [o for o in window if o.contains(at)]


@settings(max_examples=100, deadline=None)
@given(rota=rotas(), at=INSTANTS)
def test_every_pattern_occurrence_is_a_non_empty_interval_of_at_most_twenty_five_hours(
    rota: Rota, at: datetime
) -> None:
    for occ in rota.occurrences(at, at + timedelta(days=3), NO_HOLIDAYS):
        if occ.pattern_id is not None:
            assert timedelta(0) < occ.ends_at - occ.starts_at <= timedelta(hours=25)


@settings(max_examples=100, deadline=None)
@given(
    rota=rotas(),
    at=INSTANTS,
    motive=st.sampled_from([DOMICILE, TRAITANT]),
    accepted=st.dictionaries(st.integers(1, 6), MOTIVE_SETS),
)
def test_on_duty_for_motive_equals_on_duty_filtered_by_covers(
    rota: Rota, at: datetime, motive: str, accepted: dict[int, frozenset[str]]
) -> None:
    everyone = rota.on_duty(at, FRENCH_2026)

    assert on_duty_for_motive(rota, at, motive, accepted, FRENCH_2026) == [
        o for o in everyone if covers(o, motive, accepted)
    ]
