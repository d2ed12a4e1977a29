"""Text and phone normalisation shared by the directory importers and search (pure)."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from unidecode import unidecode

# Everything that is not a letter or a digit once folded separates words.
_SEPARATORS = str.maketrans({c: " " for c in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~’«»"})

# French overseas departments have their own country calling codes although their numbers are
# dialled with a leading 0 from mainland France: "0590 27 60 27" is +590 590 27 60 27, not +33.
# The national-format prefix tells which region to parse with.
_OVERSEAS_PREFIXES: dict[str, str] = {
    "0590": "GP",
    "0690": "GP",
    "0691": "GP",
    "0594": "GF",
    "0694": "GF",
    "0596": "MQ",
    "0696": "MQ",
    "0697": "MQ",
    "0262": "RE",
    "0263": "RE",
    "0692": "RE",
    "0693": "RE",
    "0269": "YT",
    "0639": "YT",
    "0508": "PM",
}

_PHONE_CHARS = frozenset("0123456789+")

# Second digits of national numbers whose validity is decided by their 4-digit prefix (not 08: 0836…).
_FAST_SECOND_DIGITS = frozenset("12345679")
_VALID_FR_PREFIXES: dict[str, bool] = {}

# Lower-case particles inside French names and street names ("Rue du Professeur", "Jean de La Fontaine").
_PARTICLES = frozenset({"de", "du", "des", "la", "le", "les", "et", "à", "au", "aux", "en", "sur", "sous"})
_NAME_PARTICLES = frozenset({"de", "du", "des"})


def fold(text: str | None) -> str:
    """Return an accent- and case-insensitive key: ASCII, lower case, punctuation and spaces as one space."""
    if not text:
        return ""
    return " ".join(unidecode(text).lower().translate(_SEPARATORS).split())


@lru_cache(maxsize=8192)
def phone_e164(raw: str | None, region: str = "FR") -> str | None:
    """Parse a phone number written any usual way into E.164, or None when empty or invalid."""
    if not raw:
        return None
    digits = "".join(c for c in raw if c in _PHONE_CHARS)
    if not digits:
        return None
    if region == "FR" and len(digits) == 10 and digits[0] == "0" and digits.isdigit():
        prefix = digits[:4]
        if prefix in _OVERSEAS_PREFIXES:
            region = _OVERSEAS_PREFIXES[prefix]
        elif digits[1] in _FAST_SECOND_DIGITS:
            # Parsing takes ~50 µs and an import sees millions of numbers; for these ranges the validity
            # of a 10-digit French number depends only on its first four digits (checked against
            # phonenumbers over every prefix), so phonenumbers decides once per prefix.
            valid = _VALID_FR_PREFIXES.get(prefix)
            if valid is None:
                valid = _VALID_FR_PREFIXES[prefix] = _parse(digits, region) is not None
            return "+33" + digits[1:] if valid else None
    return _parse(digits, region)


def _parse(digits: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(digits, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _capitalize_word(word: str, particles: frozenset[str], first: bool) -> str:
    """Capitalise one space-separated word, keeping hyphenated and elided parts readable."""
    lower = word.lower()
    if not first and lower in particles:
        return lower
    # Elisions: "d'alembert" -> "d'Alembert", "l'hotel" -> "l'Hotel", "o'neil" -> "O'Neil".
    for apostrophe in ("'", "’"):
        if apostrophe in lower:
            head, _, tail = lower.partition(apostrophe)
            if head in {"d", "l"} and not first:
                return head + apostrophe + _capitalize_word(tail, particles, True)
            return _capitalize_word(head, particles, True) + apostrophe + _capitalize_word(tail, particles, True)
    # Inside a compound the particles stay lower case too: "Ambérieu-en-Bugey", "Saint-Jean-de-Luz".
    return "-".join(
        part if i and part in particles else part[:1].upper() + part[1:] for i, part in enumerate(lower.split("-"))
    )


def _capitalize(text: str, particles: frozenset[str]) -> str:
    words = text.split()
    return " ".join(_capitalize_word(w, particles, i == 0) for i, w in enumerate(words))


# Names, streets and communes repeat a lot across a national file.
@lru_cache(maxsize=65536)
def person_case(text: str) -> str:
    """Capitalise a name from an upper-case register: "LEBRUN-CARPENTIER" -> "Lebrun-Carpentier"."""
    return _capitalize(text, _NAME_PARTICLES)


@lru_cache(maxsize=65536)
def place_case(text: str) -> str:
    """Capitalise a street or commune name: "RUE DU PROFESSEUR X" -> "Rue du Professeur X"."""
    return _capitalize(text, _PARTICLES)
