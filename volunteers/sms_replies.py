"""What a volunteer texts to the line's number, parsed tolerantly but never guessed (pure, French).

A reply sets the outcome of a request, and outcomes make the match rate the CPTS reports, so the parser
is tolerant of form (case, accents, spaces, punctuation, politeness, a reference before or after the code)
and strict on meaning: any word it does not know, two different codes, or a code out of range gives
:class:`Unknown`, and the volunteer is asked again. Answering "rappelez dans 3 jours" must not record
"sans suite".

What is understood (after accents and case are dropped):

* an outcome: one code 1, 2 or 3 (``1``, ``1.``, ``1!``, ``1 merci``, ``réponse 1``, ``P20-2026-000123 2``,
  ``2 p20-2026-000123``), or the words of the prompt (``pris en charge``, ``orienté ailleurs``,
  ``sans suite``, also ``PEC``), possibly both when they agree (``1 pris en charge``);
* ``PAUSE`` / ``indispo``, ``DISPO`` / ``disponible``, ``ROTA`` / ``planning`` / ``gardes``,
  ``AIDE`` / ``help`` / ``?`` — the keyword alone, with at most politeness around it (``pause merci``,
  ``je suis dispo``). Negations are not politeness: ``pas dispo`` is Unknown, never Available.

The body is health data: nothing here logs it, and :class:`Unknown` keeps it out of its ``repr``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

from unidecode import unidecode

OUTCOME_FOR_CODE: dict[int, str] = {1: "matched", 2: "oriented", 3: "no_solution"}

# Twilio concatenates at most 1,600 characters; anything longer is not a reply typed on a phone.
MAX_BODY_LENGTH = 1600

# <PREFIX>-<YYYY>-<6 digits>, PREFIX 1-6 letters/digits; spaces around the dashes and a dash turned
# into "--" (unidecode of an em dash, which phones substitute) are tolerated.
_REFERENCE = re.compile(r"(?<![a-z0-9])([a-z0-9]{1,6})\s*-{1,2}\s*(\d{4})\s*-{1,2}\s*(\d{6})(?![a-z0-9])")
_TOKEN = re.compile(r"[a-z]+|\d+")

# Words that carry no meaning in a reply. Deliberately no negation ("pas", "ne", "plus", "non") and
# no word that could carry a time or a condition ("dans", "demain", "si"): those make the reply Unknown.
_POLITENESS = frozenset(
    {
        "ok", "okay", "oui", "merci", "mci", "bonjour", "bjr", "bonsoir", "cordialement", "cdt", "svp", "stp",
        "bien", "recu", "bonne", "journee", "soiree", "voila", "bises", "je", "suis", "me", "mets",
        "mes", "mon", "en", "c", "est", "ca",
    }
)  # fmt: skip
_OUTCOME_FILLERS = _POLITENESS | frozenset(
    {
        "reponse", "rep", "code", "choix", "option", "touche", "n", "no", "num", "numero", "ndeg", "ref",
        "reference", "pour", "la", "le", "demande", "patient", "patiente", "dossier",
    }
)  # fmt: skip

# The words of the prompt "répondez 1 pris en charge, 2 orienté ailleurs, 3 sans suite", as token runs.
_OUTCOME_PHRASES: tuple[tuple[tuple[str, ...], int], ...] = (
    (("pris", "en", "charge"), 1),
    (("prise", "en", "charge"), 1),
    (("pec",), 1),
    (("oriente", "ailleurs"), 2),
    (("orientee", "ailleurs"), 2),
    (("oriente",), 2),
    (("orientee",), 2),
    (("sans", "suite"), 3),
)

_KEYWORDS: dict[str, str] = {
    "pause": "pause",
    "indispo": "pause",
    "indisponible": "pause",
    "dispo": "available",
    "disponible": "available",
    "rota": "rota",
    "planning": "rota",
    "gardes": "rota",
    "garde": "rota",
    "aide": "help",
    "help": "help",
}


@dataclass(frozen=True, slots=True)
class OutcomeReply:
    """An outcome for a request: 1 pris en charge, 2 orienté ailleurs, 3 sans suite."""

    code: int
    reference: str | None = None

    def __post_init__(self) -> None:
        if self.code not in OUTCOME_FOR_CODE:
            raise ValueError(f"outcome code must be one of {sorted(OUTCOME_FOR_CODE)}")

    @property
    def outcome(self) -> str:
        """Return the outcome code this reply sets (see OUTCOME_FOR_CODE)."""
        return OUTCOME_FOR_CODE[self.code]


@dataclass(frozen=True, slots=True)
class Pause:
    """The volunteer stops receiving calls until they text DISPO."""


@dataclass(frozen=True, slots=True)
class Available:
    """The volunteer receives calls again during their shifts."""


@dataclass(frozen=True, slots=True)
class Rota:
    """The volunteer asks for their next shifts."""


@dataclass(frozen=True, slots=True)
class Help:
    """The volunteer asks what they can text."""


@dataclass(frozen=True, slots=True)
class Unknown:
    """Anything else; ``text`` is the body as received, kept out of repr so it never reaches a log."""

    text: str = field(repr=False)


SmsCommand: TypeAlias = OutcomeReply | Pause | Available | Rota | Help | Unknown

_COMMANDS: dict[str, SmsCommand] = {
    "pause": Pause(),
    "available": Available(),
    "rota": Rota(),
    "help": Help(),
}


@dataclass(frozen=True, slots=True)
class Ambiguous:
    """Several requests await an outcome from this volunteer and the reply names none of them."""

    references: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NoOpenRequest:
    """No request awaits an outcome from this volunteer."""


@dataclass(frozen=True, slots=True)
class UnknownReference:
    """The reply names a reference that is not among this volunteer's open requests."""

    reference: str


