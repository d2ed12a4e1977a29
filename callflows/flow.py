"""The call's decisions, pure: what the caller's keys or words mean and which step comes next."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MENU_KEYS = {
    "1": "medecin_traitant",
    "2": "visite_domicile",
    "3": "soins_non_programmes",
    "4": "orientation",
}
REPEAT = "repeat"
MAX_MENU_TRIES = 2
MAX_POSTCODE_TRIES = 2

# Speech: the words a French caller may use for each choice, matched on accent-free lowercase text.
# Order matters: "médecin traitant" must win over the looser "rapidement"/"médecin" words below.
_SPEECH_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (REPEAT, ("repeter", "repetez", "reecouter", "encore une fois", "etoile")),
    ("medecin_traitant", ("medecin traitant", "traitant", "generaliste", "medecin de famille")),
    ("visite_domicile", ("visite", "domicile", "a la maison", "chez moi", "se deplacer")),
    (
        "soins_non_programmes",
        ("rapidement", "vite", "aujourd'hui", "non programme", "consulter", "rendez-vous", "urgent", "soins"),
    ),
    ("orientation", ("autre", "orientation", "question", "renseignement", "information")),
)
_SPOKEN_DIGITS = {"un": "1", "une": "1", "deux": "2", "trois": "3", "quatre": "4"}


@dataclass(frozen=True)
class MenuInput:
    """What the caller chose at the motive menu: a motive, repeat, or nothing understood."""

    motive: str | None = None
    repeat: bool = False

    @property
    def understood(self) -> bool:
        """True when the caller chose a motive or asked to hear the menu again."""
        return self.motive is not None or self.repeat


def fold(text: str) -> str:
    """Lowercase, accent-free, single-spaced text for matching speech."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    bare = bare.replace("’", "'")
    # Punctuation becomes a space, then runs of spaces one: "médecin, traitant" still matches "medecin traitant".
    return " ".join(re.sub(r"[^a-z0-9' -]+", " ", bare).split())


def parse_menu_input(digits: str | None, speech: str | None) -> MenuInput:
    """Read the menu answer from keys first, then from French speech."""
    keys = (digits or "").strip()
    if keys:
        if keys.startswith("*"):
            return MenuInput(repeat=True)
        return MenuInput(motive=MENU_KEYS.get(keys[0]))
    words = fold(speech or "")
    if not words:
        return MenuInput()
    tokens = words.split()
    # Words first: "une visite" or "un rendez-vous" must not be read as the key 1 from their article.
    for choice, phrases in _SPEECH_RULES:
        # A phrase must start a word, so "vite" inside "visite" or "soins" inside "besoins" does not count.
        if any(re.search(rf"\b{re.escape(phrase)}", words) for phrase in phrases):
            return MenuInput(repeat=True) if choice == REPEAT else MenuInput(motive=choice)
    for token in tokens:
        if token in MENU_KEYS:
            return MenuInput(motive=MENU_KEYS[token])
        # "un", "deux"… only in a short answer ("le deux"), where they cannot be an article in a sentence.
        if token in _SPOKEN_DIGITS and len(tokens) <= 3:
            return MenuInput(motive=MENU_KEYS[_SPOKEN_DIGITS[token]])
    return MenuInput()


@dataclass(frozen=True)
class MenuStep:
    """After a menu answer: ask again, or go on with a motive (defaulted after repeated silence)."""

    motive: str | None
    ask_again: bool
    defaulted: bool = False
    not_understood: bool = False


def after_menu(answer: MenuInput, tries: int) -> MenuStep:
    """Next step after the menu's `tries`-th answer: never hang up, default to orientation at the limit."""
    if answer.motive:
        return MenuStep(motive=answer.motive, ask_again=False)
    if answer.repeat:
        return MenuStep(motive=None, ask_again=True)
    if tries >= MAX_MENU_TRIES:
        return MenuStep(motive="orientation", ask_again=False, defaulted=True)
    return MenuStep(motive=None, ask_again=True, not_understood=True)


