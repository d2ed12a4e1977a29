"""Which caller numbers the inbound call's one look-up can match without knowing the line's region."""

from __future__ import annotations

from orientation.services.inbound import region_free_number


def test_an_international_spelling_is_read_without_the_region() -> None:
    assert region_free_number("+33612345678") == (True, "+33612345678")
    assert region_free_number(" 0033612345678 ") == (True, "+33612345678")


def test_a_hidden_or_odd_number_is_known_to_be_nobody() -> None:
    assert region_free_number(None) == (True, None)
    assert region_free_number("") == (True, None)
    assert region_free_number("+266696687") == (True, None)


def test_a_national_spelling_needs_the_lines_region() -> None:
    assert region_free_number("0612345678") == (False, None)
    assert region_free_number("anonymous") == (False, None)
