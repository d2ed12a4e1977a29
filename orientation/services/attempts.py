"""Offering a request to volunteers: who is rung next, the one atomic claim, and how each ring ended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, exists, insert, select, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from orientation.core import lifecycle
from orientation.core.models import Attempt, Request, Territory
from orientation.services.requests import add_event, change_status
from orientation.services.rows import write_columns
from volunteers.models import Volunteer
from volunteers.services import RINGING_WINDOW, ring_candidates, ringing

_ATTEMPTS = cast(Table, Attempt.__table__)
_VOLUNTEERS = cast(Table, Volunteer.__table__)


@dataclass(frozen=True)
class Offer:
    """One volunteer to ring now for a request."""

    attempt: Attempt
    volunteer: Volunteer


@dataclass(frozen=True)
class Ring:
    """A live offer: the attempt just recorded (its id), and the volunteer whose phone to ring (id and number)."""

    attempt_id: int
    volunteer_id: int
    phone: str


def wait_exceeded(request: Request, territory: Territory, now: datetime) -> bool:
    """True when the caller has waited as long as the territory allows before leaving a message."""
    return waited_too_long(request.created_at, territory.max_wait_seconds, now)


def waited_too_long(created_at: datetime, max_wait_seconds: int, now: datetime) -> bool:
    """wait_exceeded over plain values: the request's creation and the territory's longest wait."""
    return (now - created_at).total_seconds() >= max_wait_seconds


def offer_next(
    session: Session, request: Request, territory: Territory, now: datetime, nobody_free: bool = False
) -> Ring | None:
    """Pick the next volunteer to ring and record the attempt; None when nobody (else) can take it.

    `nobody_free`: this transaction already found nobody to ring for the request's first ring (postcode_step),
    so the ring order is not read again.
    """
    if request.status not in ("routing", "in_menu", "received"):
        return None
    # Attempts are only ever made for a request in routing (or waiting for a call back, which never comes
    # back here): one still in the menu has none to read.
    tried = _tried(session, request) if request.status == "routing" else []
    change_status(session, request, "routing", now)
    if wait_exceeded(request, territory, now):
        add_event(session, request, "routing.wait_limit", now)
        return None
    excluded = set(tried)
    # Nothing pending in this session changes who is on duty or free (the volunteer a finished ring frees is
    # among the tried): the request's changes wait for the commit's flush.
    with session.no_autoflush:
        if nobody_free and not tried:
            ordered = []
        else:
            motive = request.motive or "orientation"
            ordered = ring_candidates(session, territory, motive, request.language, now, excluded)
        offer = ring_first(session, request.id, ordered, len(tried) + 1, now) if ordered else None
    if not ordered:
        add_event(session, request, "routing.no_candidate", now, {"tried": len(excluded)})
        return None
    if offer is None:
        add_event(session, request, "routing.no_candidate", now, {"tried": len(excluded), "all_busy": True})
        return None
    if "attempts" in request.__dict__:
        # Recorded by a Core INSERT: a loaded collection of the request's attempts is read again when next used.
        session.expire(request, ["attempts"])
    add_event(session, request, "attempt.offered", now, offered_payload(offer))
    return offer


def offered_payload(offer: Ring) -> dict[str, int]:
    """The timeline entry of a live offer ("attempt.offered")."""
    return {"attempt": offer.attempt_id, "volunteer_id": offer.volunteer_id}


def _tried(session: Session, request: Request) -> list[int]:
    """The volunteer of each attempt of the request (one entry per attempt), without loading the attempts."""
    loaded = request.__dict__.get("attempts")
    if loaded is not None:
        return [a.volunteer_id for a in loaded]
    # A Core statement on the connection: no Attempt objects built, and no flush of the pending changes before
    # it (Session.execute would autoflush them; none can change an attempt's volunteer, all made by Core).
    return list(session.connection().execute(_TRIED, {"request_id": request.id}).scalars())


_TRIED = select(_ATTEMPTS.c.volunteer_id).where(_ATTEMPTS.c.request_id == bindparam("request_id"))


# Built once, the volunteer bound each time: the row lock of a claim (SKIP LOCKED passes over a row that
# another call's claim holds).
_LOCK_FREE_VOLUNTEER = (
    select(Volunteer)
    .where(Volunteer.id == bindparam("volunteer_id"), Volunteer.on_call_request_id.is_(None))
    .with_for_update(skip_locked=True)
)


def claim_first(
    session: Session, request: Request, ordered: list[int], seq: int, kind: str, now: datetime
) -> Offer | None:
    """Offer the request to the first volunteer of the ring order (ids) no other call is ringing: their row
    is locked until our commit and the attempt (seq, kind) recorded. None when none of them is free.

    Two calls routed at the same instant would otherwise ring the same phone: each locks its volunteer's
    row (SKIP LOCKED passes over one another call holds) and checks again, after the lock, that no attempt
    committed meanwhile rings that volunteer. The INSERT of the attempt is that check: a statement of its
    own, after the lock (under READ COMMITTED, a new snapshot that sees an attempt committed meanwhile),
    that inserts nothing when the volunteer is ringing elsewhere.
    """
    # No autoflush: the request's pending changes go in the commit's one flush.
    with session.no_autoflush:
        for volunteer_id in ordered:
            volunteer = session.scalars(_LOCK_FREE_VOLUNTEER, {"volunteer_id": volunteer_id}).first()
            if volunteer is None:
                continue
            attempt = _record_attempt(session, request, volunteer_id, seq, kind, now)
            if attempt is not None:
                return Offer(attempt=attempt, volunteer=volunteer)
    return None


def _insert_unless_ringing() -> Any:
    """INSERT INTO attempts … SELECT the given values WHERE the volunteer has no attempt ringing, RETURNING id.

    Built once: its parameters are bound at each execution (no statement built per routing decision).
    """
    names = ("request_id", "volunteer_id", "seq", "kind", "result", "leg_call_sid", "offered_at", "answered_at",
             "ended_at")  # fmt: skip
    row = select(*[bindparam(name, type_=_ATTEMPTS.c[name].type).label(name) for name in names])
    busy = ringing(bindparam("volunteer_id", type_=_ATTEMPTS.c.volunteer_id.type))
    return insert(_ATTEMPTS).from_select(list(names), row.where(~busy)).returning(_ATTEMPTS.c.id)


_INSERT_UNLESS_RINGING = _insert_unless_ringing()
_OFFERED_AT = bindparam("offered_at", type_=_VOLUNTEERS.c.last_offered_at.type)
_MARK_OFFERED = (
    update(_VOLUNTEERS).where(_VOLUNTEERS.c.id == bindparam("volunteer_id")).values(last_offered_at=_OFFERED_AT)
)


def _insert_and_mark_offered() -> Any:
    """PostgreSQL: the INSERT unless ringing and, when it inserted, the volunteer's last_offered_at, in one statement:
    WITH offered AS (INSERT … RETURNING id) UPDATE volunteers SET last_offered_at … RETURNING offered.id.

    Both parts see the snapshot the INSERT sees, still a statement after the lock; the UPDATE touches the row
    the lock holds only when the attempt went in, and returns no row when it did not.
    """
    offered = _INSERT_UNLESS_RINGING.cte("offered")
    return (
        update(_VOLUNTEERS)
        .where(_VOLUNTEERS.c.id == bindparam("volunteer_id"), exists(select(offered.c.id)))
        .values(last_offered_at=_OFFERED_AT)
        .returning(select(offered.c.id).scalar_subquery())
    )


_INSERT_AND_MARK_OFFERED = _insert_and_mark_offered()

# A live ring's lock: the volunteer's number is all the TwiML needs, so no Volunteer object is built.
_LOCK_FREE_PHONE = (
    select(_VOLUNTEERS.c.phone)
    .where(_VOLUNTEERS.c.id == bindparam("volunteer_id"), _VOLUNTEERS.c.on_call_request_id.is_(None))
    .with_for_update(skip_locked=True)
)


def ring_first(session: Session, request_id: int, ordered: list[int], seq: int, now: datetime) -> Ring | None:
    """claim_first for a live ring, recording also that the volunteer was offered a call now (last_offered_at).

    The same lock and the same insert-unless-ringing check as claim_first, in fewer round trips: the lock
    reads the number only, and on PostgreSQL the attempt's INSERT and the last_offered_at UPDATE are one
    statement (two elsewhere). Only rows are written: no Attempt object is built (the TwiML needs its id).
    """
    # Core statements on the session's connection: no ORM execution layer (~0.3 ms a statement), no flush.
    connection = session.connection()
    for volunteer_id in ordered:
        locked = connection.execute(_LOCK_FREE_PHONE, {"volunteer_id": volunteer_id}).first()
        if locked is None:
            continue
        values = _attempt_values(request_id, volunteer_id, seq, "live", now)
        attempt_id = _insert_attempt(session, values, now, mark_offered=True)
        if attempt_id is not None:
            return Ring(attempt_id=attempt_id, volunteer_id=volunteer_id, phone=locked.phone)
    return None


def _record_attempt(
    session: Session,
    request: Request,
    volunteer_id: int,
    seq: int,
    kind: str,
    now: datetime,
) -> Attempt | None:
    """Insert the attempt unless the volunteer is ringing for another request; a loaded Attempt, or None.

    The attempt's id goes into the TwiML and the timeline before the commit: a Core INSERT … RETURNING gives
    it without flushing the request and its events, which then go with the others in the commit's one flush.
    """
    values = _attempt_values(request.id, volunteer_id, seq, kind, now)
    attempt_id = _insert_attempt(session, values, now, mark_offered=False)
    if attempt_id is None:
        return None
    # The row as the database now holds it, made an object of the session as if just loaded (nothing to flush).
    attempt = Attempt(id=attempt_id, **values)
    make_transient_to_detached(attempt)
    session.add(attempt)
    set_committed_value(attempt, "request", request)
    if "attempts" in request.__dict__:
        set_committed_value(request, "attempts", [*request.attempts, attempt])
    return attempt


def _attempt_values(request_id: int, volunteer_id: int, seq: int, kind: str, now: datetime) -> dict[str, Any]:
    """The columns of a new attempt, offered now."""
    return {
        "request_id": request_id,
        "volunteer_id": volunteer_id,
        "seq": seq,
        "kind": kind,
        "result": None,
        "leg_call_sid": None,
        "offered_at": now,
        "answered_at": None,
        "ended_at": None,
    }


def _insert_attempt(session: Session, values: dict[str, Any], now: datetime, mark_offered: bool) -> int | None:
    """The INSERT unless ringing (and last_offered_at when `mark_offered`): the new attempt's id, or None."""
    volunteer_id = values["volunteer_id"]
    params = {**values, "ringing_since": now - RINGING_WINDOW}
    connection = session.connection()  # Core on the connection: the pending changes wait for the commit's flush
    if mark_offered and connection.dialect.name == "postgresql":
        attempt_id = connection.execute(_INSERT_AND_MARK_OFFERED, params).scalar()
    else:
        attempt_id = connection.execute(_INSERT_UNLESS_RINGING, params).scalar()
        if attempt_id is not None and mark_offered:
            connection.execute(_MARK_OFFERED, {"volunteer_id": volunteer_id, "offered_at": now})
    if attempt_id is not None and mark_offered:
        # A Volunteer object this session already holds shows the new value, as if loaded after the UPDATE.
        held = session.identity_map.get(identity_key(Volunteer, volunteer_id))
        if held is not None:
            set_committed_value(held, "last_offered_at", now)
    return cast(int | None, attempt_id)