def _french_numbers_0_to_99() -> dict[str, int]:
    """Every way French (and Belgian, Swiss) speech spells 0-99, accent-free, hyphens as spaces."""
    units = [
        "zero", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf",
        "dix", "onze", "douze", "treize", "quatorze", "quinze", "seize",
    ]  # fmt: skip
    spelled: dict[str, int] = {word: value for value, word in enumerate(units)}
    spelled.update({"dix sept": 17, "dix huit": 18, "dix neuf": 19})
    tens = {
        20: ["vingt"], 30: ["trente"], 40: ["quarante"], 50: ["cinquante"], 60: ["soixante"],
        70: ["septante"], 80: ["quatre vingt", "quatre vingts", "huitante", "octante"], 90: ["nonante"],
    }  # fmt: skip
    for ten, names in tens.items():
        for name in names:
            spelled[name] = ten
            for unit in range(1, 10):
                spelled[f"{name} {units[unit]}"] = ten + unit
            spelled[f"{name} et un"] = ten + 1
            spelled[f"{name} et une"] = ten + 1
    # 70-79 and 90-99 the French way: soixante-dix-sept, quatre-vingt-onze.
    for base, name in ((60, "soixante"), (80, "quatre vingt")):
        for teen in range(10, 20):
            teen_words = units[teen] if teen <= 16 else f"dix {units[teen - 10]}"
            spelled[f"{name} {teen_words}"] = base + teen
        spelled[f"{name} et onze"] = base + 11
    return spelled


_SPELLED = _french_numbers_0_to_99()
_THOUSAND = "mille"
_LONGEST = max(len(words.split()) for words in _SPELLED)


def spoken_digits(speech: str) -> str:
    """The digits a French caller said, in order: "soixante-quinze zéro vingt" → "75020",
    "quatre-vingt-treize cent" → "93100", "soixante-quinze mille vingt" → "75020"; digits kept as they are."""
    tokens = fold(speech).replace("-", " ").split()
    items: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.isdigit():
            items.append(token)
            i += 1
            continue
        for size in range(min(_LONGEST, len(tokens) - i), 0, -1):
            words = " ".join(tokens[i : i + size])
            if words in _SPELLED:
                items.append(str(_SPELLED[words]))
                i += size
                break
        else:
            if token in ("cent", "cents"):
                # "deux cent" is 200; a lone "cent" (as in "quatre-vingt-treize cent") is 100.
                if items and items[-1] in "23456789" and len(items[-1]) == 1:
                    items[-1] = str(int(items[-1]) * 100)
                else:
                    items.append("100")
            elif token == _THOUSAND and items:
                # "soixante-quinze mille vingt": 75 thousand, then what follows fills the last three digits.
                items[-1] = str(int(items[-1]) * 1000)
                if i + 1 < len(tokens):
                    rest = spoken_digits(" ".join(tokens[i + 1 :]))
                    if rest and int(rest) < 1000:
                        items[-1] = str(int(items[-1]) + int(rest))
                        return "".join(items)
            i += 1
    return "".join(items)


def parse_postcode(digits: str | None, speech: str | None) -> str | None:
    """Five digits typed, or spoken ("75 020" as Twilio transcribes it, or French words for the numbers)."""
    found = re.sub(r"\D", "", digits or "")
    if len(found) == 5:
        return found
    if speech:
        for reading in (re.sub(r"\D", "", speech), spoken_digits(speech)):
            if len(reading) == 5:
                return reading
    return None


@dataclass(frozen=True)
class PostcodeStep:
    """After a postcode answer: ask again, or go on with the postcode (None after repeated failure)."""

    postcode: str | None
    ask_again: bool


def after_postcode(postcode: str | None, tries: int) -> PostcodeStep:
    """Next step after the postcode's `tries`-th answer: continue without one at the limit."""
    if postcode:
        return PostcodeStep(postcode=postcode, ask_again=False)
    return PostcodeStep(postcode=None, ask_again=tries < MAX_POSTCODE_TRIES)


def neighbour_for(postcode: str, neighbours: list[tuple[str, str, list[str]]]) -> tuple[str, str] | None:
    """The (name, phone) of a neighbouring CPTS covering the postcode, if one is known."""
    for name, phone, postcodes in neighbours:
        if postcode in postcodes:
            return name, phone
    return None


def screening_accepts(digits: str | None) -> bool:
    """Only a 1 takes the call: anything else, silence or a voicemail's noise does not."""
    return (digits or "").strip() == "1"
