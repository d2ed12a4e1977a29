"""The volunteer form: parsed once (phone to E.164, known profession, motives, languages), then written."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from orientation.core import lifecycle
from orientation.core.fields import is_language_code
from orientation.core.models import Territory
from orientation.core.phones import InvalidPhone, to_e164
from orientation.web.console.rota_forms import FormErrors
from volunteers.models import Volunteer
from volunteers.professions import is_profession
from volunteers.services import create_volunteer, phone_in_use


def parse(
    session: Session, territory: Territory, form: MultiDict[str, str], volunteer_id: int | None
) -> dict[str, Any]:
    """Validated volunteer data, or FormErrors naming each bad field in French."""
    errors: dict[str, str] = {}
    name = form.get("name", "").strip()[:200]
    if not name:
        errors["name"] = "Le nom est obligatoire."
    phone = ""
    try:
        phone = to_e164(form.get("phone", ""), territory.region)
    except InvalidPhone as exc:
        errors["phone"] = f"Téléphone : {exc}."
    if phone and phone_in_use(session, territory.id, phone, volunteer_id):
        errors["phone"] = "Un autre bénévole du territoire a déjà ce numéro."
    profession = form.get("profession", "")
    if not is_profession(profession):
        errors["profession"] = "Choisissez une profession."
    motives = [m for m in form.getlist("motives") if m in lifecycle.MOTIVES]
    if not motives:
        errors["motives"] = "Cochez au moins un motif."
    languages = [code for code in re.split(r"[\s,;]+", form.get("languages", "fr").lower()) if code]
    if not languages or not all(is_language_code(code) for code in languages):
        errors["languages"] = "Codes de langue à deux lettres séparés par des virgules (fr, en, ar…)."
    if errors:
        raise FormErrors(errors)
    return {
        "name": name,
        "phone": phone,
        "profession": profession,
        "motives": motives,
        "languages": languages,
        "active": form.get("active") == "on",
    }


def create(session: Session, territory: Territory, form: MultiDict[str, str], now: datetime) -> Volunteer:
    """A new volunteer of the territory."""
    return create_volunteer(session, territory, parse(session, territory, form, None), now)


def update(session: Session, territory: Territory, volunteer: Volunteer, form: MultiDict[str, str]) -> None:
    """Change a volunteer's details."""
    data = parse(session, territory, form, volunteer.id)
    for key, value in data.items():
        setattr(volunteer, key, value)