def normalise_reference(text: str) -> str | None:
    """Return ``text`` as a canonical reference (``P20-2026-000123``), or None if it is not one."""
    match = _REFERENCE.fullmatch(_fold(text).strip())
    return _canonical(match) if match else None


def _fold(text: str) -> str:
    # Lone surrogates (a broken client) are dropped first: unidecode would warn about each of them.
    clean = text.encode("utf-8", "ignore").decode("utf-8")
    return unidecode(clean).lower()


def _canonical(match: re.Match[str]) -> str:
    prefix, year, number = match.groups()
    return f"{prefix.upper()}-{year}-{number}"


def _outcome_from_tokens(tokens: list[str]) -> int | None:
    """Return the single code the tokens mean, or None if they mean nothing, several things or more."""
    codes: set[int] = set()
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.isdigit():
            codes.add(int(token))
            i += 1
            continue
        for phrase, code in _OUTCOME_PHRASES:
            if tuple(tokens[i : i + len(phrase)]) == phrase:
                codes.add(code)
                i += len(phrase)
                break
        else:
            if token not in _OUTCOME_FILLERS:
                return None
            i += 1
    if len(codes) != 1:
        return None
    (code,) = codes
    return code if code in OUTCOME_FOR_CODE else None


def parse_volunteer_sms(body: str) -> SmsCommand:
    """Return the command a volunteer's SMS means, or Unknown; never raises on any text."""
    if len(body) > MAX_BODY_LENGTH:
        return Unknown(body)
    text = _fold(body)
    references = {_canonical(match) for match in _REFERENCE.finditer(text)}
    if len(references) > 1:
        return Unknown(body)
    tokens = _TOKEN.findall(_REFERENCE.sub(" ", text))
    if not tokens:
        # "?" (or "??") alone asks for help; an empty body or a bare reference means nothing.
        if not references and "?" in text and not text.replace("?", "").strip(" .!"):
            return Help()
        return Unknown(body)
    meaningful = [token for token in tokens if token not in _POLITENESS]
    if not references and len(meaningful) == 1 and meaningful[0] in _KEYWORDS:
        return _COMMANDS[_KEYWORDS[meaningful[0]]]
    code = _outcome_from_tokens(tokens)
    if code is None:
        return Unknown(body)
    return OutcomeReply(code=code, reference=next(iter(references), None))


def pick_request(
    reply: OutcomeReply, open_references: Sequence[str]
) -> str | Ambiguous | NoOpenRequest | UnknownReference:
    """Return which of the volunteer's open requests the reply is about, or why it cannot be told."""
    canonical: dict[str, str] = {}
    for reference in open_references:
        canonical.setdefault(normalise_reference(reference) or reference, reference)
    if reply.reference is not None:
        if reply.reference in canonical:
            return canonical[reply.reference]
        return UnknownReference(reply.reference)
    if not canonical:
        return NoOpenRequest()
    if len(canonical) == 1:
        return next(iter(canonical.values()))
    return Ambiguous(tuple(sorted(canonical.values())))
