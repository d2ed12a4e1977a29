"""Opening hours: the supported OSM subset, evaluation in Paris wall-clock time, holidays and DST."""

import dataclasses
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orientation.core.calendar import PARIS, StaticHolidays, french_public_holidays
from orientation.core.opening_hours import (
    HORIZON,
    OpeningHoursError,
    is_always_open,
    is_open,
    next_change,
    next_opening,
    open_intervals,
    parse_opening_hours,
)

FR = french_public_holidays()
NO_HOLIDAYS = StaticHolidays()
OFFICE = "Mo-Fr 08:00-20:00; Sa 08:00-12:00; PH off"


def paris(year, month, day, hour=0, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def utc(year, month, day, hour=0, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def open_at(text, at, holidays=FR):
    return is_open(parse_opening_hours(text), at, holidays)


# 2026 landmarks: Monday 5 January, Easter Monday 6 April, Friday 8 May, Tuesday 14 July,
# DST starts Sunday 29 March and ends Sunday 25 October.


# --- syntax -----------------------------------------------------------------------------------------


def test_the_parsed_value_gives_back_the_original_text_and_cannot_be_changed():
    text = "Mo-Fr 08:00-12:00,14:00-19:00;  PH off"
    hours = parse_opening_hours(text)
    assert str(hours) == text
    assert hours.text == text
    with pytest.raises(dataclasses.FrozenInstanceError):
        hours.text = "24/7"  # type: ignore[misc]


def test_24_7_is_always_open_and_never_changes():
    hours = parse_opening_hours("24/7")
    assert is_always_open(hours)
    assert is_open(hours, paris(2026, 12, 25, 3), FR)
    assert next_change(hours, paris(2026, 1, 5), FR) is None
    assert next_opening(hours, paris(2026, 1, 5), FR) == paris(2026, 1, 5)


@pytest.mark.parametrize("text", ["off", "closed", "Mo-Su off", "Mo-Fr 08:00-12:00; off"])
def test_off_and_closed_are_never_open_and_never_open_later(text):
    hours = parse_opening_hours(text)
    assert not is_always_open(hours)
    assert not is_open(hours, paris(2026, 1, 5, 10), FR)
    assert next_change(hours, paris(2026, 1, 5, 10), FR) is None
    assert next_opening(hours, paris(2026, 1, 5, 10), FR) is None
    assert open_intervals(hours, paris(2026, 1, 1), paris(2026, 2, 1), FR) == []


def test_office_hours_open_and_close_on_the_minute():
    assert not open_at(OFFICE, paris(2026, 1, 5, 7, 59))
    assert open_at(OFFICE, paris(2026, 1, 5, 8))
    assert open_at(OFFICE, paris(2026, 1, 5, 19, 59))
    assert not open_at(OFFICE, paris(2026, 1, 5, 20))


def test_saturday_has_its_own_morning_hours_and_sunday_is_closed():
    assert open_at(OFFICE, paris(2026, 1, 10, 11, 59))
    assert not open_at(OFFICE, paris(2026, 1, 10, 12))
    assert not open_at(OFFICE, paris(2026, 1, 11, 10))


@pytest.mark.parametrize(
    "holiday",
    [paris(2026, 4, 6, 10), paris(2026, 5, 8, 10), paris(2026, 7, 14, 10), paris(2026, 5, 14, 10)],
    ids=["easter-monday", "8-may", "14-july", "ascension"],
)
def test_a_weekday_public_holiday_is_closed_by_ph_off(holiday):
    assert not open_at(OFFICE, holiday)
    assert open_at(OFFICE, holiday, NO_HOLIDAYS)
    assert open_at(OFFICE, holiday + timedelta(days=7))


def test_alsace_moselle_closes_on_good_friday_but_the_rest_of_france_does_not():
    good_friday = paris(2026, 4, 3, 10)
    assert not open_at(OFFICE, good_friday, french_public_holidays("57"))
    assert open_at(OFFICE, good_friday, FR)


def test_alsace_moselle_closes_on_saint_stephen_saturday():
    saint_stephen = paris(2026, 12, 26, 10)  # a Saturday
    assert not open_at(OFFICE, saint_stephen, french_public_holidays("6AE"))
    assert open_at(OFFICE, saint_stephen, FR)


def test_comma_separated_time_ranges_leave_a_lunch_break():
    text = "Mo-Fr 08:00-12:00,14:00-19:00; PH off"
    assert open_at(text, paris(2026, 1, 6, 11))
    assert not open_at(text, paris(2026, 1, 6, 13))
    assert open_at(text, paris(2026, 1, 6, 14))
    assert not open_at(text, paris(2026, 1, 6, 19))


def test_a_weekday_list_selects_only_the_listed_days():
    text = "Mo,We,Fr 09:00-17:00"
    opened = [open_at(text, paris(2026, 1, 5 + offset, 10)) for offset in range(7)]
    assert opened == [True, False, True, False, True, False, False]


def test_a_weekday_range_can_wrap_around_the_end_of_the_week():
    text = "Sa-Mo 10:00-12:00"
    opened = [open_at(text, paris(2026, 1, 5 + offset, 11)) for offset in range(7)]
    assert opened == [True, False, False, False, False, True, True]


def test_a_later_rule_replaces_the_hours_of_earlier_rules_on_its_days():
    text = "Mo-Fr 08:00-20:00; We 14:00-16:00"
    assert not open_at(text, paris(2026, 1, 7, 10))
    assert open_at(text, paris(2026, 1, 7, 15))
    assert open_at(text, paris(2026, 1, 8, 10))


def test_rule_order_decides_between_a_weekday_rule_and_ph():
    assert open_at("PH off; Mo-Fr 08:00-20:00", paris(2026, 4, 6, 10))
    assert not open_at("Mo-Fr 08:00-20:00; PH off", paris(2026, 4, 6, 10))


def test_ph_with_times_gives_holidays_their_own_hours():
    text = "Mo-Fr 08:00-20:00; PH 09:00-12:00"
    assert open_at(text, paris(2026, 4, 6, 10))
    assert not open_at(text, paris(2026, 4, 6, 13))
    assert open_at(text, paris(2026, 4, 7, 13))


def test_ph_alone_opens_only_on_public_holidays():
    text = "PH 09:00-12:00"
    assert open_at(text, paris(2026, 11, 1, 10))  # All Saints' Day, a Sunday
    assert not open_at(text, paris(2026, 11, 8, 10))


def test_ph_in_a_day_list_adds_holidays_to_the_weekdays():
    text = "Mo-Fr,PH 10:00-12:00"
    assert open_at(text, paris(2026, 11, 1, 11))  # a Sunday holiday
    assert not open_at(text, paris(2026, 11, 8, 11))
    assert open_at(text, paris(2026, 11, 9, 11))


def test_days_without_times_are_open_all_day():
    for text in ("Sa-Su", "Sa-Su open"):
        assert open_at(text, paris(2026, 1, 10, 0))
        assert open_at(text, paris(2026, 1, 11, 23, 59))
        assert not open_at(text, paris(2026, 1, 12, 0))


def test_times_without_days_apply_to_every_day_including_holidays():
    assert open_at("08:00-12:00", paris(2026, 12, 25, 9))
    assert not open_at("08:00-12:00", paris(2026, 12, 25, 13))


def test_keywords_and_days_are_read_case_insensitively_and_spaces_are_free():
    spaced = parse_opening_hours("mo - fr 08:00 - 12:00 , 14:00 - 18:00 ; ph OFF ;")
    compact = parse_opening_hours("Mo-Fr 08:00-12:00,14:00-18:00; PH off")
    assert spaced.rules == compact.rules


def test_24_00_closes_at_midnight_and_00_00_to_24_00_is_the_whole_day():
    assert open_at("Mo 18:00-24:00", paris(2026, 1, 5, 23, 59))
    assert not open_at("Mo 18:00-24:00", paris(2026, 1, 6, 0))
    assert is_always_open(parse_opening_hours("Mo-Su 00:00-24:00"))


def test_a_day_missing_from_a_full_week_breaks_always_open():
    hours = parse_opening_hours("Mo-Sa 00:00-24:00")
    assert not is_always_open(hours)
    assert next_change(hours, paris(2026, 1, 5, 10), FR) == paris(2026, 1, 11).astimezone(UTC)


def test_ph_off_breaks_always_open():
    assert not is_always_open(parse_opening_hours("24/7; PH off"))


def test_overnight_ranges_that_cover_every_hour_are_always_open():
    assert is_always_open(parse_opening_hours("Mo-Su 12:00-36:00"))
    assert is_always_open(parse_opening_hours("Mo-Su 08:00-20:00,20:00-08:00"))


# --- overnight ----------------------------------------------------------------------------------------


def test_an_overnight_range_spills_into_the_next_morning():
    text = "Mo-Fr 20:00-08:00"
    assert open_at(text, paris(2026, 1, 9, 23))  # Friday night
    assert open_at(text, paris(2026, 1, 10, 7, 59))  # Saturday morning, still Friday's night
    assert not open_at(text, paris(2026, 1, 10, 8))
    assert not open_at(text, paris(2026, 1, 10, 21))  # Saturday night is not selected
    assert not open_at(text, paris(2026, 1, 12, 3))  # neither is Sunday night
    assert open_at(text, paris(2026, 1, 12, 21))


def test_a_later_rule_for_the_next_day_replaces_the_morning_of_the_night_as_in_opening_hours_js():
    text = "Mo-Fr 20:00-08:00; Sa off"
    assert open_at(text, paris(2026, 1, 9, 23, 59))
    assert not open_at(text, paris(2026, 1, 10, 0))  # Saturday is "off", its 00:00-08:00 included
    assert open_at(text, paris(2026, 1, 9, 7))  # Friday morning, Thursday's night: Friday is not overridden


def test_opening_hours_js_reference_week_for_a_night_rule_overwritten_on_tuesday():
    # opening_hours.js test/test.js, "Time ranges spanning midnight with date overwriting", week of 1 Oct 2012.
    hours = parse_opening_hours("22:00-02:00; Tu 12:00-14:00")
    intervals = open_intervals(hours, paris(2012, 10, 1), paris(2012, 10, 8), NO_HOLIDAYS)
    local = [(low.astimezone(PARIS).replace(tzinfo=None), high.astimezone(PARIS).replace(tzinfo=None))
             for low, high in intervals]  # fmt: skip

    def day(number, hour):
        return datetime(2012, 10, number, hour)

    assert local == [
        (day(1, 0), day(1, 2)),
        (day(1, 22), day(2, 0)),
        (day(2, 12), day(2, 14)),
        (day(3, 0), day(3, 2)),
        (day(3, 22), day(4, 2)),
        (day(4, 22), day(5, 2)),
        (day(5, 22), day(6, 2)),
        (day(6, 22), day(7, 2)),
        (day(7, 22), day(8, 0)),
    ]


def test_the_night_after_a_weekday_holiday_still_ends_at_eight():
    # Thursday 14 May 2026 is Ascension Day.
    text = "Mo-Fr 20:00-08:00; Sa-Su,PH 00:00-24:00"
    assert FR.is_holiday(date(2026, 5, 14))
    assert open_at(text, paris(2026, 5, 14, 12))  # the holiday itself, all day
    assert open_at(text, paris(2026, 5, 15, 3))  # the morning after it: Thursday is Mo-Fr, its night runs on
    assert open_at(text, paris(2026, 5, 15, 7, 59))
    assert not open_at(text, paris(2026, 5, 15, 8))
    hours = parse_opening_hours(text)
    intervals = open_intervals(hours, paris(2026, 5, 13, 12), paris(2026, 5, 15, 12), FR)
    assert intervals == [(utc(2026, 5, 13, 18), utc(2026, 5, 15, 6))]


def test_a_later_night_rule_adds_its_morning_to_the_next_day_hours():
    text = "Tu 08:00-12:00; Mo 22:00-02:00"
    assert open_at(text, paris(2026, 1, 6, 1))
    assert open_at(text, paris(2026, 1, 6, 9))
    assert not open_at(text, paris(2026, 1, 6, 3))


def test_an_off_day_closes_its_own_hours_but_not_the_morning_after_it():
    # As opening_hours.js: the night rule still selects Monday by its days; "Mo off" only overrides Monday.
    text = "Mo-Su 22:00-02:00; Mo off"
    assert not open_at(text, paris(2026, 1, 5, 1))  # Monday 01:00: Monday is off, Sunday's night included
    assert not open_at(text, paris(2026, 1, 5, 23))
    assert open_at(text, paris(2026, 1, 6, 1))


def test_an_end_past_24_00_closes_on_the_next_day():
    text = "Fr 20:00-26:00"
    assert open_at(text, paris(2026, 1, 10, 1, 59))
    assert not open_at(text, paris(2026, 1, 10, 2))
    assert parse_opening_hours(text).rules == parse_opening_hours("Fr 20:00-02:00").rules


def test_a_night_is_one_interval_in_open_intervals():
    hours = parse_opening_hours("Mo-Fr 20:00-08:00")
    intervals = open_intervals(hours, paris(2026, 1, 9, 12), paris(2026, 1, 10, 12), NO_HOLIDAYS)
    assert intervals == [(utc(2026, 1, 9, 19), utc(2026, 1, 10, 7))]


def test_ranges_either_side_of_midnight_merge_into_one_interval():
    hours = parse_opening_hours("Mo-Su 00:00-08:00,20:00-24:00")
    intervals = open_intervals(hours, paris(2026, 1, 5, 12), paris(2026, 1, 6, 12), NO_HOLIDAYS)
    assert intervals == [(utc(2026, 1, 5, 19), utc(2026, 1, 6, 7))]


# --- daylight-saving time -------------------------------------------------------------------------------


def test_the_spring_forward_sunday_is_open_23_hours():
    hours = parse_opening_hours("Su 00:00-24:00")
    intervals = open_intervals(hours, paris(2026, 3, 28), paris(2026, 3, 31), NO_HOLIDAYS)
    assert intervals == [(utc(2026, 3, 28, 23), utc(2026, 3, 29, 22))]
    assert intervals[0][1] - intervals[0][0] == timedelta(hours=23)


def test_the_fall_back_sunday_is_open_25_hours():
    hours = parse_opening_hours("Su 00:00-24:00")
    intervals = open_intervals(hours, paris(2026, 10, 24), paris(2026, 10, 27), NO_HOLIDAYS)
    assert intervals == [(utc(2026, 10, 24, 22), utc(2026, 10, 25, 23))]
    assert intervals[0][1] - intervals[0][0] == timedelta(hours=25)


def test_a_night_across_spring_forward_lasts_eleven_hours():
    hours = parse_opening_hours("Mo-Su 20:00-08:00")
    intervals = open_intervals(hours, paris(2026, 3, 28, 12), paris(2026, 3, 29, 12), NO_HOLIDAYS)
    assert intervals == [(utc(2026, 3, 28, 19), utc(2026, 3, 29, 6))]
    assert intervals[0][1] - intervals[0][0] == timedelta(hours=11)


def test_a_night_across_fall_back_lasts_thirteen_hours():
    hours = parse_opening_hours("Mo-Su 20:00-08:00")
    intervals = open_intervals(hours, paris(2026, 10, 24, 12), paris(2026, 10, 25, 12), NO_HOLIDAYS)
    assert intervals == [(utc(2026, 10, 24, 18), utc(2026, 10, 25, 7))]
    assert intervals[0][1] - intervals[0][0] == timedelta(hours=13)


def test_a_range_inside_the_skipped_spring_hour_never_opens():
    hours = parse_opening_hours("Su 02:00-03:00")
    assert open_intervals(hours, paris(2026, 3, 29), paris(2026, 3, 30), NO_HOLIDAYS) == []
    assert len(open_intervals(hours, paris(2026, 4, 5), paris(2026, 4, 6), NO_HOLIDAYS)) == 1


def test_a_range_ending_inside_the_skipped_hour_closes_when_the_clock_jumps():
    hours = parse_opening_hours("Su 01:30-02:30")
    intervals = open_intervals(hours, paris(2026, 3, 29), paris(2026, 3, 30), NO_HOLIDAYS)
    assert intervals == [(utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1))]


def test_the_repeated_autumn_hour_is_open_both_times_the_clock_shows_it():
    hours = parse_opening_hours("Su 00:00-02:30")
    intervals = open_intervals(hours, paris(2026, 10, 25), paris(2026, 10, 26), NO_HOLIDAYS)
    assert intervals == [
        (utc(2026, 10, 24, 22), utc(2026, 10, 25, 0, 30)),
        (utc(2026, 10, 25, 1), utc(2026, 10, 25, 1, 30)),
    ]
    assert is_open(hours, utc(2026, 10, 25, 0, 15), NO_HOLIDAYS)  # 02:15 summer time
    assert not is_open(hours, utc(2026, 10, 25, 0, 45), NO_HOLIDAYS)  # 02:45 summer time
    assert is_open(hours, utc(2026, 10, 25, 1, 15), NO_HOLIDAYS)  # 02:15 winter time
    assert not is_open(hours, utc(2026, 10, 25, 1, 45), NO_HOLIDAYS)  # 02:45 winter time


def test_the_next_opening_after_a_dst_night_is_at_local_wall_clock_time():
    hours = parse_opening_hours("Mo-Su 08:00-20:00")
    assert next_opening(hours, paris(2026, 3, 28, 21), NO_HOLIDAYS) == utc(2026, 3, 29, 6)
    assert next_opening(hours, paris(2026, 10, 24, 21), NO_HOLIDAYS) == utc(2026, 10, 25, 7)


def test_the_instant_decides_not_the_time_zone_it_is_written_in():
    hours = parse_opening_hours(OFFICE)
    instant = paris(2026, 1, 5, 8, 30)
    for zone in (UTC, ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo")):
        assert is_open(hours, instant.astimezone(zone), FR)
        assert next_change(hours, instant.astimezone(zone), FR) == utc(2026, 1, 5, 19)


def test_hours_can_be_evaluated_in_another_time_zone():
    hours = parse_opening_hours("Mo-Fr 08:00-20:00")
    reunion = ZoneInfo("Indian/Reunion")  # UTC+4, no DST
    assert is_open(hours, utc(2026, 1, 5, 5), NO_HOLIDAYS, tz=reunion)
    assert not is_open(hours, utc(2026, 1, 5, 5), NO_HOLIDAYS)
    assert next_change(hours, utc(2026, 1, 5, 5), NO_HOLIDAYS, tz=reunion) == utc(2026, 1, 5, 16)


def test_a_naive_datetime_is_refused():
    hours = parse_opening_hours("24/7")
    with pytest.raises(ValueError, match="timezone-aware"):
        is_open(hours, datetime(2026, 1, 5, 10), FR)
    with pytest.raises(ValueError, match="timezone-aware"):
        open_intervals(hours, datetime(2026, 1, 5), paris(2026, 1, 6), FR)
    with pytest.raises(ValueError, match="timezone-aware"):
        next_change(hours, datetime(2026, 1, 5, 10), FR)


# --- next change, next opening, intervals ----------------------------------------------------------------


def test_when_closed_on_friday_evening_the_line_opens_on_saturday_morning():
    hours = parse_opening_hours(OFFICE)
    friday_evening = paris(2026, 1, 9, 20, 30)
    assert next_opening(hours, friday_evening, FR) == paris(2026, 1, 10, 8).astimezone(UTC)
    assert next_change(hours, friday_evening, FR) == paris(2026, 1, 10, 8).astimezone(UTC)


def test_when_open_the_next_change_is_closing_time_and_next_opening_is_now():
    hours = parse_opening_hours(OFFICE)
    now = paris(2026, 1, 10, 9, 17)
    assert next_change(hours, now, FR) == paris(2026, 1, 10, 12).astimezone(UTC)
    assert next_opening(hours, now, FR) == now


def test_the_easter_weekend_reopens_on_tuesday():
    hours = parse_opening_hours(OFFICE)
    assert next_opening(hours, paris(2026, 4, 4, 13), FR) == paris(2026, 4, 7, 8).astimezone(UTC)


def test_a_night_line_changes_at_eight_in_the_morning():
    hours = parse_opening_hours("Mo-Su 20:00-08:00")
    assert next_change(hours, paris(2026, 1, 5, 23), FR) == paris(2026, 1, 6, 8).astimezone(UTC)


def test_a_line_open_except_on_holidays_closes_at_christmas_midnight():
    hours = parse_opening_hours("24/7; PH off")
    assert next_change(hours, paris(2026, 12, 24, 10), FR) == paris(2026, 12, 25).astimezone(UTC)
    assert next_change(hours, paris(2026, 12, 25, 10), FR) == paris(2026, 12, 26).astimezone(UTC)


def test_the_next_change_months_away_is_found_across_dst():
    hours = parse_opening_hours("24/7; PH off")
    # Open from 2 January through Easter Sunday: the first change is Easter Monday at midnight.
    assert next_change(hours, paris(2026, 1, 2, 10), FR) == paris(2026, 4, 6).astimezone(UTC)


def test_a_holiday_only_line_next_opens_on_new_years_day():
    hours = parse_opening_hours("PH 09:00-12:00")
    assert next_opening(hours, paris(2026, 12, 26, 10), FR) == paris(2027, 1, 1, 9).astimezone(UTC)


def test_nothing_is_found_beyond_the_horizon():
    far = date(2026, 1, 1) + HORIZON + timedelta(days=30)
    hours = parse_opening_hours("PH 10:00-11:00")
    assert next_opening(hours, paris(2026, 1, 1), StaticHolidays({far: "far away"})) is None


def test_open_intervals_are_clipped_to_the_window_and_in_utc():
    hours = parse_opening_hours(OFFICE)
    intervals = open_intervals(hours, paris(2026, 1, 5, 10), paris(2026, 1, 6, 9), FR)
    assert intervals == [(utc(2026, 1, 5, 9), utc(2026, 1, 5, 19)), (utc(2026, 1, 6, 7), utc(2026, 1, 6, 8))]
    assert all(start.tzinfo is UTC and end.tzinfo is UTC for start, end in intervals)


def test_an_empty_or_reversed_window_has_no_intervals():
    hours = parse_opening_hours("24/7")
    assert open_intervals(hours, paris(2026, 1, 5), paris(2026, 1, 5), FR) == []
    assert open_intervals(hours, paris(2026, 1, 6), paris(2026, 1, 5), FR) == []


def test_a_month_of_office_hours_has_one_interval_per_open_block():
    hours = parse_opening_hours("Mo-Fr 08:00-12:00,14:00-19:00; Sa 08:00-12:00; PH off")
    intervals = open_intervals(hours, paris(2026, 5, 1), paris(2026, 6, 1), FR)
    # May 2026: 21 weekdays minus 4 holidays (1, 8, 14, 25 May) = 17 weekdays with two blocks, 5 Saturdays.
    assert len(intervals) == 17 * 2 + 5
    assert sum((end - start for start, end in intervals), timedelta()) == timedelta(hours=17 * 9 + 5 * 4)


# --- errors ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("Dec 25 off", "'Dec'"),
        ("SH off", "'SH'"),
        ("week 01-53 Mo 10:00-12:00", "'week'"),
        ("sunrise-sunset", "'sunrise'"),
        ("Mo-Fr 8:00-12:00", "'8:00'"),
        ("Mo-Fr 24:00-25:00", "'24:00'"),
        ("Mo-Fr 08:00-12:60", "'12:60'"),
        ("Mo-Fr 08:00-49:00", "'49:00'"),
        ("Mo-Fr 08:00-08:00", "08:00-08:00"),
        ("Fr 02:00-27:00", "longer than 24 hours"),
        ("Mo-Fr 08:00", "'08:00'"),
        ("Mo-Fr 08:00-", "ends too early"),
        ("Mo-Fr 0800-1200", "'0800'"),
        ("Mo-Xy 08:00-12:00", "'Xy'"),
        ("Mo- 08:00-12:00", "'08:00'"),
        ("Mo, 08:00-12:00", "'08:00'"),
        ("Mo-Fr 08:00-12:00, We 14:00-18:00", "'We'"),
        ("Mo-Fr 08:00-12:00 14:00-18:00", "'14:00'"),
        ("Mo-Fr 08:00-12:00 || Sa 10:00-12:00", "'||'"),
        ("Mo 24/7", "'24/7'"),
        ("24/7 off", "'off'"),
        ('Mo-Fr 08:00-12:00 "sur rendez-vous"', "'\"sur'"),
        ("Mo-Fr;;Sa", "rule 2"),
        (";", "empty"),
    ],
)
def test_text_outside_the_subset_is_refused_naming_the_offending_part(text, named):
    with pytest.raises(OpeningHoursError) as error:
        parse_opening_hours(text)
    assert named in str(error.value)
    assert isinstance(error.value, ValueError)
    # The console shows the French message: it names the same part, in French words.
    if named.startswith("'"):
        assert f"« {named[1:-1]} »" in error.value.french
    assert not any(word in error.value.french for word in ("expected", "unexpected", "unsupported", " rule "))


