"""The first look-up of an inbound call, in one statement: the line, a volunteer calling, a request already open."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, exists, insert, select
from sqlalchemy.orm import Session

from orientation.core import logs, prompts
from orientation.core.models import Request, Territory, TerritoryNumber
from orientation.core.phones import e164_and_mobile, try_e164
from orientation.services import inbound_row
from orientation.services import requests as svc
from volunteers.models import Volunteer


@dataclass(frozen=True)
class Line:
    """The line called, as the first webhook of a call reads it: plain values, no ORM object to load."""

    id: int
    name: str
    reference_prefix: str
    region: str
    timezone: str
    holiday_subdivision: str | None
    opening_hours: str
    settings: dict[str, Any] | None
    crisis_enabled: bool
    crisis_announcement: str | None

    def say(self) -> Callable[..., str]:
        """prompts.text with the line's own wording (its settings' prompts) over the catalogue's."""
        return prompts.speaker(self.settings)


@dataclass(frozen=True)
class InboundCall:
    """What the inbound call webhook needs to know before it answers."""

    line: Line
    # Whether the caller is an active volunteer of the line; None when not asked (see region_free_number).
    volunteer_calling: bool | None
    # The request this CallSid already has (a second post of the same call), None for a new call.
    request_id: int | None


def region_free_number(raw: str | None) -> tuple[bool, str | None]:
    """(True, E.164 or None) when the caller's number reads the same whatever the line's region (international
    spelling, or none at all); (False, None) when its meaning depends on the region (a national spelling)."""
    text = (raw or "").strip()
    if not text:
        return True, None
    if text.startswith(("+", "00")):
        # The same cached parse open_call_request reads the caller's number from (region FR as try_e164).
        return True, e164_and_mobile(text)[0]
    return False, None


# Built once, its values bound at each call: the territory of the called number, whether an active volunteer
# of that territory calls, and the id of a request already open for the CallSid.
_VOLUNTEER_CALLING = exists().where(
    Volunteer.territory_id == Territory.id,
    Volunteer.phone == bindparam("caller"),
    Volunteer.active.is_(True),
)
_REQUEST_OF_CALL = select(Request.id).where(Request.call_sid == bindparam("call_sid")).scalar_subquery()
_TERRITORIES = cast(Table, Territory.__table__)
# Of the wide territory row, only what the first webhook reads (the welcome and its prompts, the hours, the crisis
# announcement, the reference, the caller's region), in Core: a plain row, none of the ORM's loading.
_LOOKUP = (
    select(
        *(_TERRITORIES.c[field.name] for field in fields(Line)),
        _VOLUNTEER_CALLING.label("volunteer_calling"),
        _REQUEST_OF_CALL.label("request_id"),
    )
    .join(TerritoryNumber)
    .where(TerritoryNumber.phone == bindparam("number"))
)
_LINE_FIELDS = len(fields(Line))


def inbound_call(session: Session, called: str | None, caller_raw: str | None, call_sid: str) -> InboundCall | None:
    """The line called (`To`) with what the first webhook of a call decides on; None for a number no line has."""
    number = try_e164(called)
    if number is None:
        return None
    known, caller = region_free_number(caller_raw)
    row = session.connection().execute(_LOOKUP, {"number": number, "caller": caller, "call_sid": call_sid}).first()
    if row is None:
        return None
    line = Line(*row[:_LINE_FIELDS])
    volunteer_calling, request_id = row[_LINE_FIELDS:]
    logs.bind(territory_id=line.id)
    return InboundCall(line, bool(volunteer_calling) if known else None, request_id)


@dataclass(frozen=True)
class CallRequest:
    """The request of an inbound call, as the first webhook answers with it."""

    id: int
    reference: str


_REQUESTS = cast(Table, Request.__table__)
# Built once: the new request's row (the columns' defaults applied by Core), only its id read back.
_INSERT_REQUEST = insert(_REQUESTS).returning(_REQUESTS.c.id)


def open_call_request(
    session: Session,
    territory: Line,
    call_sid: str,
    caller_raw: str | None,
    now: datetime,
    then: str | None,
    existing_id: int | None,
) -> CallRequest:
    """The call's request, created (moved on to `then` when given) unless the call has one, `existing_id`, which
    moves on to `then` when still just received; its timeline events left in the session for the webhook."""
    if existing_id is not None:
        # A second post of the call's first webhook (rare): the ORM object, as every other step.
        request = cast(Request, session.get(Request, existing_id))
        if then is not None and request.status == "received":
            svc.change_status(session, request, then, now)
        return CallRequest(request.id, request.reference)
    if session.connection().dialect.name == "postgresql":
        # One statement for the counter, the row and its opening events (SQLite has no data-modifying CTE).
        numbered = inbound_row.insert_numbered(session, territory, call_sid, caller_raw, now, then)
        if numbered is not None:
            return CallRequest(*numbered)
    values = svc.new_request_row(session, territory, call_sid, caller_raw, now, then)
    # A Core INSERT and no Request object: the first webhook needs only the id and the reference, and every
    # inbound call writes this row.
    request_id = int(session.execute(_INSERT_REQUEST, values).scalar_one())
    svc.add_received_events(session, request_id, values, now, then)
    return CallRequest(request_id, values["reference"])


def note(
    session: Session,
    request_id: int,
    kind: str,
    now: datetime,
    payload: dict[str, Any] | None = None,
    actor: str | None = None,
) -> None:
    """Append an entry to the timeline of a request known by its id (written with the webhook's own row)."""
    svc.timeline_entry(session, request_id, kind, now, payload, actor)
