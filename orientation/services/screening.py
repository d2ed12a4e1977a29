"""The screening of a volunteer's leg (voice.screen) and their answer (voice.screen_answer), in Core statements
built once.

Both webhooks need a handful of columns of the attempt, its request and the territory, and write a few columns
back: one locked read of those columns and plain UPDATEs cost far less than loading the three wide rows as ORM
objects (the same rows locked, in the same order, as `requests.lock_attempt`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import Table, bindparam, insert, literal, null, select, union_all, update
from sqlalchemy.orm import Session

from orientation.core import lifecycle, logs, prompts
from orientation.core.models import Attempt, Event, Request, Territory
from orientation.services.legs import KEEP_LEG_SID
from orientation.services.requests import timeline_entry
from volunteers.models import Volunteer

_ATTEMPTS = cast(Table, Attempt.__table__)
_REQUESTS = cast(Table, Request.__table__)
_TERRITORIES = cast(Table, Territory.__table__)
_VOLUNTEERS = cast(Table, Volunteer.__table__)
_EVENTS = cast(Table, Event.__table__)

# Locked in the order requests, then attempts, as every other callback of the call (see lock_attempt): the
# attempt's row is locked too, so that after waiting for a concurrent commit its latest version is read.
_LOCKED = (
    select(
        _ATTEMPTS.c.result,
        _ATTEMPTS.c.volunteer_id,
        _ATTEMPTS.c.request_id,
        _ATTEMPTS.c.leg_call_sid,
        _REQUESTS.c.status,
        _REQUESTS.c.territory_id,
        _REQUESTS.c.motive,
        _REQUESTS.c.postcode,
        _TERRITORIES.c.name,
        _TERRITORIES.c.settings,
    )
    .select_from(
        _ATTEMPTS.join(_REQUESTS, _REQUESTS.c.id == _ATTEMPTS.c.request_id).join(
            _TERRITORIES, _TERRITORIES.c.id == _REQUESTS.c.territory_id
        )
    )
    .where(_ATTEMPTS.c.id == bindparam("attempt_id"))
    .with_for_update(of=[_REQUESTS, _ATTEMPTS])
)
# The writes' parameters are named b_…: one named after a column of the table an UPDATE writes (request_id,
# volunteer_id) would be taken by SQLAlchemy as one more value to SET, in the CTE statement below as well.
_ACCEPT_ATTEMPT = (
    update(_ATTEMPTS)
    .where(_ATTEMPTS.c.id == bindparam("b_attempt"))
    .values(result="accepted", answered_at=bindparam("b_now", type_=_ATTEMPTS.c.answered_at.type))
)
_DECLINE_ATTEMPT = (
    update(_ATTEMPTS)
    .where(_ATTEMPTS.c.id == bindparam("b_attempt"))
    .values(result="declined", ended_at=bindparam("b_now", type_=_ATTEMPTS.c.ended_at.type))
)
_CONNECT_REQUEST = (
    update(_REQUESTS)
    .where(_REQUESTS.c.id == bindparam("b_request"))
    .values(
        status=bindparam("b_status"),
        updated_at=bindparam("b_now", type_=_REQUESTS.c.updated_at.type),
        connected_at=bindparam("b_now", type_=_REQUESTS.c.connected_at.type),
        volunteer_id=bindparam("b_volunteer"),
    )
)
# A volunteer deleted meanwhile matches no row.
_ON_CALL = (
    update(_VOLUNTEERS)
    .where(_VOLUNTEERS.c.id == bindparam("b_volunteer"))
    .values(on_call_request_id=bindparam("b_request"))
)


def _accept_all() -> Any:
    """PostgreSQL: the acceptance's three UPDATEs and its two timeline events in one statement of data-modifying
    CTEs (`WITH accepted AS (UPDATE attempts …), connected AS (UPDATE requests …), timeline AS (INSERT INTO
    events …) UPDATE volunteers …`), each run to completion whether or not the main statement reads it.

    The attempt and request rows are already locked by `lock`, so nothing comes between the writes; the events
    go in before the webhook's own event row, in the order the ORM path adds them.
    """
    request_id = bindparam("b_request", type_=_EVENTS.c.request_id.type)
    at = bindparam("b_now", type_=_EVENTS.c.at.type)
    moved, accepted = (bindparam(name, type_=_EVENTS.c.payload.type) for name in ("b_moved", "b_accepted"))
    # INSERT … SELECT … UNION ALL SELECT … (its rows in the order written): a multi-row VALUES has no cache key in
    # SQLAlchemy, so it would be compiled again at every execution.
    rows = union_all(
        select(request_id, literal("status"), moved, literal("line", _EVENTS.c.actor.type), at),
        select(request_id, literal("attempt.accepted"), accepted, null(), at),
    )
    timeline = insert(_EVENTS).from_select(["request_id", "kind", "payload", "actor", "at"], rows).cte("timeline")
    return (
        _ON_CALL.add_cte(_ACCEPT_ATTEMPT.cte("accepted")).add_cte(_CONNECT_REQUEST.cte("connected")).add_cte(timeline)
    )


_ACCEPT_ALL = _accept_all()

Answer = Literal["connecting", "gone", "declined"]


@dataclass(frozen=True)
class Screened:
    """The locked attempt's state, as the screening and its answer need it."""

    attempt_id: int
    result: str | None
    volunteer_id: int
    request_id: int
    leg_call_sid: str | None
    status: str
    territory_id: int
    motive: str | None
    postcode: str | None
    territory_name: str
    prompts: dict[str, str]