def test_the_error_quotes_the_rule_it_found_the_problem_in():
    with pytest.raises(OpeningHoursError, match=r"rule 'Sa 08:00-1200'"):
        parse_opening_hours("Mo-Fr 08:00-20:00; Sa 08:00-1200")


# --- properties -------------------------------------------------------------------------------------------

_DAY_SPECS = st.sampled_from(["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su", "Mo-Fr", "Sa-Mo", "Fr-Tu", "PH"])


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def _time_range(draw):
    # Quarter hours, so that ranges often start or end on DST transitions and on each other.
    start = draw(st.integers(0, 95)) * 15
    length = draw(st.integers(1, 96)) * 15
    end = start + length
    if end <= 24 * 60 or (length < 24 * 60 and draw(st.booleans())):
        return f"{_clock(start)}-{_clock(end if end <= 24 * 60 else end - 24 * 60)}"
    return f"{_clock(start)}-{_clock(end)}"  # the explicit form past 24:00


@st.composite
def _rule(draw):
    days = ",".join(draw(st.lists(_DAY_SPECS, min_size=0, max_size=3)))
    body = draw(
        st.one_of(
            st.just("off"),
            st.lists(_time_range(), min_size=1, max_size=3).map(",".join),
            st.just("open" if days else "24/7"),
        )
    )
    if body == "24/7":
        return body
    return f"{days} {body}".strip()