def volunteer_by_id(session: Session, volunteer_id: int) -> Volunteer | None:
    """A volunteer by id, without flushing first: pending changes cannot alter which row that is."""
    with session.no_autoflush:
        return session.get(Volunteer, volunteer_id)


# Built once: who a volunteer is on a call with (None: free), changed only from the expected value when given.
_ON_CALL = (
    update(_VOLUNTEERS)
    .where(_VOLUNTEERS.c.id == bindparam("b_volunteer"))
    .values(on_call_request_id=bindparam("b_request"))
)
_ON_CALL_IF = _ON_CALL.where(_VOLUNTEERS.c.on_call_request_id == bindparam("b_expected"))


def _set_on_call(session: Session, volunteer_id: int, request_id: int | None, expected: int | None) -> None:
    """Mark a volunteer on a call with that request (None: free), only if on `expected` when it is given."""
    loaded = session.identity_map.get(identity_key(Volunteer, volunteer_id))
    if loaded is not None:
        # This session holds the volunteer: its object stays the one truth, written by the flush.
        if expected is None or loaded.on_call_request_id == expected:
            loaded.on_call_request_id = request_id
        return
    # One UPDATE on the table instead of loading the whole volunteer row to change one column (a volunteer
    # deleted meanwhile matches no row, as the object load found none).
    params = {"b_volunteer": volunteer_id, "b_request": request_id}
    # No autoflush: the request's and attempt's pending changes and events go in the commit's one flush.
    with session.no_autoflush:
        if expected is None:
            session.execute(_ON_CALL, params)
        else:
            session.execute(_ON_CALL_IF, {**params, "b_expected": expected})


