"""Pure pieces of the rota's edges: pattern words, reminder times and settings, the gap summary lines."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orientation.core.times_of_day import PatternValueError, parse_hhmm
from volunteers.patterns import occurs_on, parse_holidays, parse_weekdays
from volunteers.reminders import (
    ReminderSettings,
    day_label,
    gaps_summary_entries,
    reminder_settings,
    reminder_times,
    reminders_due,
)
from volunteers.shifts import PARIS, Occurrence, local_span_utc

DAY_NAMES = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]


# ---------------------------------------------------------------- pattern words


@pytest.mark.parametrize(
    ("written", "days"),
    [
        ("Mo-Fr", [0, 1, 2, 3, 4]),
        ("Sa-Mo", [0, 5, 6]),
        ("Tu,Th", [1, 3]),
        ("mardi jeudi", [1, 3]),
        ("0|6", [0, 6]),
        (["We", 4, "sunday"], [2, 4, 6]),
    ],
)
def test_weekdays_are_read_as_people_write_them(written: str | list[str | int], days: list[int]) -> None:
    assert parse_weekdays(written) == days


@pytest.mark.parametrize("written", ["", "Xx", "M", "7", [7], [True], "Mo-Xx"])
def test_a_day_that_is_not_one_is_refused(written: str | list[str | int]) -> None:
    with pytest.raises(PatternValueError):
        parse_weekdays(written)


@given(st.sets(st.integers(0, 6), min_size=1), st.randoms(use_true_random=False))
@settings(max_examples=100, deadline=None)
def test_any_set_of_day_names_in_any_order_gives_its_sorted_numbers(days: set[int], rng: object) -> None:
    names = [DAY_NAMES[d] for d in days]
    rng.shuffle(names)  # type: ignore[attr-defined]
    assert parse_weekdays(" ".join(names)) == sorted(days)


@pytest.mark.parametrize(
    ("written", "hhmm"), [("09:00", "09:00"), ("9:30", "09:30"), ("20h", "20:00"), ("7h15", "07:15")]
)
def test_times_are_normalised_to_hh_mm(written: str, hhmm: str) -> None:
    assert parse_hhmm(written) == hhmm


@pytest.mark.parametrize("written", ["24:00", "12:60", "noon", "", "9"])
def test_a_time_outside_the_day_is_refused(written: str) -> None:
    with pytest.raises(PatternValueError):
        parse_hhmm(written)


def test_holiday_rules_default_to_include_and_refuse_anything_else() -> None:
    assert parse_holidays("") == "include" and parse_holidays(" SKIP ") == "skip"
    with pytest.raises(PatternValueError):
        parse_holidays("sometimes")


def test_a_pattern_occurs_on_its_weekdays_within_its_bounds_only() -> None:
    assert occurs_on([1], date(2026, 12, 1), date(2027, 6, 30), date(2026, 12, 8))
    assert not occurs_on([1], date(2026, 12, 1), date(2027, 6, 30), date(2026, 12, 9))
    assert not occurs_on([1], date(2026, 12, 1), date(2027, 6, 30), date(2027, 7, 6))
    assert not occurs_on([1], date(2026, 12, 1), None, date(2026, 11, 24))


def test_a_one_off_night_typed_in_wall_clock_lasts_eleven_hours_in_march() -> None:
    start, end = local_span_utc(date(2026, 3, 28), time(20), time(8))
    assert end - start == timedelta(hours=11)


# ---------------------------------------------------------------- reminders


def _occurrence(day: date, start: time = time(9), end: time = time(12), volunteer_id: int = 7) -> Occurrence:
    starts_at, ends_at = local_span_utc(day, start, end)
    return Occurrence(volunteer_id, starts_at, ends_at, pattern_id=3)


def test_by_default_a_shift_is_reminded_the_evening_before_at_six_and_an_hour_before() -> None:
    times = reminder_times(_occurrence(date(2026, 11, 25)), ReminderSettings())
    assert times == [
        (datetime(2026, 11, 24, 18, tzinfo=PARIS), "day_before"),
        (datetime(2026, 11, 25, 8, tzinfo=PARIS), "60min"),
    ]


def test_an_evening_shift_has_no_day_before_reminder_after_it_starts() -> None:
    late = ReminderSettings(day_before_at=time(23, 30), minutes_before=(60 * 26,))
    times = reminder_times(_occurrence(date(2026, 11, 25), time(0, 15), time(6)), late)
    assert [rule for _, rule in times] == ["1560min", "day_before"]
    assert all(at < datetime(2026, 11, 25, 0, 15, tzinfo=PARIS) for at, _ in times)


def test_the_reminder_the_evening_before_the_spring_change_is_at_six_local_time() -> None:
    times = reminder_times(_occurrence(date(2026, 3, 29)), ReminderSettings())
    assert times[0] == (datetime(2026, 3, 28, 18, tzinfo=PARIS), "day_before")
    assert times[1][0] == datetime(2026, 3, 29, 8, tzinfo=PARIS)


def test_only_the_latest_due_reminder_is_sent_and_none_once_the_shift_started() -> None:
    shift = _occurrence(date(2026, 11, 25))
    due = reminders_due([shift], ReminderSettings(), datetime(2026, 11, 25, 8, 10, tzinfo=PARIS))
    assert [d.rule for d in due] == ["60min"]
    assert due[0].key == "shift:pattern-3-20261125@orientation.cpts:v7:60min"
    assert reminders_due([shift], ReminderSettings(), datetime(2026, 11, 25, 9, 0, tzinfo=PARIS)) == []
    assert reminders_due([shift], ReminderSettings(), datetime(2026, 11, 24, 17, 59, tzinfo=PARIS)) == []


@given(
    st.integers(0, 400),
    st.integers(0, 23),
    st.lists(st.integers(1, 3 * 24 * 60), min_size=1, max_size=40),
    st.sampled_from([ReminderSettings(), ReminderSettings(day_before_at=time(20), minutes_before=(30, 120))]),
)
@settings(max_examples=200, deadline=None)
def test_a_clock_ticking_at_any_times_sends_each_reminder_at_most_once_and_always_before_the_shift(
    day_offset: int, hour: int, steps: list[int], choice: ReminderSettings
) -> None:
    shift = _occurrence(date(2026, 1, 1) + timedelta(days=day_offset), time(hour), time((hour + 3) % 24))
    sent: dict[str, datetime] = {}
    now = shift.starts_at - timedelta(days=3)
    for minutes in steps:
        now += timedelta(minutes=minutes)
        for reminder in reminders_due([shift], choice, now):
            assert reminder.due_at <= now < shift.starts_at
            if reminder.key not in sent:  # what sent_reminders does
                sent[reminder.key] = now
    assert len(sent) <= 1 + len(choice.minutes_before)
    assert all(at < shift.starts_at for at in sent.values())


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ReminderSettings()),
        ({"reminders": "tomorrow"}, ReminderSettings()),
        ({"reminders": {"day_before_at": "19:30"}}, ReminderSettings(day_before_at=time(19, 30))),
        (
            {"reminders": {"day_before_at": None, "minutes_before": []}},
            ReminderSettings(day_before_at=None, minutes_before=()),
        ),
        ({"reminders": {"minutes_before": 30}}, ReminderSettings(minutes_before=(30,))),
        ({"reminders": {"minutes_before": [30, 120, 30, -5]}}, ReminderSettings(minutes_before=(120, 30))),
        ({"reminders": {"day_before_at": "25:00", "minutes_before": "often"}}, ReminderSettings()),
        ({"reminders": {"enabled": False}}, ReminderSettings(enabled=False)),
        ({"reminders": {"gaps_summary_at": None, "gaps_summary_days": 99}}, ReminderSettings(gaps_summary_at=None)),
    ],
)
def test_reminder_settings_fall_back_to_defaults_for_what_is_absent_or_wrong(
    raw: dict[str, object] | None, expected: ReminderSettings
) -> None:
    assert reminder_settings(raw) == expected


@given(st.dictionaries(st.text(max_size=20), st.none() | st.booleans() | st.integers() | st.text(max_size=10)))
@settings(max_examples=100, deadline=None)
def test_no_settings_value_makes_reminders_fail(raw: dict[str, object]) -> None:
    parsed = reminder_settings({"reminders": raw})
    assert all(0 < m <= 7 * 24 * 60 for m in parsed.minutes_before)


def test_a_disabled_territory_has_no_reminder_times() -> None:
    assert reminder_times(_occurrence(date(2026, 11, 25)), ReminderSettings(enabled=False)) == []


# ---------------------------------------------------------------- words of the SMS


def test_days_are_today_tomorrow_or_a_french_date() -> None:
    today = date(2026, 11, 24)
    assert day_label(datetime(2026, 11, 24, 20, tzinfo=PARIS), today) == "aujourd'hui"
    assert day_label(datetime(2026, 11, 25, 9, tzinfo=PARIS), today) == "demain"
    assert day_label(datetime(2026, 11, 28, 9, tzinfo=PARIS), today) == "le sam. 28/11"


def test_gap_lines_merge_the_motives_of_one_gap_and_name_both_days_of_a_night() -> None:
    day = (datetime(2026, 11, 25, 13, tzinfo=UTC), datetime(2026, 11, 25, 19, tzinfo=UTC))
    night = (datetime(2026, 11, 27, 19, tzinfo=UTC), datetime(2026, 11, 28, 7, tzinfo=UTC))
    evening = (datetime(2026, 11, 26, 19, tzinfo=UTC), datetime(2026, 11, 26, 23, tzinfo=UTC))
    gaps = {"a": [day, night], "b": [day], "c": [evening]}
    assert gaps_summary_entries(gaps, {"a": "visite", "b": "soins"}) == [
        "mer. 25/11 14:00–20:00 (visite, soins)",
        "jeu. 26/11 20:00–00:00 (c)",
        "ven. 27/11 20:00 → sam. 28/11 08:00 (visite)",
    ]
    assert gaps_summary_entries({"a": [day], "b": [day]}, {}) == ["mer. 25/11 14:00–20:00 (tous motifs)"]
    assert gaps_summary_entries({"a": [], "b": []}, {}) == []
