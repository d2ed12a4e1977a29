"""Phone numbers: parsed once at the edge into E.164, masked whenever they are listed."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType


class InvalidPhone(ValueError):
    """The text is not a valid phone number."""


def to_e164(raw: str, region: str = "FR") -> str:
    """Parse any national or international spelling into E.164, or raise InvalidPhone."""
    text = (raw or "").strip()
    if not text:
        raise InvalidPhone("numéro de téléphone manquant")
    return _parsed(text, region)[1]


def _parsed(text: str, region: str) -> tuple[phonenumbers.PhoneNumber, str]:
    """The parsed number and its E.164 form, or InvalidPhone (`text` stripped, not empty)."""
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        raise InvalidPhone("numéro de téléphone illisible") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("numéro de téléphone invalide")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    # Some regions' metadata accepts a trailing extension-like run; E.164 itself stops at 15 digits.
    if len(e164) > 16:
        raise InvalidPhone("numéro de téléphone trop long")
    return number, e164


def try_e164(raw: str | None, region: str = "FR") -> str | None:
    """E.164 when the text is a valid number, else None (for callers whose number is hidden or odd)."""
    if not raw:
        return None
    return _e164_or_none(raw, region)


# Parsing is the costly part of a webhook's number handling (phonenumbers' metadata, regular expressions), and
# one call parses the same few numbers several times (the line's number on every call, the caller's in each
# step): a small bounded cache of pure results, in process memory only.
@lru_cache(maxsize=512)
def _e164_or_none(raw: str, region: str) -> str | None:
    try:
        return to_e164(raw, region)
    except InvalidPhone:
        return None


def e164_and_mobile(raw: str | None, region: str = "FR") -> tuple[str | None, bool]:
    """try_e164 and is_mobile of its result, from one parse (a new caller's number)."""
    text = (raw or "").strip()
    # One cache key however the caller spells the call (stripped text, region given or not).
    return _e164_and_mobile(text, region) if text else (None, False)


@lru_cache(maxsize=512)
def _e164_and_mobile(text: str, region: str) -> tuple[str | None, bool]:
    try:
        number, e164 = _parsed(text, region)
    except InvalidPhone:
        return None, False
    return e164, _mobile(number)


@lru_cache(maxsize=512)
def is_mobile(e164: str) -> bool:
    """True when the number can receive SMS (a mobile; French 06/07)."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return False
    return _mobile(number)


def _mobile(number: phonenumbers.PhoneNumber) -> bool:
    return phonenumbers.number_type(number) in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


def mask(number: str | None) -> str:
    """Hide all but the last two digits: +33 •• •• •• 42 style, safe for lists and logs."""
    if not number:
        return "inconnu"
    digits = [c for c in number if c.isdigit()]
    if len(digits) <= 4:
        return "•" * len(digits)
    shown = f"•• •• •• {''.join(digits[-2:])}"
    # Only the country code (read by phonenumbers: +1 is one digit, +33 two) or a national 0 says nothing of
    # the subscriber; taking two digits blindly would show the area code of a +1 number.
    prefix = _country_prefix(number) if number.startswith("+") else ("0" if digits[0] == "0" else "")
    return f"{prefix} {shown}" if prefix else shown


def _country_prefix(number: str) -> str:
    """The country code as dialled: +33 for France, +1 for North America, a bare + when unknown."""
    try:
        return f"+{phonenumbers.parse(number, None).country_code}"
    except NumberParseException:
        return "+"


def spoken_digits(number: str) -> str:
    """A French number written for text-to-speech, digit pairs apart (01 23 45 67 89)."""
    try:
        parsed = phonenumbers.parse(number, "FR")
        national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    except NumberParseException:
        national = number
    return national.replace(".", " ")


# France and the overseas departments dialled from France with a leading 0 (0692… for La Réunion).
_DIALLED_NATIONALLY = frozenset({"FR", "RE", "GP", "MQ", "GF", "YT", "PM", "BL", "MF"})


def display(number: str | None) -> str:
    """A number as the French write it: "06 12 34 56 78" (foreign ones "+44 20 7946 0958"); "—" for none."""
    if not number:
        return "—"
    try:
        parsed = phonenumbers.parse(number, "FR")
    except NumberParseException:
        return number  # whatever was typed, shown as typed rather than lost
    if not phonenumbers.is_possible_number(parsed):
        return number
    if phonenumbers.region_code_for_number(parsed) in _DIALLED_NATIONALLY:
        # phonenumbers' French national format is already the usual pairs ("01 23 45 67 89").
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def tel_uri(number: str | None) -> str | None:
    """A `tel:` link target in the RFC 3966 global form (tel:+33612345678), or None when not a number."""
    if not number:
        return None
    try:
        parsed = phonenumbers.parse(number, "FR")
    except NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return "tel:" + phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
