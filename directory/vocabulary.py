"""The words coordinators type for professions, categories and places, folded like names (pure).

A coordinator looks for "kiné", "infirmière", "sages-femmes", "pharmacie" or "Paris 20", not for the
slugs and codes the national files carry. Each entry is indexed under these words besides its name's.
"""

from __future__ import annotations

from functools import lru_cache

from directory.categories import (
    CATEGORY_LABELS_FR,
    DISABILITY,
    HEALTH_ESTABLISHMENTS,
    HOME_CARE,
    LIBERAL_PROFESSIONALS,
    RETIREMENT_HOMES,
    SOCIAL_ACTION,
)
from directory.normalize import fold

# Profession slug (RPPS) -> what people call it, masculine, feminine and short forms; plurals come from `stem`.
PROFESSION_WORDS: dict[str, str] = {
    "medecin": "médecin docteur",
    "pharmacien": "pharmacien pharmacienne pharmacie officine",
    "audioprothesiste": "audioprothésiste audition",
    "opticien_lunetier": "opticien opticienne lunetier optique",
    "assistant_dentaire": "assistant assistante dentaire",
    "physicien_medical": "physicien physicienne médical",
    "chirurgien_dentiste": "chirurgien chirurgienne dentiste",
    "sage_femme": "sage-femme maïeuticien",
    "infirmier": "infirmier infirmière idel",
    "infirmier_psychiatrique": "infirmier infirmière psychiatrique",
    "masseur_kinesitherapeute": "masseur masseuse kinésithérapeute kinésithérapie kiné",
    "osteopathe": "ostéopathe ostéo",
    "psychotherapeute": "psychothérapeute psy",
    "chiropracteur": "chiropracteur chiropractrice",
    "pedicure_podologue": "pédicure podologue",
    "orthoprothesiste": "orthoprothésiste",
    "podo_orthesiste": "podo-orthésiste",
    "orthopediste_orthesiste": "orthopédiste orthésiste",
    "oculariste": "oculariste",
    "epithesiste": "épithésiste",
    "technicien_labo": "technicien technicienne laboratoire",
    "orthophoniste": "orthophoniste",
    "orthoptiste": "orthoptiste",
    "psychologue": "psychologue psy",
    "ergotherapeute": "ergothérapeute ergo",
    "dieteticien": "diététicien diététicienne",
    "psychomotricien": "psychomotricien psychomotricienne",
    "manipulateur_erm": "manipulateur manipulatrice radiologie",
    "assistant_social": "assistant assistante social sociale",
}
# A doctor in general practice is what most callers mean by "un généraliste".
GENERAL_PRACTICE_WORDS = "généraliste médecine générale"

CATEGORY_WORDS: dict[str, str] = {
    LIBERAL_PROFESSIONALS: "libéral libérale cabinet",
    HOME_CARE: "domicile aide soins ssiad saad",
    DISABILITY: "handicap handicapé",
    SOCIAL_ACTION: "social sociale",
    RETIREMENT_HOMES: "ehpad retraite âgées",
    HEALTH_ESTABLISHMENTS: "établissement santé",
}

# Words that say nothing on their own ("Centre de santé" must not match every "de").
_STOP_WORDS = frozenset(
    {"a", "au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les", "pour", "sur", "ex", "un", "une"}
)
# Communes with arrondissements: "Paris 20", "Lyon 3e", "Marseille 13ème" name a postcode's district.
_DISTRICT_CITIES = {"paris": "75", "lyon": "69", "marseille": "13"}


def stem(word: str) -> str:
    """A folded word without its French plural: "medecins" -> "medecin", "hopitaux" -> "hopital"."""
    if len(word) > 4 and word.endswith("aux"):
        return word[:-3] + "al"
    if len(word) > 3 and word[-1] in "sx":
        return word[:-1]
    return word


def _words(text: str) -> set[str]:
    return {word for word in fold(text).split() if word not in _STOP_WORDS}


def district_words(postcode: str | None, commune: str | None) -> set[str]:
    """ "20", "20e", "20eme" for an entry in Paris 75020 (also Lyon and Marseille), else nothing."""
    if not postcode or not commune or len(postcode) != 5 or not postcode.isdigit():
        return set()
    city = fold(commune).split()[:1]
    prefix = _DISTRICT_CITIES.get(city[0]) if city else None
    if prefix is None or not postcode.startswith(prefix):
        return set()
    number = int(postcode[-2:])
    if number == 0:
        return set()
    words = {str(number), f"{number}e", f"{number}eme"}
    if number == 1:
        words |= {"1er", "1ere"}
    return words


@lru_cache(maxsize=4096)
def facet_words(
    profession: str | None,
    general_practice: bool,
    category: str,
    category_label: str | None,
    commune: str | None,
    postcode: str | None,
) -> frozenset[str]:
    """The words an entry is found by besides its name: profession, category, commune and postcode."""
    words: set[str] = set()
    if profession:
        words |= _words(PROFESSION_WORDS.get(profession, profession.replace("_", " ")))
    if general_practice:
        words |= _words(GENERAL_PRACTICE_WORDS)
    words |= _words(CATEGORY_WORDS.get(category, ""))
    words |= _words(CATEGORY_LABELS_FR.get(category, ""))
    if category_label:
        words |= _words(category_label)
    if commune:
        words |= _words(commune)
    if postcode:
        words.add(postcode.strip())
    words |= district_words(postcode, commune)
    return frozenset(word for word in words if word)
