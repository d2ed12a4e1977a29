"""The request log's filters, parsed once from the query string, and the query they make."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, func, select
from werkzeug.datastructures import MultiDict

from orientation.core import lifecycle
from orientation.core.fields import is_postcode
from orientation.core.models import Request
from orientation.web.console.periods import days, parse_day, week_of

_REFERENCE = re.compile(r"^[A-Z0-9]{1,6}-\d{4}-\d{1,9}$")
# What needs action now, whatever the period: the dashboard counts these and its links filter the log on them
# (`?suivi=`), with the same conditions, so the figure and the rows it leads to are the same.
BACKLOG: dict[str, str] = {
    "rappels": "Rappels en attente, les plus anciens d'abord",
    "sans_issue": "Mises en relation sans issue depuis plus de 24 h",
    "injoignables": "Clôturées injoignables cette semaine",
}
NO_OUTCOME_AFTER = timedelta(hours=24)


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
    backlog: str | None = None
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
            "suivi": self.backlog,
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
    if postcode is not None and not is_postcode(postcode):
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
        backlog=choice("suivi", tuple(BACKLOG), "Suivi"),
        errors=tuple(errors),
    )


def backlog_condition(name: str, now: datetime, tz: ZoneInfo) -> ColumnElement[bool]:
    """The rows of one backlog list at `now` (see BACKLOG)."""
    if name == "rappels":
        return Request.status == "callback_pending"
    if name == "sans_issue":
        return (
            (Request.status == "connected")
            & Request.outcome.is_(None)
            & (Request.connected_at <= now - NO_OUTCOME_AFTER)
        )
    if name == "injoignables":
        return (Request.outcome == "unreachable") & (Request.closed_at >= week_of(now, tz).since)
    raise ValueError(f"unknown backlog {name!r}")


def filtered(territory_id: int, filters: RequestFilters, tz: ZoneInfo, now: datetime | None = None) -> Select[Request]:
    """The territory's requests matching the filters, newest first (a backlog list: oldest first)."""
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
    if filters.backlog and now is not None:
        query = query.where(backlog_condition(filters.backlog, now, tz))
        if filters.backlog == "rappels":
            # The patient waiting longest comes first.
            waiting = func.coalesce(Request.callback_requested_at, Request.created_at)
            return query.order_by(waiting.asc(), Request.id.asc())
        if filters.backlog == "sans_issue":
            return query.order_by(Request.connected_at.asc(), Request.id.asc())
    return query.order_by(Request.created_at.desc(), Request.id.desc())