def accept(session: Session, attempt: Attempt, now: datetime) -> bool:
    """The volunteer pressed 1: connect them if the patient is still waiting; False when too late."""
    request = attempt.request
    if attempt.result == "accepted":
        return True
    if attempt.result is not None or request.status != "routing":
        return False
    change_status(session, request, "connected", now)
    # Written now, by UPDATEs without the unit of work (the screening answer's whole change of both rows).
    write_columns(session, attempt, result="accepted", answered_at=now)
    changed = {"status": request.status, "updated_at": request.updated_at}
    write_columns(session, request, volunteer_id=attempt.volunteer_id, connected_at=now, **changed)
    _set_on_call(session, attempt.volunteer_id, request.id, None)
    add_event(session, request, "attempt.accepted", now, {"attempt": attempt.id, "volunteer_id": attempt.volunteer_id})
    return True


def decline(session: Session, attempt: Attempt, now: datetime) -> None:
    """The volunteer pressed something else than 1, or nothing."""
    if attempt.result is not None:
        return
    attempt.result = "declined"
    attempt.ended_at = now
    add_event(session, attempt.request, "attempt.declined", now, {"attempt": attempt.id})


def finish_attempt(
    session: Session, attempt: Attempt, dial_status: str | None, bridged: bool | None, now: datetime
) -> str:
    """Judge a finished ring from the app's record and the <Dial> action; free the volunteer."""
    accepted = attempt.result == "accepted"
    declined = attempt.result == "declined"
    result = lifecycle.attempt_result_from_dial(accepted, dial_status, bridged, declined)
    attempt.result = result
    attempt.ended_at = attempt.ended_at or now
    _set_on_call(session, attempt.volunteer_id, None, attempt.request_id)
    request = attempt.request
    if accepted and result == "failed" and request.status == "connected":
        # Pressed 1 but the bridge never happened: the patient is still there, back to the hunt.
        request.status = "routing"
        request.connected_at = None
        request.volunteer_id = None
        add_event(session, request, "status", now, {"from": "connected", "to": "routing"})
    add_event(
        session,
        request,
        "attempt.finished",
        now,
        {"attempt": attempt.id, "result": result, "dial_status": dial_status, "bridged": bridged},
    )
    return result


def settle_accepted(session: Session, attempt: Attempt, now: datetime, source: str) -> bool:
    """The conversation of an accepted ring is over: finish it once, whichever callback told us first.

    The <Dial> action is not the only news of it: when the caller hangs up, Twilio's session ends without
    it, and the volunteer leg's status callback or the call's final status tell us instead. True when this
    call finished the attempt (the caller then sends the outcome request, exactly once).
    """
    if attempt.result != "accepted" or attempt.ended_at is not None:
        return False
    attempt.ended_at = now
    volunteer = volunteer_by_id(session, attempt.volunteer_id)
    if volunteer is not None and volunteer.on_call_request_id == attempt.request_id:
        volunteer.on_call_request_id = None
    add_event(
        session,
        attempt.request,
        "attempt.finished",
        now,
        {"attempt": attempt.id, "result": "accepted", "source": source},
    )
    return True
