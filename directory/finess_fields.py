"""Field helpers both FINESS formats share: street types, address lines, the "acheminement" line."""

from __future__ import annotations

from directory.normalize import fold, place_case
from directory.records import DirectoryRecord, GeoUpdate, ParseError

FinessItem = DirectoryRecord | ParseError | GeoUpdate

# FINESS street type codes -> words, for a readable address line.
_STREET_TYPES: dict[str, str] = {
    "R": "Rue",
    "AV": "Avenue",
    "BD": "Boulevard",
    "RTE": "Route",
    "CHE": "Chemin",
    "PL": "Place",
    "ALL": "Allée",
    "IMP": "Impasse",
    "QU": "Quai",
    "QUAI": "Quai",
    "CRS": "Cours",
    "SQ": "Square",
    "HAM": "Hameau",
    "RES": "Résidence",
    "PASS": "Passage",
    "FG": "Faubourg",
    "MTE": "Montée",
    "SEN": "Sentier",
    "PRO": "Promenade",
    "ESP": "Esplanade",
    "CHS": "Chaussée",
    "TRA": "Traverse",
    "RPT": "Rond-point",
    "PARV": "Parvis",
    "LOT": "Lotissement",
    "QUA": "Quartier",
    "DOM": "Domaine",
    "VLA": "Villa",
    "CITE": "Cité",
    "CTRE": "Centre",
    "LD": "Lieu-dit",
    "VOIE": "Voie",
    "CAR": "Carrefour",
}
_POSTAL_BOXES = ("bp", "cs", "tsa")


def squash(text: str) -> str:
    """The text with runs of white space as single spaces."""
    return " ".join(text.split())


def street_line(number: str, street_type: str, street: str) -> str:
    """A readable street line from FINESS's number, street type code and street name."""
    street_type = street_type.strip()
    type_word = _STREET_TYPES.get(street_type.upper(), street_type)
    if type_word and fold(street).startswith(fold(type_word) + " "):
        type_word = ""  # "CHE" + "CHEMIN SAFER MORANGE" would read "Chemin Chemin Safer Morange"
    words = [number.strip(), type_word, street.strip()]
    return place_case(" ".join(w for w in words if w))


def address_line(street: str, *complements: str) -> str | None:
    """Street then complements, leaving out a bare postal box ("BP 381") that locates nothing."""
    parts = [street] if street else []
    for complement in complements:
        folded = fold(complement).split()
        if not folded or (folded[0] in _POSTAL_BOXES and len(folded) <= 2):
            continue
        parts.append(place_case(squash(complement)))
    return ", ".join(parts) or None


def split_acheminement(line: str) -> tuple[str | None, str | None]:
    """("01440", "Viriat") from "01440 VIRIAT"; a CEDEX suffix is dropped from the commune name."""
    words = line.split()
    postcode = None
    if words and len(words[0]) == 5 and words[0].isdigit():
        postcode = words.pop(0)
    while words and (words[-1].upper() == "CEDEX" or words[-1].isdigit()):
        words.pop()
    return postcode, place_case(" ".join(words)) or None
