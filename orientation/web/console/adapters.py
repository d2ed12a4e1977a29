"""The console's door to the other domains' services: directory search, rota gaps and loads, call-backs, audit.

Pages reach those services only through these functions, so a change of a service's signature is one edit.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from directory.models import DirectoryEntry
from orientation.core.calendar import french_public_holidays
from orientation.core.models import AuditEntry, Request, Territory
from orientation.core.opening_hours import OpeningHoursError, open_intervals, parse_opening_hours
from orientation.core.spreadsheet import CsvFormat
from orientation.services import audit, callbacks, exports
from orientation.services import requests as svc
from volunteers import rota as rota_mod
from volunteers.models import Volunteer
from volunteers.services import coverage_gaps_by_motive, load_rota_between, volunteer_loads

# ----------------------------------------------------------------------------------- directory


def search_directory(
    session: Session,
    territory_id: int,
    text: str = "",
    *,
    postcode: str | None = None,
    accepting: bool | None = None,
    limit: int = 25,
) -> list[DirectoryEntry]:
    """Entries of the territory matching the words (accent- and typo-tolerant), a postcode, accepting patients."""
    from directory.search import Query
    from directory.services import search_entries

    entries, _ = search_entries(
        session, territory_id, Query(text=text, postcode=postcode or None, accepting=accepting, limit=limit)
    )
    return entries


# ---------------------------------------------------------------------------------------- rota


def week_rota(session: Session, territory: Territory, start: datetime, end: datetime) -> rota_mod.Rota:
    """The territory's rota with every shift, pattern and exception that can touch [start, end)."""
    return load_rota_between(session, territory.id, start, end)


def volunteer_motives(session: Session, territory_id: int) -> dict[int, frozenset[str]]:
    """The motives each active volunteer of the territory accepts (inactive ones cover nothing)."""
    rows = session.execute(
        select(Volunteer.id, Volunteer.motives).where(
            Volunteer.territory_id == territory_id, Volunteer.active.is_(True)
        )
    )
    return {row.id: frozenset(row.motives or ()) for row in rows}


def opening_intervals(territory: Territory, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """When the line is open within [start, end) (nothing when its hours do not parse)."""
    try:
        hours = parse_opening_hours(territory.opening_hours)
    except OpeningHoursError:
        return []
    holidays = french_public_holidays(territory.holiday_subdivision)
    return open_intervals(hours, start, end, holidays, ZoneInfo(territory.timezone))


def coverage_gaps(
    session: Session, territory: Territory, motive: str, start: datetime, end: datetime, now: datetime
) -> list[tuple[datetime, datetime]]:
    """When the line is open but no available volunteer takes the motive, within [start, end) (the rota's gaps)."""
    return coverage_gaps_by_motive(session, territory, start, end, now).get(motive, [])


# ------------------------------------------------------------------------------------ requests


def record_read(session: Session, request: Request, now: datetime, actor: str) -> None:
    """Keep who read a request: an event of its timeline, and an entry of the audit log."""
    svc.add_event(session, request, "read", now, {"via": "console"}, actor=actor)
    audit.record(session, actor, "read", request, now, {"via": "console"})


def record_export(session: Session, territory_id: int, now: datetime, actor: str, filters: dict[str, str]) -> None:
    """Keep who exported the request log, with which filters, in the audit log."""
    audit.record(session, actor, "export", None, now, {"via": "console", **filters}, territory_id=territory_id)


def aci_export(
    session: Session, territory: Territory, since: datetime, until: datetime, out: TextIO, fmt: CsvFormat
) -> int:
    """Write the ACI figures of [since, until) as CSV, the same file as `orientation export aci`."""
    return exports.aci_csv(session, territory, since, until, out, fmt)


def request_log_chunks(session: Session, territory: Territory, query: Select[Request], fmt: CsvFormat) -> Iterator[str]:
    """The request log file of a query (the same columns as `orientation export requests`) as streamed text."""
    return exports.request_log_chunks(session, territory, exports.streamed(session, query), fmt)


def entry_names(session: Session, ids: set[int]) -> dict[int, str]:
    """Directory entry id → name, for the entries that still exist among `ids`."""
    if not ids:
        return {}
    rows = session.execute(select(DirectoryEntry.id, DirectoryEntry.name).where(DirectoryEntry.id.in_(ids)))
    return {entry_id: name for entry_id, name in rows}


def audit_entries(
    session: Session,
    *,
    territory_id: int | None,
    since: datetime | None,
    until: datetime | None,
    reference: str | None,
    before_id: int | None,
    limit: int,
) -> Sequence[AuditEntry]:
    """The audit log newest first, filtered by territory, period [since, until) and reference, before an id."""
    return audit.entries(
        session,
        territory_id=territory_id,
        since=since,
        until=until,
        reference=reference,
        before_id=before_id,
        limit=limit,
    )


def set_outcome(
    session: Session,
    request: Request,
    outcome: str,
    entry_id: int | None,
    note: str | None,
    now: datetime,
    actor: str,
) -> None:
    """Set or correct the outcome, the directory entry that took the patient and a note; kept in the timeline."""
    request.outcome_entry_id = entry_id
    svc.close_with_outcome(session, request, outcome, now, actor=actor, note=note or None)
    request.updated_at = now
    audit.record(session, actor, "outcome", request, now, {"outcome": outcome, "directory_entry_id": entry_id})


def trigger_callback(
    session: Session, request: Request, now: datetime, actor: str, base_url: str, live: bool
) -> tuple[bool, int | None]:
    """Start a call-back round now: (True, the volunteer phoned, or None when nobody on duty can be now);
    (False, None) when the request cannot be called back (on the line, closed, no number)."""
    try:
        offer = callbacks.trigger_now(session, request, now, actor, base_url, live)
    except callbacks.CallbackRefused:
        return False, None
    return True, offer.volunteer.id if offer is not None else None


def dispatch_callback_offers(rt: Any) -> None:
    """Place at once the call to the volunteer a triggered call-back offered (when Twilio is configured)."""
    callbacks.dispatch_offers(rt.sessions, rt.sender, now=rt.clock(), base_url=rt.config.public_base_url)


# ---------------------------------------------------------------------------------- volunteers


def offered_and_accepted(
    session: Session, territory_id: int, since: datetime, until: datetime
) -> dict[int, tuple[int, int, float]]:
    """Calls offered and accepted per volunteer of the territory over [since, until), and hours on shift then."""
    return {
        v.id: (load.offered, load.accepted, hours)
        for v, load, hours in volunteer_loads(session, territory_id, since, until)
    }