_HOURS = st.lists(_rule(), min_size=1, max_size=4).map("; ".join)

_INSTANTS = st.one_of(
    st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2027, 12, 31)),
    # Weight the DST weekends and the holidays around them.
    st.sampled_from([datetime(2026, 3, 27), datetime(2026, 10, 23), datetime(2026, 12, 23)]).flatmap(
        lambda base: st.integers(0, 4 * 24 * 60).map(lambda minutes: base + timedelta(minutes=minutes))
    ),
).map(lambda naive: naive.replace(tzinfo=UTC))

_HOLIDAYS = st.sampled_from([FR, french_public_holidays("57"), NO_HOLIDAYS])


@settings(max_examples=200, deadline=None)
@given(_HOURS)
def test_any_value_in_the_subset_parses_and_keeps_its_text(text):
    assert str(parse_opening_hours(text)) == text


@settings(max_examples=200, deadline=None)
@given(_HOURS, _INSTANTS, st.integers(1, 72 * 60 - 1), _HOLIDAYS)  # the window [start, end) excludes end
def test_is_open_agrees_with_open_intervals(text, start, minutes, holidays):
    hours = parse_opening_hours(text)
    end = start + timedelta(days=3)
    intervals = open_intervals(hours, start, end, holidays)
    probe = start + timedelta(minutes=minutes)
    assert is_open(hours, probe, holidays) == any(low <= probe < high for low, high in intervals)
    assert is_open(hours, start, holidays) == bool(intervals and intervals[0][0] == start)


