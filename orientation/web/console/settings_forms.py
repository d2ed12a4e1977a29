"""Territory settings: the line's numbers, postcodes and opening hours, and the wording of what it says."""

from __future__ import annotations

import re
from string import Formatter
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from orientation.core import prompts
from orientation.core.fields import is_postcode
from orientation.core.labels import MOTIVE_PHRASES
from orientation.core.models import Territory
from orientation.core.opening_hours import OpeningHoursError, parse_opening_hours
from orientation.core.phones import InvalidPhone, to_e164
from orientation.core.sms_sender import InvalidSender, parse_sender
from orientation.services.territories import NumberTaken, update_territory
from orientation.web.api.schemas import (
    ANNOUNCEMENT_MAX,
    CRISIS_OFFERS_MAX,
    CRISIS_OFFERS_MIN,
    WAIT_LIMIT_MAX,
    WAIT_LIMIT_MIN,
    CrisisIn,
    TerritoryPatch,
)
from orientation.web.console.rota_forms import FormErrors

# The prompts a coordinator may reword: what the patient hears and the SMS they get. The volunteers'
# screening and the SMS codes stay fixed, since volunteers learn them once for every territory.
EDITABLE_PROMPTS = (
    "welcome",
    "menu",
    "searching",
    "still_searching",
    "nobody_available",
    "message_recorded",
    "closed",
    "closed_message",
    "goodbye",
    "sms_patient_callback",
)
SAMPLE_VALUES: dict[str, str] = {
    "reference": "P20-2026-000123",
    "reopens": "demain à 8 heures",
    "motive": MOTIVE_PHRASES["visite_domicile"],
    "postcode": "75020",
    "neighbour": "CPTS Voisine",
    "phone": "01 99 00 00 02",
}
# The form's choice for SMS replies: automatic (by sender), yes, no.
SMS_REPLIES_CHOICES: dict[str, bool | None] = {"auto": None, "oui": True, "non": False}
_SPLIT = re.compile(r"[\s,;]+")


def sample_values(territory: Territory) -> dict[str, str]:
    """Example values to show a prompt as a caller would hear it."""
    return {**SAMPLE_VALUES, "territory": territory.name}


def overrides(territory: Territory) -> dict[str, str]:
    """The territory's rewordings (Territory.settings["prompts"])."""
    found = (territory.settings or {}).get("prompts") or {}
    return {k: v for k, v in found.items() if isinstance(v, str)}


def preview(territory: Territory, wording: dict[str, str]) -> dict[str, str]:
    """Each editable prompt as it would be said with these rewordings (the default where none)."""
    values = sample_values(territory)
    return {
        key: prompts.text(key, wording, **{k: values[k] for k in prompts.placeholders(key)}) for key in EDITABLE_PROMPTS
    }


def check_wording(key: str, text: str) -> str | None:
    """A French message when a rewording uses a {field} the prompt does not provide, else None."""
    allowed = prompts.placeholders(key)
    try:
        fields = [(name, spec, conversion) for _, name, spec, conversion in Formatter().parse(text)]
    except ValueError:
        return "Accolades mal fermées : écrivez {territory}, {reference}…"
    for name, spec, conversion in fields:
        if name is None:
            continue
        if name not in allowed or spec or conversion:
            names = ", ".join("{" + a + "}" for a in sorted(allowed)) or "aucun"
            return f"{{{name}}} n'est pas disponible ici (champs possibles : {names})."
    return None


def parse_wording(form: MultiDict[str, str]) -> dict[str, str]:
    """The rewordings typed in the form; an empty field means the default wording."""
    errors: dict[str, str] = {}
    wording: dict[str, str] = {}
    for key in EDITABLE_PROMPTS:
        text = " ".join(form.get(f"prompt_{key}", "").split())[:1000]
        if not text or text == prompts.PROMPTS[key]:
            continue
        problem = check_wording(key, text)
        if problem:
            errors[f"prompt_{key}"] = problem
        wording[key] = text
    if errors:
        raise FormErrors(errors)
    return wording


def save_wording(territory: Territory, wording: dict[str, str]) -> None:
    """Keep the rewordings in the territory's settings (other settings untouched)."""
    settings = dict(territory.settings or {})
    settings["prompts"] = wording
    territory.settings = settings


