"""Phone numbers parsed once into E.164, masked in lists, mobiles told apart."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orientation.core.phones import (
    InvalidPhone,
    display,
    e164_and_mobile,
    is_mobile,
    mask,
    spoken_digits,
    tel_uri,
    to_e164,
    try_e164,
)


@pytest.mark.parametrize(
    "raw",
    [
        "06 12 34 56 78",
        "0612345678",
        "06.12.34.56.78",
        "06-12-34-56-78",
        "+33 6 12 34 56 78",
        "+33612345678",
        "+33 (0)6 12 34 56 78",
        "0033 6 12 34 56 78",
        "  06 12 34 56 78  ",
    ],
)
def test_french_spellings_of_a_mobile_give_one_e164_number(raw: str) -> None:
    assert to_e164(raw) == "+33612345678"


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("01 40 00 00 20", "+33140000020"),
        ("09 70 00 00 00", "+33970000000"),
        ("+44 7911 123456", "+447911123456"),
        ("0044 7911 123456", "+447911123456"),
    ],
)
def test_landlines_overseas_and_foreign_numbers_are_parsed(raw: str, e164: str) -> None:
    assert to_e164(raw) == e164


def test_a_line_overseas_parses_national_numbers_in_its_own_region() -> None:
    # La Réunion has its own country code: its 0262 numbers are not French metropolitan ones.
    assert to_e164("0262 12 34 56", region="RE") == "+262262123456"
    with pytest.raises(InvalidPhone):
        to_e164("0262 12 34 56")


@pytest.mark.parametrize(
    "raw", ["", "   ", "abc", "06 12", "06 12 34 56 78 90", "+33 6 12 34 56 789", "07 12 34 56 78", "00", "+"]
)
def test_text_that_is_not_a_number_is_invalid(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        to_e164(raw)


def test_an_invalid_number_is_a_value_error_with_a_french_message() -> None:
    with pytest.raises(ValueError, match="numéro de téléphone"):
        to_e164("12")


@pytest.mark.parametrize("raw", [None, "", "anonymous", "+266696687", "12"])
def test_a_hidden_or_odd_caller_number_gives_none(raw: str | None) -> None:
    assert try_e164(raw) is None


def test_a_valid_caller_number_gives_its_e164_form() -> None:
    assert try_e164("06 12 34 56 78") == "+33612345678"


# Prefixes where every number is allocated (06 39 9x and most of 06 9x are not, in phonenumbers' metadata).
ALLOCATED_MOBILE_PREFIXES = ["60", "61", "62", "64", "65", "66", "67", "68", "73", "75", "78", "79"]


@given(st.sampled_from(ALLOCATED_MOBILE_PREFIXES), st.integers(0, 9_999_999))
@settings(max_examples=200)
def test_parsing_an_e164_mobile_again_changes_nothing(lead: str, rest: int) -> None:
    national = f"{lead}{rest:07d}"
    e164 = to_e164(f"0{national}")

    assert e164 == f"+33{national}"
    assert to_e164(e164) == e164
    assert is_mobile(e164)


# ---------------------------------------------------------------- masking


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+33612345678", "+33 •• •• •• 78"),
        ("0612345678", "0 •• •• •• 78"),
        ("06 12 34 56 78", "0 •• •• •• 78"),
        ("+447911123456", "+44 •• •• •• 56"),
        ("+12125550123", "+1 •• •• •• 23"),  # the country code is +1: the area code 212 stays hidden
        ("612345678", "•• •• •• 78"),
        ("1234", "••••"),
        (None, "inconnu"),
        ("", "inconnu"),
    ],
)
def test_a_masked_number_shows_its_country_and_last_two_digits_only(number: str | None, masked: str) -> None:
    assert mask(number) == masked


@given(st.integers(min_value=0, max_value=99_999_999), st.sampled_from(["1", "2", "3", "4", "5", "6", "7", "9"]))
@settings(max_examples=200)
def test_masking_a_french_number_hides_every_subscriber_digit_but_the_last_two(subscriber: int, first: str) -> None:
    national = f"{first}{subscriber:08d}"
    masked = mask(f"+33{national}")

    assert masked.startswith("+33 ")
    assert masked.endswith(national[-2:])
    assert [c for c in masked if c.isdigit()] == ["3", "3", *national[-2:]]


# ---------------------------------------------------------------- mobiles and speech


@pytest.mark.parametrize("number", ["+33612345678", "+33756123456"])
def test_french_06_and_07_numbers_can_receive_an_sms(number: str) -> None:
    assert is_mobile(number)


@pytest.mark.parametrize("number", ["+33140000020", "+33970000000", "+33800000000", "garbage", ""])
def test_landlines_free_numbers_and_garbage_cannot(number: str) -> None:
    assert not is_mobile(number)


def test_a_number_is_spoken_in_pairs_of_digits() -> None:
    assert spoken_digits("+33140000093") == "01 40 00 00 93"


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+33612345678", "06 12 34 56 78"),
        ("+33143567890", "01 43 56 78 90"),
        ("0143567890", "01 43 56 78 90"),
        ("+262692123456", "0692 12 34 56"),  # La Réunion: dialled from France with a 0
        ("+442079460958", "+44 20 7946 0958"),
    ],
)
def test_numbers_are_shown_as_the_french_write_them(stored: str, shown: str) -> None:
    assert display(stored) == shown


@pytest.mark.parametrize("odd", ["15", "116117", "standard", "+3361234"])
def test_what_is_not_a_full_number_is_shown_as_stored_without_a_link(odd: str) -> None:
    assert display(odd) == odd
    assert tel_uri(odd) is None


def test_nothing_is_shown_as_a_dash_and_has_no_link() -> None:
    assert display(None) == "—"
    assert display("") == "—"
    assert tel_uri(None) is None


@pytest.mark.parametrize("written", ["06 12 34 56 78", "+33612345678", "0033 6 12 34 56 78"])
def test_a_tel_link_carries_the_international_number(written: str) -> None:
    assert tel_uri(written.replace("0033 ", "+33")) == "tel:+33612345678"


@settings(max_examples=100, deadline=None)
@given(st.integers(600000000, 799999999))
def test_every_french_mobile_is_shown_in_five_pairs_that_give_back_the_number(subscriber: int) -> None:
    e164 = f"+33{subscriber}"
    shown = display(e164)
    pairs = shown.split(" ")
    assert [len(pair) for pair in pairs] == [2, 2, 2, 2, 2]
    # Read back as typed in France, the pairs are the same number (valid or not in the numbering plan).
    assert phonenumbers.format_number(phonenumbers.parse(shown, "FR"), phonenumbers.PhoneNumberFormat.E164) == e164


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("06 12 34 56 78", "FR"),
        ("+33612345678", "FR"),
        ("0033 1 23 45 67 89", "FR"),
        ("0692 12 34 56", "RE"),
        ("+44 7700 900123", "FR"),
        ("+1 212 555 0100", "FR"),
        ("12", "FR"),
        ("", "FR"),
        (None, "FR"),
        ("abc", "FR"),
    ],
)
def test_one_parse_of_a_caller_gives_what_try_e164_and_is_mobile_give(raw: str | None, region: str) -> None:
    e164 = try_e164(raw, region)
    assert e164_and_mobile(raw, region) == (e164, bool(e164 and is_mobile(e164)))