@settings(max_examples=200, deadline=None)
@given(_HOURS, _INSTANTS, _HOLIDAYS)
def test_open_intervals_are_sorted_disjoint_and_inside_the_window(text, start, holidays):
    hours = parse_opening_hours(text)
    end = start + timedelta(days=5)
    intervals = open_intervals(hours, start, end, holidays)
    for low, high in intervals:
        assert start <= low < high <= end
    for (_, first_end), (second_start, _) in pairwise(intervals):
        assert first_end < second_start  # touching intervals are merged


@settings(max_examples=200, deadline=None)
@given(_HOURS, _INSTANTS, _HOLIDAYS)
def test_next_change_really_changes_the_state_and_nothing_changes_before(text, at, holidays):
    hours = parse_opening_hours(text)
    change = next_change(hours, at, holidays)
    state = is_open(hours, at, holidays)
    if change is None:
        # Nothing changes within a month at least (the horizon is longer).
        window = open_intervals(hours, at, at + timedelta(days=31), holidays)
        assert window == ([(at, at + timedelta(days=31))] if state else [])
        return
    assert at < change <= at + HORIZON
    assert is_open(hours, change, holidays) != state
    steady = open_intervals(hours, at, change, holidays)
    assert steady == ([(at, change)] if state else [])


@settings(max_examples=200, deadline=None)
@given(_HOURS, _INSTANTS, _HOLIDAYS)
def test_next_opening_is_open_and_the_line_is_closed_until_then(text, at, holidays):
    hours = parse_opening_hours(text)
    opening = next_opening(hours, at, holidays)
    if opening is None:
        assert not is_open(hours, at, holidays)
        return
    assert is_open(hours, opening, holidays)
    assert open_intervals(hours, at, opening, holidays) == []


@settings(max_examples=200, deadline=None)
@given(_HOURS, _INSTANTS)
def test_always_open_hours_have_one_interval_covering_any_window(text, start):
    hours = parse_opening_hours(text)
    end = start + timedelta(days=8)
    if is_always_open(hours):
        assert open_intervals(hours, start, end, FR) == [(start, end)]
