"""Folding keys, phone numbers and name casing used by the directory importers and search."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from directory.normalize import _OVERSEAS_PREFIXES, fold, person_case, phone_e164, place_case


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Ambérieu-en-Bugey", "amberieu en bugey"),
        ("  AMBERIEU   EN BUGEY ", "amberieu en bugey"),
        ("Centre Médico-Psycho-Pédagogique (C.M.P.P.)", "centre medico psycho pedagogique c m p p"),
        ("L'Haÿ-les-Roses", "l hay les roses"),
        ("Œuvre", "oeuvre"),
        ("", ""),
        (None, ""),
    ],
)
def test_fold_ignores_accents_case_and_punctuation(text: str | None, key: str) -> None:
    assert fold(text) == key


@settings(max_examples=200)
@given(st.text())
def test_folding_twice_changes_nothing_and_leaves_plain_ascii(text: str) -> None:
    key = fold(text)

    assert fold(key) == key
    assert key.isascii()
    assert "  " not in key and key == key.strip()


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0474346567", "+33474346567"),
        ("04 74 45 46 47", "+33474454647"),
        ("04.74.45.46.47", "+33474454647"),
        ("+33 4 74 34 65 67", "+33474346567"),
        ("0033474346567", "+33474346567"),
        ("06 12 34 56 78", "+33612345678"),
        ("0590276027", "+590590276027"),  # Guadeloupe / Saint-Barthélemy
        ("0596748677", "+596596748677"),  # Martinique
        ("0262905050", "+262262905050"),  # La Réunion
        ("0269666815", "+262269666815"),  # Mayotte
        ("0594395050", "+594594395050"),  # Guyane
        ("12", None),
        ("0000000000", None),
        ("", None),
        (None, None),
        ("pas de téléphone", None),
        ("01234+6789", None),
    ],
)
def test_phone_numbers_are_parsed_to_e164_or_none(raw: str | None, e164: str | None) -> None:
    assert phone_e164(raw) == e164


@settings(max_examples=200)
@given(st.text(max_size=30))
def test_phone_parsing_never_raises_and_always_gives_e164_or_none(raw: str) -> None:
    result = phone_e164(raw)

    assert result is None or (result.startswith("+") and result[1:].isdigit())


@settings(max_examples=200)
@given(st.from_regex(r"0[1-9][0-9]{8}", fullmatch=True))
def test_the_french_fast_path_agrees_with_phonenumbers(national: str) -> None:
    number = phonenumbers.parse(national, "FR")
    expected = (
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if phonenumbers.is_valid_number(number)
        else None
    )
    if national[:4] in _OVERSEAS_PREFIXES:
        return  # dialled as +33 by phonenumbers, but these belong to overseas country codes

    assert phone_e164(national) == expected
    assert phone_e164(national[:2] + " " + national[2:]) == expected


@pytest.mark.parametrize(
    ("text", "cased"),
    [
        ("LEBRUN-CARPENTIER", "Lebrun-Carpentier"),
        ("JEAN DE LA FONTAINE", "Jean de La Fontaine"),
        ("MARIE D'ALEMBERT", "Marie d'Alembert"),
        ("O'NEIL", "O'Neil"),
        ("Céline", "Céline"),
    ],
)
def test_person_names_are_capitalised_as_people_write_them(text: str, cased: str) -> None:
    assert person_case(text) == cased


@pytest.mark.parametrize(
    ("text", "cased"),
    [
        ("RUE DU PROFESSEUR CHRISTIAN CAB", "Rue du Professeur Christian Cab"),
        ("RUE DE L'HOTEL DE VILLE", "Rue de l'Hotel de Ville"),
        ("BOURG EN BRESSE", "Bourg en Bresse"),
        ("LE PUY-EN-VELAY", "Le Puy-en-Velay"),
        ("SAINT-JEAN-DE-LUZ", "Saint-Jean-de-Luz"),
    ],
)
def test_places_are_capitalised_with_lower_case_particles(text: str, cased: str) -> None:
    assert place_case(text) == cased
