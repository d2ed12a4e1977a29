"""One rule per kind of value: the API, the console forms and the rota CSV import accept and refuse the same."""

from __future__ import annotations

from datetime import date, time

import pytest
from pydantic import ValidationError

from orientation.core.fields import FIRST_DAY, LAST_DAY, is_language_code, is_postcode
from orientation.web.api.queries import RequestsQuery, RotaQuery
from orientation.web.api.rota_inputs import PatternIn
from orientation.web.api.schemas import TerritoryIn, field_errors
from orientation.web.console.periods import parse_day
from orientation.web.console.rota_forms import _time
from volunteers.rota_import import _BadRow, parse_date

INSIDE = ["2000-01-01", "2026-11-24", "2100-12-31"]
OUTSIDE = ["1999-12-31", "1900-01-01", "2101-01-01", "2999-12-31"]


def _pattern(**changes: object) -> dict[str, object]:
    pattern = {"volunteer_id": 1, "weekdays": "Mo", "start_time": "09:00", "end_time": "12:00"}
    return {**pattern, "valid_from": "2026-12-01", **changes}


def test_the_range_is_2000_to_2100() -> None:
    assert (date(2000, 1, 1), date(2100, 12, 31)) == (FIRST_DAY, LAST_DAY)


@pytest.mark.parametrize("text", INSIDE)
def test_a_day_inside_the_range_is_taken_by_the_api_the_console_and_the_import(text: str) -> None:
    assert PatternIn.model_validate(_pattern(valid_from=text)).valid_from == date.fromisoformat(text)
    assert parse_day(text) == date.fromisoformat(text)
    assert parse_date(text, "valid_from") == date.fromisoformat(text)


@pytest.mark.parametrize("text", OUTSIDE)
def test_a_day_outside_the_range_is_refused_by_the_api_the_console_and_the_import(text: str) -> None:
    with pytest.raises(ValidationError) as refused:
        PatternIn.model_validate(_pattern(valid_from=text))
    assert field_errors(refused.value) == {"valid_from": "a date between 2000 and 2100 is expected"}
    assert parse_day(text) is None
    with pytest.raises(_BadRow, match="between 2000 and 2100"):
        parse_date(text, "valid_from")


@pytest.mark.parametrize("bound", ["1999-12-31T23:00:00+01:00", "2101-01-01T00:00:00+00:00"])
def test_an_instant_of_a_query_string_obeys_the_same_range(bound: str) -> None:
    with pytest.raises(ValidationError) as refused:
        RequestsQuery.model_validate({"since": bound})
    assert field_errors(refused.value) == {"since": "a date between 2000 and 2100 is expected"}
    with pytest.raises(ValidationError):
        RotaQuery.model_validate({"from": bound[:10]})


def test_an_empty_query_value_is_refused_not_ignored() -> None:
    with pytest.raises(ValidationError) as refused:
        RequestsQuery.model_validate({"until": ""})
    assert set(field_errors(refused.value)) == {"until"}


@pytest.mark.parametrize(("text", "expected"), [("9h", time(9)), ("9:00", time(9)), ("09h30", time(9, 30))])
def test_the_console_reads_times_as_the_api_and_the_import_do(text: str, expected: time) -> None:
    assert _time(text) == expected
    assert PatternIn.model_validate(_pattern(start_time=text)).start_time == f"{expected:%H:%M}"


@pytest.mark.parametrize("text", ["24:00", "9", "9h60", "neuf heures"])
def test_a_time_refused_by_the_parser_is_refused_by_the_console(text: str) -> None:
    assert _time(text) is None
    with pytest.raises(ValidationError):
        PatternIn.model_validate(_pattern(start_time=text))


@pytest.mark.parametrize("postcode", ["١٢٣٤٥", "7501", "750111", "75 01"])
def test_a_postcode_is_five_ascii_digits_for_the_api_and_the_console(postcode: str) -> None:
    assert not is_postcode(postcode)
    with pytest.raises(ValidationError) as refused:
        TerritoryIn.model_validate({"name": "CPTS", "phone_numbers": ["+33102030405"], "postcodes": [postcode]})
    assert set(field_errors(refused.value)) == {"postcodes"}


def test_language_codes_are_read_alike_by_the_api_and_the_console() -> None:
    assert [is_language_code(code) for code in ("fr", "ber", "f", "fra1", "FR")] == [True, True, False, False, False]
