"""The access log for administrators: who read, changed or exported what, newest first, with filters and pages."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import abort, flash, render_template, request
from sqlalchemy import select

from orientation.core.phones import mask
from orientation.core.runtime import db
from orientation.services.audit import as_dict
from orientation.web.console import adapters, journal_details
from orientation.web.console.ids import parse_id
from orientation.web.console.models import User
from orientation.web.console.periods import days, parse_day
from orientation.web.console.web import PARIS, bp, user, visible_territories

PAGE_SIZE = 50
ACTIONS = {
    "read": "Lecture",
    "outcome": "Issue",
    "edit": "Modification",
    "callback": "Rappel",
    "export": "Export",
    "erase": "Effacement",
    "pseudonymise": "Pseudonymisation",
    "pause": "Pause d'un bénévole",
    "available": "Bénévole disponible",
    "settings": "Paramètres du territoire",
}
# Details must never hold a number (audit.record's contract); should one slip in, it is masked before display.
# E.164 (+33612345678) or a French national spelling (06 12 34 56 78); dates and references do not match.
_PHONE = re.compile(r"\+\d{6,15}|\b0\d(?:[ .-]?\d{2}){4}\b")


@dataclass(frozen=True)
class JournalFilters:
    """What the administrator filtered the log on; unreadable values are dropped with a message."""

    territory_id: int | None = None
    reference: str | None = None
    since: date | None = None
    until: date | None = None
    before_id: int | None = None
    errors: tuple[str, ...] = ()

    def args(self) -> dict[str, str]:
        """The filters as query-string arguments (without the page), for the pager's links."""
        values = {
            "territoire": str(self.territory_id) if self.territory_id is not None else None,
            "ref": self.reference,
            "du": self.since.isoformat() if self.since else None,
            "au": self.until.isoformat() if self.until else None,
        }
        return {key: value for key, value in values.items() if value}


def parse_journal_filters(args: Mapping[str, str]) -> JournalFilters:
    """Filters from the query string (French names, as in the request log)."""
    errors: list[str] = []

    def number(name: str) -> int | None:
        text = (args.get(name) or "").strip()
        found = parse_id(text, max_digits=12)
        if found is not None:
            return found
        if text:
            errors.append("Filtre illisible : ignoré.")
        return None

    since, until = parse_day(args.get("du")), parse_day(args.get("au"))
    if (args.get("du") and since is None) or (args.get("au") and until is None):
        errors.append("Date illisible (attendu : AAAA-MM-JJ) : filtre ignoré.")
    if since and until and until < since:
        errors.append("La fin de la période est avant son début : période ignorée.")
        since = until = None
    reference = (args.get("ref") or "").strip().upper()[:32] or None
    return JournalFilters(number("territoire"), reference, since, until, number("avant"), tuple(errors))


def mask_phones(text: str) -> str:
    """The text with anything that looks like a phone number masked."""
    return _PHONE.sub(lambda match: mask(match.group(0)), text)


def describe_details(details: Mapping[str, Any], entries: Mapping[int, str] | None = None) -> str:
    """An entry's details on one line in French ("Issue : pris en charge · Fiche : Cabinet Martin"), numbers
    masked; `entries` names the directory entries the details point to."""
    return mask_phones(journal_details.describe_details(details, entries or {}, PARIS))


def _actor_names(actors: Iterable[str]) -> dict[str, str]:
    """ "user:3" → the account's name or email, "token:x" → "API (x)", "retention" → the automatic purge."""
    names = {"retention": "purge automatique (durée de conservation)"}
    user_ids = {int(a[5:]) for a in actors if a.startswith("user:") and a[5:].isdigit()}
    if user_ids:
        for account in db().scalars(select(User).where(User.id.in_(user_ids))):
            names[f"user:{account.id}"] = account.name or account.email
    for a in actors:
        kind, _, rest = a.partition(":")
        if kind == "token":
            names[a] = f"API ({rest})"
    return {a: mask_phones(names.get(a, a)) for a in actors}


@bp.get("/admin/journal")
def audit_log() -> str:
    """The audit entries newest first, filtered by territory, reference and period (Paris days), 50 a page."""
    if not user().is_admin:
        abort(404)  # a coordinator is not told the page exists
    filters = parse_journal_filters(request.args)
    for message in filters.errors:
        flash(message, "error")
    since = days(filters.since, filters.since, PARIS).since if filters.since else None
    until = days(filters.until, filters.until, PARIS).until if filters.until else None
    found = adapters.audit_entries(
        db(),
        territory_id=filters.territory_id,
        since=since,
        until=until,
        reference=filters.reference,
        before_id=filters.before_id,
        limit=PAGE_SIZE + 1,  # one more tells whether an older page exists
    )
    shown = found[:PAGE_SIZE]
    territories = visible_territories()
    territory_names = {t.id: t.name for t in territories}
    actors = _actor_names({e.actor for e in shown})
    entries = adapters.entry_names(db(), set().union(*(journal_details.entry_ids(e.details or {}) for e in shown)))
    rows = [
        {
            **as_dict(entry),
            "at": entry.at,
            "who": actors[entry.actor],
            "what": ACTIONS.get(entry.action, entry.action),
            "territory": territory_names.get(entry.territory_id, f"n° {entry.territory_id}")
            if entry.territory_id is not None
            else "—",
            "linkable": entry.territory_id in territory_names and entry.reference is not None,
            "details_text": describe_details(entry.details or {}, entries),
        }
        for entry in shown
    ]
    return render_template(
        "console/journal.html",
        territory=None,
        section="journal",
        rows=rows,
        filters=filters,
        territories=territories,
        older=shown[-1].id if len(found) > PAGE_SIZE else None,
    )
