"""The phone functions need only phonenumbers' core metadata, so `phonenumberslite` (5 MB, no geocoder,
carrier or time-zone data) answers as the full package (48 MB) does.

Checked once over all 335 phone-like strings of the test suite with phonenumbers 9.0.43, phonenumbers 9.0.42
and phonenumberslite 9.0.42: identical E.164, mobile flag, number type, region and directory normalisation.
The table below keeps one or two of each kind; it holds whichever package is installed.
"""

from __future__ import annotations

import contextlib
import sys

import phonenumbers
import pytest

from directory.normalize import phone_e164
from orientation.core.phones import InvalidPhone, is_mobile, to_e164

T = phonenumbers.PhoneNumberType
CASES = [
    # text as tests type it, E.164 (None: refused), mobile, number type, region
    ("+33 1 99 00 00 01", "+33199000001", False, T.FIXED_LINE, "FR"),
    ("04 74 45 46 47", "+33474454647", False, T.FIXED_LINE, "FR"),
    ("06 11 22 33 44", "+33611223344", True, T.MOBILE, "FR"),
    ("+33600000001", "+33600000001", True, T.MOBILE, "FR"),
    ("+33 6 12 34 56 78", "+33612345678", True, T.MOBILE, "FR"),
    ("09 70 00 00 00", "+33970000000", False, T.VOIP, "FR"),
    ("+33800000000", "+33800000000", False, T.TOLL_FREE, "FR"),
    ("+590590276027", "+590590276027", False, T.FIXED_LINE, "BL"),
    ("+262262123456", "+262262123456", False, T.FIXED_LINE, "RE"),
    ("+262269666815", "+262269666815", False, T.FIXED_LINE, "YT"),
    ("+447911123456", "+447911123456", True, T.MOBILE, "GG"),
    ("+12125550123", "+12125550123", True, T.FIXED_LINE_OR_MOBILE, "US"),
    ("+33 6 12 34 56 789", None, None, T.UNKNOWN, "FR"),
    ("+3361111111", None, None, T.UNKNOWN, "FR"),
]


@pytest.mark.parametrize(("text", "e164", "mobile", "kind", "region"), CASES)
def test_the_numbers_the_tests_use_get_the_same_answers_from_the_core_metadata(
    text: str, e164: str | None, mobile: bool | None, kind: int, region: str
) -> None:
    number = phonenumbers.parse(text, "FR")
    assert (phonenumbers.number_type(number), phonenumbers.region_code_for_number(number)) == (kind, region)
    if e164 is None:
        with pytest.raises(InvalidPhone):
            to_e164(text)
        assert phone_e164(text) is None
    else:
        assert to_e164(text) == e164 and phone_e164(text) == e164
        assert is_mobile(e164) is mobile


def test_the_phone_functions_never_load_the_metadata_the_lite_package_lacks() -> None:
    for text, *_ in CASES:
        with contextlib.suppress(InvalidPhone):
            is_mobile(to_e164(text))
        phone_e164(text)
    loaded = {name for name in sys.modules if name.startswith("phonenumbers.")}
    assert not {"phonenumbers.geocoder", "phonenumbers.carrier", "phonenumbers.timezone"} & loaded
    assert not any(name.startswith(("phonenumbers.geodata", "phonenumbers.carrierdata", "phonenumbers.tzdata"))
                   for name in loaded)  # fmt: skip
