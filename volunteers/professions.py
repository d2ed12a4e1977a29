"""Professions a volunteer may have: slugs of the RPPS nomenclature, with their French names."""

from __future__ import annotations

PROFESSIONS: dict[str, str] = {
    "medecin": "Médecin",
    "infirmier": "Infirmier",
    "sage_femme": "Sage-femme",
    "pharmacien": "Pharmacien",
    "masseur_kinesitherapeute": "Masseur-kinésithérapeute",
    "chirurgien_dentiste": "Chirurgien-dentiste",
    "orthophoniste": "Orthophoniste",
    "orthoptiste": "Orthoptiste",
    "psychologue": "Psychologue",
    "pedicure_podologue": "Pédicure-podologue",
    "ergotherapeute": "Ergothérapeute",
    "psychomotricien": "Psychomotricien",
    "dieteticien": "Diététicien",
    "audioprothesiste": "Audioprothésiste",
    "opticien_lunetier": "Opticien-lunetier",
    "manipulateur_erm": "Manipulateur ERM",
    "assistant_social": "Assistant de service social",
    "coordinateur": "Coordinateur de parcours",
}


def is_profession(slug: str) -> bool:
    """True when the slug names a known profession."""
    return slug in PROFESSIONS
