"""Phone parsing tried with any text a caller ID, a form or a command line can bring: properties, not examples."""

from __future__ import annotations

import re

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st

from orientation.core.phones import InvalidPhone, mask, to_e164, try_e164

REGIONS = ["FR", "RE", "GP", "BE", "CH", "GB", "US", "DE", "ZZ"]
E164 = re.compile(r"\+[1-9][0-9]{1,14}")

# Text shaped like a phone number as people type it: prefixes, digits, separators, the odd letter.
_piece = st.one_of(
    st.text(alphabet="0123456789", min_size=1, max_size=4),
    st.sampled_from([" ", ".", "-", "(", ")", "(0)", "/", "ext. ", "x", "#", "*", "\t", "\u00a0"]),
)
phone_like = st.builds(
    lambda lead, pieces: lead + "".join(pieces),
    st.sampled_from(["", "+", "00", "0", "+33", "0033", "06", "+44", "+1", "+262", " "]),
    st.lists(_piece, max_size=12),
)
any_text = st.one_of(st.text(max_size=60), phone_like, st.text(alphabet="+0123456789 ", max_size=300))


@given(any_text, st.sampled_from(REGIONS))
@settings(max_examples=200)
def test_parsing_any_text_either_gives_e164_or_raises_invalid_phone_and_nothing_else(raw: str, region: str) -> None:
    try:
        e164 = to_e164(raw, region)
    except InvalidPhone:
        assert try_e164(raw, region) is None
        return
    assert E164.fullmatch(e164)
    assert try_e164(raw, region) == e164


@st.composite
def valid_numbers(draw: st.DrawFn) -> str:
    """A valid number of some country, from phonenumbers' own examples with the last digits varied."""
    region = draw(st.sampled_from(["FR", "RE", "BE", "CH", "GB", "US", "DE", "IT", "ES", "MA", "SN", "JP"]))
    kind = draw(st.sampled_from([phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE]))
    example = phonenumbers.example_number_for_type(region, kind)
    assert example is not None
    e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    tail = draw(st.integers(min_value=0, max_value=99))
    candidate = f"{e164[:-2]}{tail:02d}"
    return candidate if phonenumbers.is_valid_number(phonenumbers.parse(candidate, None)) else e164


@st.composite
def spellings(draw: st.DrawFn) -> tuple[str, str, str]:
    """A valid number as someone may write it, the region it is written in, and its E.164 form."""
    e164 = draw(valid_numbers())
    number = phonenumbers.parse(e164, None)
    region = phonenumbers.region_code_for_number(number) or "FR"
    style = draw(
        st.sampled_from(
            [
                phonenumbers.PhoneNumberFormat.E164,
                phonenumbers.PhoneNumberFormat.INTERNATIONAL,
                phonenumbers.PhoneNumberFormat.NATIONAL,
            ]
        )
    )
    text = phonenumbers.format_number(number, style)
    text = text.replace(" ", draw(st.sampled_from([" ", ".", "-", "", "  "])))
    if style != phonenumbers.PhoneNumberFormat.NATIONAL and draw(st.booleans()):
        text = "00" + text.lstrip("+")
    return draw(st.sampled_from(["", " "])) + text, region, e164


@given(spellings())
@settings(max_examples=200)
def test_every_spelling_of_a_valid_number_parses_to_its_e164_form(spelled: tuple[str, str, str]) -> None:
    raw, region, e164 = spelled

    assert to_e164(raw, region) == e164


@given(
    st.one_of(spellings().map(lambda s: s[:2]), st.tuples(phone_like, st.sampled_from(REGIONS))),
    st.sampled_from(REGIONS),
)
@settings(max_examples=200)
def test_an_e164_result_parses_to_itself_whatever_the_region(spelled: tuple[str, str], other: str) -> None:
    raw, region = spelled
    e164 = try_e164(raw, region)
    if e164 is None:
        return
    assert to_e164(e164, region) == e164
    assert to_e164(e164, other) == e164


@given(valid_numbers())
@settings(max_examples=200)
def test_a_valid_number_of_any_country_is_masked_to_its_country_code_and_last_two_digits(e164: str) -> None:
    country = phonenumbers.parse(e164, None).country_code

    assert to_e164(e164) == e164
    assert mask(e164) == f"+{country} •• •• •• {e164[-2:]}"


@given(any_text)
@settings(max_examples=200)
def test_a_masked_text_never_shows_more_than_a_prefix_and_the_last_two_digits(raw: str) -> None:
    masked = mask(raw)
    digits = [c for c in raw if c.isdigit()]
    prefix, _, shown = masked.rpartition("•• •• •• ")
    if len(digits) <= 4:
        # Too short to say anything: dots only (or "inconnu" for nothing at all).
        assert not any(c.isdigit() for c in masked)
        return
    assert shown == "".join(digits[-2:])
    # Before the dots: nothing, the national 0, or a country code (one to three digits).
    assert prefix.strip() in ("", "0") or re.fullmatch(r"\+[0-9]{0,3} ", prefix)
