"""The directory's two forms: the fields the CPTS maintains on any entry, and an entry added by hand."""

from __future__ import annotations

import re
from datetime import date, datetime

from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from directory.categories import CATEGORIES
from directory.models import DirectoryEntry
from directory.normalize import phone_e164
from directory.services import create_entry, update_entry
from orientation.core.fields import is_language_code, is_postcode
from orientation.core.models import Territory
from orientation.web.console.rota_forms import FormErrors
from volunteers.professions import is_profession


def _languages(raw: str, errors: dict[str, str]) -> list[str]:
    codes = [code for code in re.split(r"[\s,;]+", raw.lower()) if code]
    if not all(is_language_code(code) for code in codes):
        errors["languages"] = "Codes de langue à deux lettres séparés par des virgules (fr, en, ar…)."
    return codes


def update_cpts_fields(
    session: Session, entry: DirectoryEntry, form: MultiDict[str, str], now: datetime, today: date
) -> None:
    """Set the fields the CPTS maintains (accepting new patients, dated; member; languages; notes)."""
    errors: dict[str, str] = {}
    accepting_raw = form.get("accepting", "")
    accepting = {"yes": True, "no": False, "": None}.get(accepting_raw)
    if accepting_raw not in ("yes", "no", ""):
        errors["accepting"] = "Choix inconnu."
    languages = _languages(form.get("languages", ""), errors)
    if errors:
        raise FormErrors(errors)
    changes: dict[str, object] = {
        "cpts_member": form.get("cpts_member") == "on",
        "languages": languages,
        "notes": form.get("notes", "").strip()[:4000] or None,
    }
    if accepting != entry.accepting_new_patients:
        changes["accepting_new_patients"] = accepting  # dated today by the directory service
    update_entry(session, entry, changes, today, now)


def create_manual_entry(
    session: Session, territory: Territory, form: MultiDict[str, str], now: datetime, today: date
) -> DirectoryEntry:
    """An entry added by hand (an association, a social service…), source "manual"."""
    errors: dict[str, str] = {}
    name = form.get("name", "").strip()[:300]
    if not name:
        errors["name"] = "Le nom est obligatoire."
    kind = form.get("kind", "structure")
    if kind not in ("professional", "structure"):
        errors["kind"] = "Choix inconnu."
    category = form.get("category", "other")
    if category not in CATEGORIES:
        errors["category"] = "Catégorie inconnue."
    profession = form.get("profession") or None
    if profession is not None and not is_profession(profession):
        errors["profession"] = "Profession inconnue."
    postcode = form.get("postcode", "").strip() or None
    if postcode is not None and not is_postcode(postcode):
        errors["postcode"] = "Cinq chiffres attendus."
    raw_phone = form.get("phone", "").strip()
    phone = phone_e164(raw_phone) if raw_phone else None
    if raw_phone and phone is None:
        errors["phone"] = "Numéro de téléphone invalide."
    languages = _languages(form.get("languages", ""), errors)
    if errors:
        raise FormErrors(errors)
    data = {
        "kind": kind,
        "name": name,
        "profession": profession,
        "category": category,
        "address": form.get("address", "").strip()[:400] or None,
        "postcode": postcode,
        "commune": form.get("commune", "").strip()[:120] or None,
        "phone": phone,
        "email": form.get("email", "").strip()[:200] or None,
        "languages": languages,
        "cpts_member": form.get("cpts_member") == "on",
        "notes": form.get("notes", "").strip()[:4000] or None,
    }
    entry = create_entry(session, territory, data, today, now)
    return entry
