"""An access-log entry's details in French ("Issue : pris en charge · Fiche : Cabinet Martin"), pure.

Entries keep codes (`{"outcome": "matched", "directory_entry_id": 8}`) so that the audit API and the files stay
stable; this module words them for the administrator. A key or a value it does not know is shown as stored
rather than dropped: the journal must show everything an entry holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, tzinfo
from typing import Any

from orientation.core.labels import MOTIVES, STATUSES
from orientation.core.prompts import OUTCOME_LABELS

KEYS = {
    "via": "Par",
    "file": "Fichier",
    "format": "Format",
    "du": "Du",
    "au": "Au",
    "lines": "Lignes",
    "motif": "Motif",
    "statut": "Statut",
    "issue": "Issue",
    "cp": "Code postal",
    "ref": "Référence",
    "reference": "Référence",
    "outcome": "Issue",
    "directory_entry_id": "Fiche",
    "fields": "Champs modifiés",
    "retention_months": "Durée de conservation",
    "until": "Jusqu'au",
    "uncovered": "Motifs sans bénévole",
    "message_sid": "SMS",
    "number": "Numéro",
    "requests": "Demandes",
    "recordings_deleted": "Enregistrements effacés",
    "recordings_left": "Enregistrements restant chez Twilio",
    "journal_lines": "Lignes du journal local effacées",
}
VIA = {
    "console": "la console",
    "api": "l'API",
    "sms": "SMS",
    "outcome_form": "le formulaire d'issue du bénévole",
    "page": "la page du bénévole",
    "voice": "téléphone",
    "cli": "la ligne de commande",
}
FILES = {"aci": "chiffres ACI", "requests": "journal des demandes"}
FORMATS = {"fr": "tableur (français)", "rfc4180": "RFC 4180 (pour un programme)"}
FIELDS = {
    "outcome": "issue",
    "directory_entry": "fiche",
    "directory_entry_id": "fiche",
    "note": "note",
}
_MOTIVES = {code: label.lower() if code != "unknown" else label for code, label in MOTIVES.items()}
_STATUSES = {code: label.lower() for code, label in STATUSES.items()}
_WORDS: dict[str, Mapping[str, str]] = {
    "via": VIA,
    "file": FILES,
    "format": FORMATS,
    "outcome": OUTCOME_LABELS,
    "issue": OUTCOME_LABELS,
    "motif": _MOTIVES,
    "statut": _STATUSES,
    "fields": FIELDS,
    "uncovered": _MOTIVES,
}


def _day(text: str) -> str:
    try:
        return date.fromisoformat(text).strftime("%d/%m/%Y")
    except ValueError:
        return text


def _instant(text: str, tz: tzinfo) -> str:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    return moment.astimezone(tz).strftime("%d/%m/%Y %H:%M") if moment.tzinfo else moment.strftime("%d/%m/%Y %H:%M")


def describe_value(key: str, value: Any, entries: Mapping[int, str], tz: tzinfo) -> str:
    """One detail's value in French: labels for codes, French dates, the directory entry's name."""
    if value is None:
        return "aucune" if key == "directory_entry_id" else "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list | tuple):
        return ", ".join(describe_value(key, item, entries, tz) for item in value) or "—"
    if key == "directory_entry_id" and isinstance(value, int):
        # An entry deleted since keeps its number, so the line still says which one it was.
        return entries.get(value, f"n° {value} (supprimée)")
    if key in _WORDS and isinstance(value, str):
        return _WORDS[key].get(value, value)
    if key in ("du", "au") and isinstance(value, str):
        return _day(value)
    if key == "until" and isinstance(value, str):
        return _instant(value, tz)
    if key == "retention_months":
        return f"{value} mois"
    return str(value)


def describe_details(details: Mapping[str, Any], entries: Mapping[int, str], tz: tzinfo) -> str:
    """An entry's details on one line, in French ("Par : la console · Du : 01/11/2026")."""
    return " · ".join(
        f"{KEYS.get(key, key)} : {describe_value(key, value, entries, tz)}" for key, value in details.items()
    )


def entry_ids(details: Mapping[str, Any]) -> set[int]:
    """The directory entries an entry's details point to (their names are looked up once for a page)."""
    value = details.get("directory_entry_id")
    return {value} if isinstance(value, int) and not isinstance(value, bool) else set()
