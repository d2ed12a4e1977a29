"""French public holidays and the subdivisions they depend on."""

from datetime import date, datetime, timedelta

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orientation.core import calendar
from orientation.core.calendar import (
    PARIS,
    StaticHolidays,
    french_public_holidays,
    validate_subdivision,
)

METROPOLE = french_public_holidays()
ALSACE = french_public_holidays("6AE")


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2026, 1, 1), "Jour de l'an"),
        (date(2026, 4, 6), "Lundi de Pâques"),
        (date(2026, 5, 1), "Fête du Travail"),
        (date(2026, 5, 8), "Fête de la Victoire"),
        (date(2026, 5, 14), "Ascension"),
        (date(2026, 5, 25), "Lundi de Pentecôte"),
        (date(2026, 7, 14), "Fête nationale"),
        (date(2026, 8, 15), "Assomption"),
        (date(2026, 11, 1), "Toussaint"),
        (date(2026, 11, 11), "Armistice"),
        (date(2026, 12, 25), "Noël"),
    ],
)
def test_the_national_holidays_of_2026_are_holidays_with_their_french_name(day, name):
    assert METROPOLE.is_holiday(day)
    assert METROPOLE.name(day) == name


def test_easter_monday_moves_with_easter_from_year_to_year():
    assert METROPOLE.is_holiday(date(2025, 4, 21))
    assert METROPOLE.is_holiday(date(2027, 3, 29))
    assert not METROPOLE.is_holiday(date(2026, 4, 5))  # Easter Sunday itself is no extra holiday
    assert not METROPOLE.is_holiday(date(2026, 4, 7))


def test_an_ordinary_working_day_is_not_a_holiday_and_has_no_name():
    assert not METROPOLE.is_holiday(date(2026, 7, 15))
    assert METROPOLE.name(date(2026, 7, 15)) is None


def test_good_friday_and_saint_stephen_are_not_holidays_in_metropolitan_france():
    assert not METROPOLE.is_holiday(date(2026, 4, 3))
    assert not METROPOLE.is_holiday(date(2026, 12, 26))


@pytest.mark.parametrize("code", ["6AE", "57", "67", "68", "Alsace", "moselle"])
def test_alsace_moselle_adds_good_friday_and_saint_stephen(code):
    local = french_public_holidays(code)
    assert local.is_holiday(date(2026, 4, 3))
    assert local.name(date(2026, 4, 3)) == "Vendredi saint"
    assert local.is_holiday(date(2026, 12, 26))
    assert local.name(date(2026, 12, 26)) == "Saint-Étienne"
    assert local.is_holiday(date(2026, 7, 14))


def test_la_reunion_adds_the_abolition_of_slavery():
    reunion = french_public_holidays("974")
    assert reunion.is_holiday(date(2026, 12, 20))
    assert not METROPOLE.is_holiday(date(2026, 12, 20))


@pytest.mark.parametrize(
    ("code", "canonical"),
    [
        ("6AE", "6AE"),
        ("57", "57"),
        ("67", "6AE"),
        ("68", "6AE"),
        (" 57 ", "57"),
        ("Moselle", "57"),
        ("alsace", "6AE"),
        ("974", "974"),
        ("La Réunion", "974"),
        ("Guadeloupe", "971"),
    ],
)
def test_a_known_subdivision_is_returned_in_the_spelling_holidays_expects(code, canonical):
    assert validate_subdivision(code) == canonical
    assert canonical in holidays.France.subdivisions


@pytest.mark.parametrize("code", ["75", "", "Zone A", "zone b", "FR", "Bretagne"])
def test_an_unknown_subdivision_is_refused_with_its_code_in_the_message(code):
    with pytest.raises(ValueError, match="unknown French subdivision") as error:
        validate_subdivision(code)
    assert repr(code) in str(error.value)
    assert "6AE" in str(error.value)


def test_building_holidays_for_an_unknown_subdivision_fails_at_once():
    with pytest.raises(ValueError, match="'99'"):
        french_public_holidays("99")


def test_the_subdivision_is_kept_in_its_canonical_form():
    assert french_public_holidays("67").subdivision == "6AE"
    assert french_public_holidays().subdivision is None


def test_holidays_are_computed_once_per_year(monkeypatch):
    calls = []
    real = holidays.country_holidays

    def counting(*args, **kwargs):
        calls.append(kwargs.get("years"))
        return real(*args, **kwargs)

    monkeypatch.setattr(calendar.holidays, "country_holidays", counting)
    fresh = calendar.FrenchPublicHolidays()
    day = date(2026, 1, 1)
    while day < date(2027, 3, 1):
        fresh.is_holiday(day)
        fresh.name(day)
        day += timedelta(days=1)
    assert calls == [2026, 2027]


def test_one_holidays_table_per_subdivision_is_shared_by_the_process():
    assert french_public_holidays("57") is french_public_holidays("57")
    assert french_public_holidays() is not french_public_holidays("57")


def test_static_holidays_answer_from_their_table():
    table = StaticHolidays({date(2026, 6, 1): "Fête du test"})
    assert table.is_holiday(date(2026, 6, 1))
    assert table.name(date(2026, 6, 1)) == "Fête du test"
    assert not table.is_holiday(date(2026, 6, 2))
    assert StaticHolidays().name(date(2026, 6, 1)) is None


def test_paris_is_one_hour_ahead_of_utc_in_winter_and_two_in_summer():
    assert datetime(2026, 1, 15, 12, tzinfo=PARIS).utcoffset() == timedelta(hours=1)
    assert datetime(2026, 7, 15, 12, tzinfo=PARIS).utcoffset() == timedelta(hours=2)


@settings(max_examples=200)
@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)))
def test_a_day_has_a_name_exactly_when_it_is_a_holiday(day):
    assert METROPOLE.is_holiday(day) == (METROPOLE.name(day) is not None)


@settings(max_examples=200)
@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)))
def test_every_national_holiday_is_also_a_holiday_in_alsace_moselle(day):
    if METROPOLE.is_holiday(day):
        assert ALSACE.is_holiday(day)
