"""The first look-up of an inbound call, in one statement: the line, a volunteer calling, a request already open."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session

from orientation.core import logs
from orientation.core.models import Request, Territory, TerritoryNumber
from orientation.core.phones import try_e164
from volunteers.models import Volunteer


@dataclass(frozen=True)
class InboundCall:
    """What the inbound call webhook needs to know before it answers."""

    territory: Territory
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
        return True, try_e164(text)
    return False, None


# Built once, its values bound at each call: the territory of the called number, whether an active volunteer
# of that territory calls, and the id of a request already open for the CallSid.
_VOLUNTEER_CALLING = exists().where(
    Volunteer.territory_id == Territory.id,
    Volunteer.phone == bindparam("caller"),
    Volunteer.active.is_(True),
)
_REQUEST_OF_CALL = select(Request.id).where(Request.call_sid == bindparam("call_sid")).scalar_subquery()
_LOOKUP = (
    select(Territory, _VOLUNTEER_CALLING.label("volunteer_calling"), _REQUEST_OF_CALL.label("request_id"))
    .join(TerritoryNumber)
    .where(TerritoryNumber.phone == bindparam("number"))
)


def inbound_call(session: Session, called: str | None, caller_raw: str | None, call_sid: str) -> InboundCall | None:
    """The line called (`To`) with what the first webhook of a call decides on; None for a number no line has."""
    number = try_e164(called)
    if number is None:
        return None
    known, caller = region_free_number(caller_raw)
    row = session.execute(_LOOKUP, {"number": number, "caller": caller, "call_sid": call_sid}).first()
    if row is None:
        return None
    territory, volunteer_calling, request_id = row
    logs.bind(territory_id=territory.id)
    return InboundCall(territory, bool(volunteer_calling) if known else None, request_id)
