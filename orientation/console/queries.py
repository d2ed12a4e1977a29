"""The request log's filters, parsed once from the query string, and the query they make."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from werkzeug.datastructures import MultiDict

from orientation import lifecycle
from orientation.console.periods import days, parse_day
from orientation.models import Request

_POSTCODE = re.compile(r"^\d{5}$")
_REFERENCE = re.compile(r"^[A-Z0-9]{1,6}-\d{4}-\d{1,9}$")


@dataclass(frozen=True)
class RequestFilters:
    """What the coordinator filtered the log on; unknown values are dropped with a message."""

    since: date | None = None
    until: date | None = None
    motive: str | None = None
    status: str | None = None
    outcome: str | None = None
    postcode: str | None = None
    reference: str | None = None
    errors: tuple[str, ...] = field(default=())

    def args(self) -> dict[str, str]:
        """The filters as query-string arguments (for pagination and export links)."""
        values = {
            "du": self.since.isoformat() if self.since else None,
            "au": self.until.isoformat() if self.until else None,
            "motif": self.motive,
            "statut": self.status,
            "issue": self.outcome,
            "cp": self.postcode,
            "ref": self.reference,
        }
        return {key: value for key, value in values.items() if value}


def parse_filters(args: MultiDict[str, str]) -> RequestFilters:
    """Filters from the log's form (French parameter names, as they show in the address bar)."""
    errors: list[str] = []

    def choice(name: str, allowed: tuple[str, ...], what: str) -> str | None:
        value = (args.get(name) or "").strip()
        if not value:
            return None
        if value not in allowed:
            errors.append(f"{what} inconnu : filtre ignoré.")
            return None
        return value

    since, until = parse_day(args.get("du")), parse_day(args.get("au"))
    if (args.get("du") and since is None) or (args.get("au") and until is None):
        errors.append("Date illisible (attendu : AAAA-MM-JJ) : filtre ignoré.")
    postcode = (args.get("cp") or "").strip() or None
    if postcode is not None and not _POSTCODE.match(postcode):
        errors.append("Code postal : cinq chiffres attendus.")
        postcode = None
    reference = (args.get("ref") or "").strip().upper() or None
    if reference is not None and not _REFERENCE.match(reference):
        errors.append("Référence illisible (par exemple P20-2026-000123).")
        reference = None
    return RequestFilters(
        since=since,
        until=until,
        motive=choice("motif", lifecycle.MOTIVES, "Motif"),
        status=choice("statut", lifecycle.STATUSES, "Statut"),
        outcome=choice("issue", lifecycle.OUTCOMES, "Issue"),
        postcode=postcode,
        reference=reference,
        errors=tuple(errors),
    )


def filtered(territory_id: int, filters: RequestFilters, tz: ZoneInfo) -> Select[Request]:
    """The territory's requests matching the filters, newest first."""
    query = select(Request).where(Request.territory_id == territory_id)
    if filters.since is not None or filters.until is not None:
        period = days(filters.since or date(2000, 1, 1), filters.until or date(2999, 12, 30), tz)
        if filters.since is not None:
            query = query.where(Request.created_at >= period.since)
        if filters.until is not None:
            query = query.where(Request.created_at < period.until)
    if filters.motive:
        query = query.where(Request.motive == filters.motive)
    if filters.status:
        query = query.where(Request.status == filters.status)
    if filters.outcome:
        query = query.where(Request.outcome == filters.outcome)
    if filters.postcode:
        query = query.where(Request.postcode == filters.postcode)
    if filters.reference:
        query = query.where(Request.reference == filters.reference)
    return query.order_by(Request.created_at.desc(), Request.id.desc())
