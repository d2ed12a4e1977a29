"""A volunteer's leg of a live call ends (its final status callback): settled in a few Core statements.

Nothing here builds ORM objects: the request row is locked and read in one narrow statement (with what the
outcome SMS needs from its territory), the accepted conversation is finished by one conditional UPDATE, and
the volunteer freed by another. The same rules as attempts.settle_accepted hold: the request's row lock is
taken first, as every handler of one call does, and the conversation is finished once, whichever callback
told us first (the conditional UPDATE matches for one of them only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, select, update
from sqlalchemy.orm import Session

from orientation.core import logs
from orientation.core.models import Attempt, Request, Territory
from orientation.core.sms_sender import replies_on
from orientation.services.requests import timeline_entry
from volunteers.models import Volunteer

_ATTEMPTS = cast(Table, Attempt.__table__)
_REQUESTS = cast(Table, Request.__table__)
_TERRITORIES = cast(Table, Territory.__table__)
# The line's number (its first), as orientation.core.models defines it for Territory.first_number.
_FIRST_NUMBER = Territory.__mapper__.attrs["first_number"].expression
_VOLUNTEERS = cast(Table, Volunteer.__table__)


@dataclass(frozen=True)
class OutcomeAsk:
    """What the SMS asking a volunteer for the outcome of a conversation needs, as plain values."""

    request_id: int
    reference: str
    motive: str | None
    postcode: str | None
    territory_id: int
    volunteer_id: int
    phone: str
    prompt_overrides: dict[str, str]
    replies_by_sms: bool
    sms_from: str | None


@dataclass(frozen=True)
class LegEnd:
    """A leg's end as recorded: its request, and the outcome SMS to send when this callback finished the call."""

    request_id: int
    territory_id: int
    ask: OutcomeAsk | None


# Built once, the attempt bound each time. The request of the attempt, row-locked until commit (callbacks of
# one call wait for each other), with the few request and territory columns the outcome SMS needs.
_LOCK = (
    select(
        _REQUESTS.c.id,
        _REQUESTS.c.reference,
        _REQUESTS.c.motive,
        _REQUESTS.c.postcode,
        _REQUESTS.c.territory_id,
        _TERRITORIES.c.settings,
        _TERRITORIES.c.sms_sender,
        _TERRITORIES.c.sms_replies,
        _FIRST_NUMBER,
    )
    .join_from(_REQUESTS, _TERRITORIES, _TERRITORIES.c.id == _REQUESTS.c.territory_id)
    .where(
        _REQUESTS.c.id
        == select(_ATTEMPTS.c.request_id).where(_ATTEMPTS.c.id == bindparam("attempt_id")).scalar_subquery()
    )
    .with_for_update(of=_REQUESTS)
)
# An accepted conversation not finished yet is finished now: the UPDATE matches once, for the first callback.
_SETTLE = (
    update(_ATTEMPTS)
    .where(
        _ATTEMPTS.c.id == bindparam("attempt_id"),
        _ATTEMPTS.c.result == "accepted",
        _ATTEMPTS.c.ended_at.is_(None),
    )
    .values(ended_at=bindparam("now"))
    .returning(_ATTEMPTS.c.volunteer_id, _ATTEMPTS.c.leg_call_sid)
)
# The leg's CallSid, kept once (a concurrent callback of the same leg sets the same value or nothing).
_KEEP_LEG_SID = (
    update(_ATTEMPTS)
    .where(_ATTEMPTS.c.id == bindparam("attempt_id"), _ATTEMPTS.c.leg_call_sid.is_(None))
    .values(leg_call_sid=bindparam("sid"))
)
# The early statuses of a leg (initiated, ringing, in-progress): its request, and whether its CallSid is kept.
_LEG = select(_ATTEMPTS.c.request_id, _ATTEMPTS.c.leg_call_sid).where(_ATTEMPTS.c.id == bindparam("attempt_id"))
# The volunteer is free again if this call still held them; their number either way, for the outcome SMS.
_FREE_VOLUNTEER = (
    update(_VOLUNTEERS)
    .where(_VOLUNTEERS.c.id == bindparam("volunteer_id"), _VOLUNTEERS.c.on_call_request_id == bindparam("request_id"))
    .values(on_call_request_id=None)
    .returning(_VOLUNTEERS.c.phone)
)
_PHONE = select(_VOLUNTEERS.c.phone).where(_VOLUNTEERS.c.id == bindparam("volunteer_id"))
# The patient's call is over: its live conversations accepted and not finished yet are finished now (once).
_SETTLE_CALL = (
    update(_ATTEMPTS)
    .where(
        _ATTEMPTS.c.request_id == bindparam("of_request"),
        _ATTEMPTS.c.kind == "live",
        _ATTEMPTS.c.result == "accepted",
        _ATTEMPTS.c.ended_at.is_(None),
    )
    .values(ended_at=bindparam("now"))
    .returning(_ATTEMPTS.c.id, _ATTEMPTS.c.volunteer_id)
)
# What the outcome SMS needs of a territory, for a request loaded without it.
_SMS_SIDE = select(
    _TERRITORIES.c.settings,
    _TERRITORIES.c.sms_sender,
    _TERRITORIES.c.sms_replies,
    _FIRST_NUMBER,
).where(_TERRITORIES.c.id == bindparam("territory_id"))


