"""A volunteer's leg of a live call ends (its final status callback): settled in a few Core statements.

Nothing here builds ORM objects: the request row is locked and read in one narrow statement (with what the
outcome SMS needs from its territory), the accepted conversation is finished by one conditional UPDATE, and
the volunteer freed by another (on PostgreSQL, both with the timeline's event in one statement). The same
rules as attempts.settle_accepted hold: the request's row lock is taken first, as every handler of one call
does, and the conversation is finished once, whichever callback told us first (the conditional UPDATE
matches for one of them only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, insert, literal, null, select, update
from sqlalchemy.orm import Session

from orientation.core import logs, prompts
from orientation.core.models import FIRST_NUMBER, Attempt, Event, Request, Territory
from orientation.core.sms_sender import replies_on
from orientation.services.requests import timeline_entry
from volunteers.models import Volunteer

_ATTEMPTS = cast(Table, Attempt.__table__)
_REQUESTS = cast(Table, Request.__table__)
_TERRITORIES = cast(Table, Territory.__table__)
_VOLUNTEERS = cast(Table, Volunteer.__table__)
_EVENTS = cast(Table, Event.__table__)


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
        FIRST_NUMBER,
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


def _settle_and_free() -> Any:
    """PostgreSQL: _SETTLE, then for the attempt it settled _FREE_VOLUNTEER and the "attempt.finished" event,
    in one statement of data-modifying CTEs; returns the settled attempt's volunteer and leg CallSid and the
    volunteer's number (None when deleted), or no row when the conversation was already finished.

    The same rows are written as one by one: the volunteer's UPDATE waits for a concurrent writer and checks
    again that this call still holds them, as on its own. Its own parameters are named b_…: one named after a
    column of a table one of its UPDATEs writes (request_id) would be taken by SQLAlchemy as a value to SET.
    """
    settled = _SETTLE.cte("settled")
    freed = (
        update(_VOLUNTEERS)
        .where(_VOLUNTEERS.c.id == settled.c.volunteer_id)
        .where(_VOLUNTEERS.c.on_call_request_id == bindparam("b_request"))
        .values(on_call_request_id=null())
        .cte("freed")
    )
    event = select(
        bindparam("b_request", type_=_EVENTS.c.request_id.type),
        literal("attempt.finished"),
        bindparam("b_payload", type_=_EVENTS.c.payload.type),
        bindparam("now", type_=_EVENTS.c.at.type),
    ).select_from(settled)
    finished = insert(_EVENTS).from_select(["request_id", "kind", "payload", "at"], event).cte("finished")
    # The number as the statement's snapshot holds it (the UPDATE does not change it), None for a deleted volunteer.
    joined = settled.outerjoin(_VOLUNTEERS, _VOLUNTEERS.c.id == settled.c.volunteer_id)
    found = select(settled.c.volunteer_id, settled.c.leg_call_sid, _VOLUNTEERS.c.phone).select_from(joined)
    return found.add_cte(freed).add_cte(finished)


_SETTLE_AND_FREE = _settle_and_free()

# The leg's CallSid, kept by whichever callback of the leg comes first (its status callbacks here, or the
# screening): a concurrent one sets the same value or nothing.
KEEP_LEG_SID = (
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
    FIRST_NUMBER,
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
        conn.execute(KEEP_LEG_SID, {"attempt_id": attempt_id, "sid": leg_call_sid})
    return int(request_id)


def end_leg(session: Session, attempt_id: int, leg_call_sid: str | None, now: datetime) -> LegEnd | None:
    """The leg of an attempt is over: if its conversation was accepted, it ended now (once); None when the
    attempt is unknown. The timeline's "attempt.finished" joins the session (written with the callback's row), or
    on PostgreSQL goes in with the attempt's UPDATE."""
    conn = session.connection()
    found = conn.execute(_LOCK, {"attempt_id": attempt_id}).first()
    if found is None:
        return None
    request_id, reference, motive, postcode, territory_id, settings, sms_sender, sms_replies, number = found
    logs.bind(territory_id=territory_id)
    phone: str | None = None
    if conn.dialect.name == "postgresql":
        # One round trip: the attempt settled, its volunteer freed and its event written (or nothing at all).
        payload = {"attempt": attempt_id, "result": "accepted", "source": "leg_status"}
        params = {"attempt_id": attempt_id, "now": now, "b_request": request_id, "b_payload": payload}
        settled = conn.execute(_SETTLE_AND_FREE, params).first()
        if settled is not None:
            phone = settled.phone
    else:
        settled = conn.execute(_SETTLE, {"attempt_id": attempt_id, "now": now}).first()
        if settled is not None:
            phone = _finish(conn, session, request_id, attempt_id, settled.volunteer_id, "leg_status", now)
    if leg_call_sid and (settled is None or settled.leg_call_sid is None):
        conn.execute(KEEP_LEG_SID, {"attempt_id": attempt_id, "sid": leg_call_sid})
    if settled is None:
        return LegEnd(request_id, territory_id, None)
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
        prompt_overrides=prompts.overrides_in(settings),
        replies_by_sms=replies_on(sms_sender, sms_replies),
        sms_from=sms_sender or number,
    )