def parse_line(form: MultiDict[str, str], territory: Territory, may_edit_numbers: bool) -> dict[str, Any]:
    """Numbers (administrators only), postcodes and opening hours, validated."""
    errors: dict[str, str] = {}
    data: dict[str, Any] = {}
    if may_edit_numbers:
        numbers = []
        for raw in _SPLIT.split(form.get("numbers", "").replace(". ", " ")):
            if not raw:
                continue
            try:
                numbers.append(to_e164(raw, territory.region))
            except InvalidPhone:
                errors["numbers"] = f"Numéro invalide : {raw}"
        if not numbers and "numbers" not in errors:
            errors["numbers"] = "Au moins un numéro est nécessaire pour recevoir les appels."
        data["phone_numbers"] = list(dict.fromkeys(numbers))
    postcodes = [p for p in _SPLIT.split(form.get("postcodes", "")) if p]
    bad = [p for p in postcodes if not is_postcode(p)]
    if bad:
        errors["postcodes"] = f"Codes postaux à cinq chiffres : {', '.join(bad[:5])} ?"
    data["postcodes"] = sorted(set(postcodes))
    hours = " ".join(form.get("opening_hours", "").split())
    try:
        data["opening_hours"] = str(parse_opening_hours(hours)) if hours else "24/7"
    except OpeningHoursError as exc:
        errors["opening_hours"] = f"Horaires illisibles : {exc.french}."
    try:
        data["sms_sender"] = parse_sender(form.get("sms_sender"), territory.region)
    except InvalidSender:
        errors["sms_sender"] = (
            "Expéditeur invalide : laissez vide (numéro de la ligne), ou un numéro, un nom de 3 à 11 lettres, "
            "chiffres ou espaces (au moins une lettre), ou un identifiant de Messaging Service (MG…)."
        )
    data["sms_replies"] = SMS_REPLIES_CHOICES.get(form.get("sms_replies", "auto"))
    if errors:
        raise FormErrors(errors)
    if data.get("opening_hours") and hours:
        data["opening_hours"] = hours  # keep what the coordinator wrote once it parses
    return data


def save_line(session: Session, territory: Territory, data: dict[str, Any]) -> None:
    """Apply the line settings; a number already serving another line is refused."""
    try:
        update_territory(session, territory, data)
    except NumberTaken as exc:
        raise FormErrors({"numbers": f"Numéro déjà utilisé par un autre territoire : {exc}"}) from exc


# The French words of each crisis field's error; the bounds come from the API's models (one definition).
CRISIS_ERRORS = {
    "crisis_offers": f"Un nombre entier de {CRISIS_OFFERS_MIN} à {CRISIS_OFFERS_MAX} bénévoles.",
    "crisis_announcement": f"L'annonce tient en {ANNOUNCEMENT_MAX} caractères au plus.",
    "queue_wait_limit_seconds": f"Un nombre entier de secondes, de {WAIT_LIMIT_MIN} à {WAIT_LIMIT_MAX} "
    f"({WAIT_LIMIT_MIN // 60} à {WAIT_LIMIT_MAX // 60} minutes).",
}
_CRISIS_FIELDS = {"offers": "crisis_offers", "announcement": "crisis_announcement", "enabled": "crisis_enabled"}


def parse_crisis(form: MultiDict[str, str]) -> dict[str, Any]:
    """Crisis mode (checkbox), offers, announcement and wait limit, validated by the API's own models."""
    errors: dict[str, str] = {}
    data: dict[str, Any] = {}
    raw = {
        "enabled": form.get("crisis_enabled") == "on",
        "offers": form.get("crisis_offers", "").strip(),
        "announcement": form.get("crisis_announcement", ""),
    }
    try:
        data["crisis"] = CrisisIn.model_validate(raw).model_dump()
    except ValidationError as exc:
        for item in exc.errors():
            field = _CRISIS_FIELDS.get(str(item["loc"][0]), "crisis_offers")
            errors.setdefault(field, CRISIS_ERRORS.get(field, "Valeur invalide."))
    data["callback_after_hang_up"] = form.get("callback_after_hang_up") == "on"
    limit = form.get("queue_wait_limit_seconds", "").strip()
    try:
        data["queue_wait_limit_seconds"] = TerritoryPatch.model_validate(
            {"queue_wait_limit_seconds": limit}
        ).queue_wait_limit_seconds
    except ValidationError:
        errors["queue_wait_limit_seconds"] = CRISIS_ERRORS["queue_wait_limit_seconds"]
    if errors:
        raise FormErrors(errors)
    return data