def note_leg_call_sid(session: Session, attempt_id: int, leg_call_sid: str | None) -> int | None:
    """Keep the CallSid of a volunteer's leg on its attempt once; the attempt's request id, None if unknown."""
    # Neither loading nor locking the request: a leg posts four status callbacks, and only the first finds no
    # CallSid kept yet, so the others read one row and write nothing. Nothing of the session is read or
    # written, so the statements go straight to its connection.
    conn = session.connection()
    found = conn.execute(_LEG, {"attempt_id": attempt_id}).first()
    if found is None:
        return None
    request_id, kept = found
    if kept is None and leg_call_sid:
        conn.execute(_KEEP_LEG_SID, {"attempt_id": attempt_id, "sid": leg_call_sid})
    return int(request_id)


def end_leg(session: Session, attempt_id: int, leg_call_sid: str | None, now: datetime) -> LegEnd | None:
    """The leg of an attempt is over: if its conversation was accepted, it ended now (once); None when the
    attempt is unknown. The timeline's "attempt.finished" joins the session (written with the callback's row)."""
    conn = session.connection()
    found = conn.execute(_LOCK, {"attempt_id": attempt_id}).first()
    if found is None:
        return None
    request_id, reference, motive, postcode, territory_id, settings, sms_sender, sms_replies, number = found
    logs.bind(territory_id=territory_id)
    settled = conn.execute(_SETTLE, {"attempt_id": attempt_id, "now": now}).first()
    if leg_call_sid and (settled is None or settled.leg_call_sid is None):
        conn.execute(_KEEP_LEG_SID, {"attempt_id": attempt_id, "sid": leg_call_sid})
    if settled is None:
        return LegEnd(request_id, territory_id, None)
    phone = _finish(conn, session, request_id, attempt_id, settled.volunteer_id, "leg_status", now)
    if phone is None:
        return LegEnd(request_id, territory_id, None)  # the volunteer was deleted: nobody to ask
    values = (request_id, reference, motive, postcode, territory_id, settled.volunteer_id, phone)
    return LegEnd(request_id, territory_id, _ask(*values, (settings, sms_sender, sms_replies, number)))


def settle_call(session: Session, request: Request, now: datetime) -> list[OutcomeAsk]:
    """The patient's call is over: its accepted live conversations not finished yet end now (once each); the
    outcome SMS to send for each. The request is locked by the caller, and none of its attempts is loaded."""
    conn = session.connection()
    settled = conn.execute(_SETTLE_CALL, {"of_request": request.id, "now": now}).all()
    asks: list[OutcomeAsk] = []
    for attempt_id, volunteer_id in settled:
        phone = _finish(conn, session, request.id, attempt_id, volunteer_id, "call_status", now)
        if phone is not None:
            side = tuple(conn.execute(_SMS_SIDE, {"territory_id": request.territory_id}).one())
            values = (request.id, request.reference, request.motive, request.postcode, request.territory_id)
            asks.append(_ask(*values, volunteer_id, phone, side))
    return asks


def _finish(
    conn: Connection, session: Session, request_id: int, attempt_id: int, volunteer_id: int, source: str, now: datetime
) -> str | None:
    """A conversation just finished: its timeline event, its volunteer freed; their number (None if deleted)."""
    payload = {"attempt": attempt_id, "result": "accepted", "source": source}
    timeline_entry(session, request_id, "attempt.finished", now, payload)
    params = {"volunteer_id": volunteer_id, "request_id": request_id}
    phone = conn.execute(_FREE_VOLUNTEER, params).scalar()
    return phone if phone is not None else conn.execute(_PHONE, params).scalar()


def _ask(
    request_id: int,
    reference: str,
    motive: str | None,
    postcode: str | None,
    territory_id: int,
    volunteer_id: int,
    phone: str,
    side: tuple[Any, ...],
) -> OutcomeAsk:
    # side: the territory's settings, SMS sender, SMS replies setting and first number (_LOCK, _SMS_SIDE).
    settings, sms_sender, sms_replies, number = side
    return OutcomeAsk(
        request_id=request_id,
        reference=reference,
        motive=motive,
        postcode=postcode,
        territory_id=territory_id,
        volunteer_id=volunteer_id,
        phone=phone,
        prompt_overrides=(settings or {}).get("prompts") or {},
        replies_by_sms=replies_on(sms_sender, sms_replies),
        sms_from=sms_sender or number,
    )
