"""The opening-hours editor's pure parts: form → OSM value, OSM value → form, and the 14-day preview."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orientation.core.calendar import PARIS, StaticHolidays, french_public_holidays
from orientation.core.opening_hours import parse_opening_hours
from orientation.core.opening_hours_syntax import TimeSpan
from orientation.web.console.hours_forms import (
    HoursFormErrors,
    WeekHours,
    form_values,
    from_osm,
    parse_week,
    preview,
    to_osm,
)

FR = french_public_holidays()


def week(**fields: str) -> str:
    return to_osm(parse_week(fields))


def test_days_with_the_same_ranges_are_grouped_and_holidays_come_last() -> None:
    form = {f"d{d}_0_start": "08:00" for d in range(5)} | {f"d{d}_0_end": "20:00" for d in range(5)}
    assert week(**form, d5_0_start="8h", d5_0_end="12h", ph_mode="closed") == (
        "Mo-Fr 08:00-20:00; Sa 08:00-12:00; PH off"
    )


def test_a_lunch_break_gives_two_ranges_in_order() -> None:
    assert week(d0_1_start="14:00", d0_1_end="18:00", d0_0_start="08:00", d0_0_end="12:00") == (
        "Mo 08:00-12:00,14:00-18:00"
    )


def test_every_day_all_day_is_24_7_unless_holidays_close() -> None:
    every_day = {f"d{d}_allday": "on" for d in range(7)}
    assert week(**every_day) == "24/7"
    assert week(**every_day, ph_mode="closed") == "Mo-Su 00:00-24:00; PH off"


def test_an_end_at_midnight_closes_at_24_00_and_an_earlier_end_the_next_morning() -> None:
    assert week(d4_0_start="18:00", d4_0_end="00:00") == "Fr 18:00-24:00"
    assert week(d4_0_start="20:00", d4_0_end="08:00") == "Fr 20:00-08:00"


def test_a_night_whose_morning_a_later_day_would_cut_is_written_within_each_day() -> None:
    # "Fr 20:00-08:00; Sa 09:00-12:00" would close at midnight in OSM: Saturday's rule replaces its morning.
    osm = week(d4_0_start="20:00", d4_0_end="08:00", d5_0_start="09:00", d5_0_end="12:00")
    assert osm == "Fr 20:00-24:00; Sa 00:00-08:00,09:00-12:00"


def test_no_hours_at_all_is_closed() -> None:
    assert week() == "off"
    assert week(ph_mode="hours", ph_0_start="10:00", ph_0_end="12:00") == "PH 10:00-12:00"


@pytest.mark.parametrize(
    ("fields", "key", "message"),
    [
        ({"d0_0_start": "08:00"}, "d0_0_end", "Lundi : indiquez l'heure de fin de la plage."),
        ({"d1_0_start": "8:75", "d1_0_end": "12:00"}, "d1_0_start", "Mardi : « 8:75 » n'est pas une heure"),
        ({"d2_0_start": "10:00", "d2_0_end": "10:00"}, "d2_0_end", "Mercredi : la plage 10:00–10:00 est vide"),
        ({"d3_0_start": "08:00", "d3_0_end": "12:00", "d3_1_start": "11:00", "d3_1_end": "14:00"}, "d3_0_start",
         "Jeudi : les plages 08:00–12:00 et 11:00–14:00 se chevauchent."),
        ({"ph_mode": "hours"}, "ph_0_start", "Jours fériés : indiquez au moins une plage horaire"),
        ({"ph_mode": "sometimes"}, "ph_mode", "Choisissez ce que font les jours fériés."),
        ({"d4_allday": "on", "d4_0_start": "08:00", "d4_0_end": "12:00"}, "d4_allday",
         "Vendredi : décochez « 24 h/24 » ou videz les plages horaires."),
    ],
)  # fmt: skip
def test_each_mistake_gets_a_french_message_on_its_field(fields: dict[str, str], key: str, message: str) -> None:
    with pytest.raises(HoursFormErrors) as caught:
        parse_week(fields)
    assert caught.value.errors[key].startswith(message)


@pytest.mark.parametrize(
    "osm",
    [
        "24/7",
        "Mo-Fr 08:00-20:00; Sa 08:00-12:00; PH off",
        "Mo-Fr 20:00-08:00; Sa-Su 00:00-24:00; PH 00:00-24:00",
        "Mo,We,Fr 09:00-12:00,14:00-18:00; PH 10:00-12:00",
    ],
)
def test_values_the_editor_writes_read_back_into_the_same_fields(osm: str) -> None:
    read = from_osm(osm)
    assert read is not None
    assert to_osm(parse_week(form_values(read))) == osm


@pytest.mark.parametrize(
    "osm",
    ["Mo 08:00-09:00,10:00-11:00,12:00-13:00,14:00-15:00", "PH off; Mo-Fr 08:00-20:00", "Mo-Fr 08:00-20:00; We off"],
)
def test_values_the_editor_cannot_show_exactly_are_left_to_the_expert_field(osm: str) -> None:
    read = from_osm(osm)
    assert read is None or parse_opening_hours(to_osm(read)).table == parse_opening_hours(osm).table


@st.composite
def _forms(draw: st.DrawFn) -> dict[str, str]:
    form: dict[str, str] = {}
    for weekday in range(7):
        kind = draw(st.sampled_from(["closed", "allday", "ranges"]))
        if kind == "allday":
            form[f"d{weekday}_allday"] = "on"
        elif kind == "ranges":
            start = draw(st.integers(0, 94))
            length = draw(st.integers(1, 95))
            end = (start + length) % 96
            form[f"d{weekday}_0_start"] = f"{start * 15 // 60:02d}:{start * 15 % 60:02d}"
            form[f"d{weekday}_0_end"] = f"{end * 15 // 60:02d}:{end * 15 % 60:02d}"
    form["ph_mode"] = draw(st.sampled_from(["normal", "closed", "open"]))
    return form


@settings(max_examples=150, deadline=None)
@given(_forms())
def test_the_written_value_opens_ordinary_days_exactly_as_typed_nights_included(form: dict[str, str]) -> None:
    typed = parse_week(form)
    hours = parse_opening_hours(to_osm(typed))
    for weekday in range(7):
        expected = set()
        for span in typed.days[weekday]:
            expected |= set(range(span.start, min(span.end, 1440)))
        for span in typed.days[(weekday - 1) % 7]:
            expected |= set(range(0, max(0, span.end - 1440)))
        actual = set()
        for span in hours.table[(weekday, False, False)]:
            actual |= set(range(span.start, span.end))
        assert actual == expected


def test_the_preview_lists_14_days_on_the_local_clock_with_holidays_named() -> None:
    hours = parse_opening_hours("Mo-Fr 08:00-20:00; PH off")
    days = preview(hours, date(2026, 12, 21), FR, PARIS)
    assert len(days) == 14 and days[0].day == date(2026, 12, 21) and days[-1].day == date(2027, 1, 3)
    assert days[0].periods == (("08:00", "20:00"),)
    assert days[4].holiday == "Noël" and days[4].periods == ()
    assert days[5].periods == ()  # Saturday


def test_the_preview_cuts_nights_at_midnight_and_keeps_wall_clock_times_across_the_autumn_change() -> None:
    hours = parse_opening_hours("Sa 20:00-08:00")
    days = preview(hours, date(2026, 10, 24), StaticHolidays(), PARIS, days=2)
    assert days[0].periods == (("20:00", "24:00"),)
    assert days[1].periods == (("00:00", "08:00"),)  # a 13-hour night, still shown as the wall clock reads


def test_week_hours_hold_spans_as_typed() -> None:
    typed = parse_week({"d0_0_start": "22:00", "d0_0_end": "02:00"})
    assert typed == WeekHours(((TimeSpan(22 * 60, 26 * 60),), (), (), (), (), (), ()), "normal", ())


@settings(max_examples=100, deadline=None)
@given(_forms())
def test_whatever_the_editor_writes_it_reads_back_with_the_same_hours(form: dict[str, str]) -> None:
    written = to_osm(parse_week(form))
    read = from_osm(written)
    assert read is not None, written
    assert parse_opening_hours(to_osm(parse_week(form_values(read)))).table == parse_opening_hours(written).table


def test_a_night_written_within_each_day_reads_back_as_the_night_that_was_typed() -> None:
    read = from_osm("Fr 20:00-24:00; Sa 00:00-08:00,09:00-12:00")
    assert read is not None
    assert read.days[4] == (TimeSpan(20 * 60, 32 * 60),) and read.days[5] == (TimeSpan(9 * 60, 12 * 60),)
    assert to_osm(read) == "Fr 20:00-24:00; Sa 00:00-08:00,09:00-12:00"