def answer_for(accepts: bool, result: str | None, status: str) -> tuple[Answer, bool]:
    """What the volunteer hears, and whether the attempt changes (accepted or declined now)."""
    if accepts:
        if result == "accepted":
            return "connecting", False  # the same key pressed again: still connected, nothing to write
        if result is not None or status != "routing":
            return "gone", False  # another volunteer took the patient, or the patient left
        return "connecting", True
    return "declined", result is None


def lock(session: Session, attempt_id: int) -> Screened | None:
    """The attempt and its request, row-locked until commit, with the territory's name and prompts; None when
    unknown."""
    row = session.connection().execute(_LOCKED, {"attempt_id": attempt_id}).first()
    if row is None:
        return None
    result, volunteer_id, request_id, leg_call_sid, status, territory_id, motive, postcode, name, settings = row
    # The webhook's log lines from here on name the territory (as requests.lock_attempt does).
    logs.bind(territory_id=territory_id)
    overrides = prompts.overrides_in(settings)
    attempt = (attempt_id, result, volunteer_id, request_id, leg_call_sid)
    return Screened(*attempt, status, territory_id, motive, postcode, name, overrides)


def keep_leg_call_sid(session: Session, screened: Screened, leg_call_sid: str) -> None:
    """Record the CallSid of the volunteer's leg on the locked attempt, unless it already has one."""
    if screened.leg_call_sid is None:
        session.connection().execute(KEEP_LEG_SID, {"attempt_id": screened.attempt_id, "sid": leg_call_sid})


def answer(session: Session, screened: Screened, accepts: bool, now: datetime) -> Answer:
    """Record the volunteer's key on the locked attempt (accepted: the request connected to them, they on a call)."""
    said, changes = answer_for(accepts, screened.result, screened.status)
    if not changes:
        return said
    connection = session.connection()
    request_id = screened.request_id
    if not accepts:
        connection.execute(_DECLINE_ATTEMPT, {"b_attempt": screened.attempt_id, "b_now": now})
        _event(session, request_id, "attempt.declined", now, {"attempt": screened.attempt_id})
        return said
    status = lifecycle.move(screened.status, "connected")
    params = {
        "b_attempt": screened.attempt_id,
        "b_request": request_id,
        "b_volunteer": screened.volunteer_id,
        "b_status": status,
        "b_now": now,
    }
    moved = {"from": screened.status, "to": status}
    accepted = {"attempt": screened.attempt_id, "volunteer_id": screened.volunteer_id}
    if connection.dialect.name == "postgresql":
        connection.execute(_ACCEPT_ALL, {**params, "b_moved": moved, "b_accepted": accepted})
        return said
    connection.execute(_ACCEPT_ATTEMPT, params)
    connection.execute(_CONNECT_REQUEST, params)
    connection.execute(_ON_CALL, params)
    _event(session, request_id, "status", now, moved, "line")
    _event(session, request_id, "attempt.accepted", now, accepted)
    return said


def _event(
    session: Session, request_id: int, kind: str, now: datetime, payload: dict[str, Any], actor: str | None = None
) -> None:
    # The timeline entry add_event makes, from the request's id (no request object here).
    timeline_entry(session, request_id, kind, now, payload, actor)
