"""Password strength: at least 12 characters and a zxcvbn score of 3 or more, with French words and the account's
own e-mail and name counted as easy guesses."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Any

from unidecode import unidecode

from orientation.core.french_dates import MONTHS, WEEKDAYS
from orientation.web.console import messages

MIN_LENGTH = 12
MAX_LENGTH = 1024  # the login form reads no more than this
MIN_SCORE = 3  # zxcvbn: 3 "safely unguessable: moderate protection from offline slow-hash scenario"
# zxcvbn refuses longer inputs; a password's first 72 characters are what it is judged on.
_ZXCVBN_MAX = 72

# zxcvbn's dictionaries are English: the words a French speaker reaches for first count as guessable too.
FRENCH_WORDS = (
    "motdepasse", "azerty", "bonjour", "bonsoir", "salut", "coucou", "soleil", "amour", "jetaime", "doudou",
    "loulou", "chouchou", "chocolat", "bisous", "princesse", "biloute", "marseille", "paris", "lyon", "lille",
    "toulouse", "bordeaux", "nantes", "france", "liberte", "egalite", "fraternite", "bienvenue", "secret",
    "motdepass", "mdp", "administrateur", "admin", "utilisateur", "connexion", "console", "coordination",
    "coordinateur", "coordinatrice", "orientation", "ligne", "cpts", "sante", "medecin", "docteur",
    "infirmier", "infirmiere", "pharmacien", "pharmacie", "patient", "patiente", "hopital", "urgence",
    "urgences", "maison", "famille", "enfant", "chat", "chien", "demo",
    # The months and days, typed without accents as passwords usually are.
    *(unidecode(name) for name in (*MONTHS, *WEEKDAYS)), "nicolas", "julien", "camille", "marie", "pierre",
    "jean", "michel", "philippe", "isabelle", "nathalie", "sophie", "thomas", "alexandre",
)  # fmt: skip

# zxcvbn assigns its ranked dictionary of user inputs to a module-level global: two threads of one gunicorn
# worker checking passwords at once would judge one password against the other's inputs.
_ZXCVBN_LOCK = threading.Lock()


def personal_words(email: str, name: str | None = None) -> list[str]:
    """The account's e-mail, its parts and the name's words, as zxcvbn user inputs."""
    email = email.strip().lower()
    local, _, domain = email.partition("@")
    words = [email, local, domain, *re.split(r"[^\w]+", local), *re.split(r"[^\w]+", domain)]
    if name:
        words += [name.lower(), *re.split(r"[^\w]+", name.lower())]
    return _with_unaccented(w for w in words if len(w) >= 3)


def _with_unaccented(words: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for word in words:
        seen.setdefault(word, None)
        seen.setdefault(unidecode(word), None)
    return list(seen)


def _score(password: str, inputs: list[str]) -> dict[str, Any]:
    # Imported here: its dictionaries take a quarter of a second to load, needed only when a password is set.
    from zxcvbn import zxcvbn

    with _ZXCVBN_LOCK:
        return dict(zxcvbn(password[:_ZXCVBN_MAX], user_inputs=inputs))


def weakness(password: str, email: str, name: str | None = None) -> str | None:
    """Why a new password is refused, in French; None when it is long and strong enough."""
    if len(password) < MIN_LENGTH:
        return messages.PASSWORD_ERRORS["too_short"].format(minimum=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return messages.PASSWORD_ERRORS["too_long"].format(maximum=MAX_LENGTH)
    personal = personal_words(email, name)
    inputs = personal + list(FRENCH_WORDS)
    result = _score(password, inputs)
    if result["score"] < MIN_SCORE:
        return messages.PASSWORD_ERRORS["weak"].format(reason=_reason(result, set(personal)))
    # zxcvbn may still rate "coord.example.org" fair for coord@example.org (the dot costs it guesses): what is
    # left once the account's own words are taken out must be strong by itself.
    rest = _without(password, personal)
    if rest != password and _score(rest, inputs)["score"] < MIN_SCORE:
        return messages.PASSWORD_ERRORS["weak"].format(reason=messages.PASSWORD_REASONS["personal"])
    return None


def _without(password: str, words: list[str]) -> str:
    """The password with every occurrence of the given words (4 letters or more, any case) removed."""
    rest = password
    for word in sorted((w for w in words if len(w) >= 4), key=len, reverse=True):
        rest = re.sub(re.escape(word), "", rest, flags=re.IGNORECASE)
    return rest


def _reason(result: dict[str, Any], personal: set[str]) -> str:
    """The main reason, in French: the account's own words, a French word, else zxcvbn's warning."""
    for match in result["sequence"]:
        if match.get("dictionary_name") == "user_inputs":
            if match.get("matched_word") in personal:
                return messages.PASSWORD_REASONS["personal"]
            return messages.PASSWORD_REASONS["french_word"]
    warning = result["feedback"].get("warning") or ""
    return messages.ZXCVBN_WARNINGS.get(warning, messages.PASSWORD_REASONS["guessable"])
