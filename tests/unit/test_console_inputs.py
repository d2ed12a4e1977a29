"""Ids and dates typed in console forms and query strings: bad values are refused, never a 500."""

from __future__ import annotations

from datetime import date

import pytest

from orientation.web.console.ids import parse_id
from orientation.web.console.periods import parse_day


@pytest.mark.parametrize("text", ["12", "0007", "999999999"])
def test_an_id_of_ascii_digits_is_read(text: str) -> None:
    assert parse_id(text) == int(text)


@pytest.mark.parametrize("text", [None, "", "²", "١٢", "-1", "1.5", "abc", " 12", "1234567890"])
def test_anything_else_is_no_id(text: str | None) -> None:
    assert parse_id(text) is None


def test_a_day_is_read_in_iso_form() -> None:
    assert parse_day("2026-11-24") == date(2026, 11, 24)


@pytest.mark.parametrize("text", [None, "", "24/11/2026", "0001-01-01", "9999-12-31", "2026-02-30"])
def test_a_day_that_a_period_could_overflow_or_that_is_malformed_is_refused(text: str | None) -> None:
    assert parse_day(text) is None
