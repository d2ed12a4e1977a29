"""Request services: open a request for a call, route it, and record what happened to it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session, joinedload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from orientation.core import lifecycle, logs
from orientation.core.models import Attempt, Event, Request, Territory, TerritoryNumber
from orientation.core.phones import is_mobile, try_e164
from orientation.services.references import format_reference, next_number
from volunteers.models import Volunteer
from volunteers.services import RINGING_WINDOW, ring_candidates, ringing

_ATTEMPTS = cast(Table, Attempt.__table__)
_EVENTS = cast(Table, Event.__table__)
# The line's number, a deferred subquery of the territory's statement (see orientation.core.models).
_FIRST_NUMBER = Territory.__mapper__.attrs["first_number"].class_attribute
_EVENT_COLUMNS = ("request_id", "kind", "idempotency_key", "payload", "response", "actor", "at")


def territory_for_number(session: Session, called: str | None) -> Territory | None:
    """The territory whose line was called (the `To` of the call)."""
    number = try_e164(called)
    if number is None:
        return None
    territory = session.scalars(select(Territory).join(TerritoryNumber).where(TerritoryNumber.phone == number)).first()
    if territory is not None:
        logs.bind(territory_id=territory.id)
    return territory


def add_event(
    session: Session,
    request: Request | None,
    kind: str,
    now: datetime,
    payload: dict[str, Any] | None = None,
    actor: str | None = None,
) -> Event:
    """Append an entry to a request's timeline."""
    event = Event(
        request_id=request.id if request is not None else None,
        kind=kind,
        payload=payload or {},
        actor=actor,
        at=now,
    )
    session.add(event)
    return event


def flush_with_events(session: Session, *rows: dict[str, Any]) -> None:
    """Flush the session, its timeline events and `rows` (event rows) going in one Core INSERT after the rest.

    The timeline events a unit of work added (`add_event`) leave the session, and are written with the given
    rows in one statement, in the order they were added: no Event objects in the flush, no ids read back.
    """
    pending = [obj for obj in session.new if isinstance(obj, Event)]
    for event in pending:
        session.expunge(event)
    session.flush()
    values = [{name: getattr(event, name) for name in _EVENT_COLUMNS} for event in pending]
    values += [{name: row.get(name) for name in _EVENT_COLUMNS} for row in rows]
    for value in values:
        value["payload"] = value["payload"] if value["payload"] is not None else {}
    if values:
        # One row (most callbacks): a plain execute, cheaper than executemany's; several: one executemany.
        session.execute(insert(_EVENTS), values[0] if len(values) == 1 else values)


def change_status(session: Session, request: Request, target: str, now: datetime, actor: str = "line") -> None:
    """Move a request to another status, as the lifecycle allows, and keep the change in the timeline."""
    if request.status == target:
        return
    previous = request.status
    request.status = lifecycle.move(previous, target)
    request.updated_at = now
    if target == "closed" and request.closed_at is None:
        request.closed_at = now
    add_event(session, request, "status", now, {"from": previous, "to": target}, actor)


def open_request(
    session: Session,
    territory: Territory,
    call_sid: str,
    caller_raw: str | None,
    now: datetime,
    then: str | None = None,
) -> tuple[Request, bool]:
    """The request of an inbound call, created once per CallSid; True when it was just created.

    A new request is created already moved on to the status `then`, when given (one INSERT, no UPDATE);
    an existing one is returned as it is.
    """
    existing = session.scalars(select(Request).where(Request.call_sid == call_sid)).first()
    if existing is not None:
        return existing, False
    caller = try_e164(caller_raw, territory.region)
    number = next_number(session, territory.id, now.year)
    request = Request(
        territory_id=territory.id,
        reference=format_reference(territory.reference_prefix, now.year, number),
        call_sid=call_sid,
        caller=caller,
        caller_is_mobile=bool(caller and is_mobile(caller)),
        status="received" if then is None else lifecycle.move("received", then),
        created_at=now,
        updated_at=now,
    )
    session.add(request)
    session.flush()
    add_event(session, request, "call.received", now, {"caller_known": caller is not None})
    if then is not None and then != "received":
        add_event(session, request, "status", now, {"from": "received", "to": then}, "line")
    return request, True


def _one(session: Session, query: Select[Request], lock: bool, with_territory: bool = True) -> Request | None:
    return _bound(session.scalars(_loading(query, lock, with_territory)).first())


def _bound(request: Request | None) -> Request | None:
    # The webhook's log lines from here on name the territory (logs.bind does nothing outside a web request).
    if request is not None:
        logs.bind(territory_id=request.territory_id)
    return request


def _loading(query: Select[Request], lock: bool, with_territory: bool) -> Select[Request]:
    # Nearly every caller goes on to read the territory: one statement instead of a lazy load after it.
    if with_territory:
        # With the line's number (the caller ID of a <Dial>, the sender of an SMS): no statement of its own.
        query = query.options(joinedload(Request.territory, innerjoin=True).undefer(_FIRST_NUMBER))
    if lock:
        # Callbacks of one call may arrive at once: each waits for the other's commit and then sees it.
        query = query.with_for_update(of=Request).execution_options(populate_existing=True)
    return query


@cache
def _by_call(lock: bool, with_territory: bool) -> Select[Request]:
    # Every webhook of a call starts with this lookup: built once per variant, the CallSid bound each time.
    return _loading(select(Request).where(Request.call_sid == bindparam("call_sid")), lock, with_territory)


def request_by_call(
    session: Session, call_sid: str | None, lock: bool = False, with_territory: bool = True
) -> Request | None:
    """The request of a call, by its CallSid (row-locked until commit when `lock`; its territory loaded with
    it unless `with_territory` is False, for a caller that never reads it)."""
    if not call_sid:
        return None
    return _bound(session.scalars(_by_call(lock, with_territory), {"call_sid": call_sid}).first())


def request_by_reference(session: Session, reference: str, lock: bool = False) -> Request | None:
    """A request by its human reference (row-locked until commit when `lock`)."""
    return _one(session, select(Request).where(Request.reference == reference), lock)


def lock_request(session: Session, request_id: int) -> Request | None:
    """The request, row-locked until commit, with its current state."""
    return _one(session, select(Request).where(Request.id == request_id), True)


def lock_attempt(session: Session, attempt_id: int) -> Attempt | None:
    """An attempt read after its request is row-locked until commit (so both show their current state)."""
    request_of = select(Attempt.request_id).where(Attempt.id == attempt_id).scalar_subquery()
    request = _one(session, select(Request).where(Request.id == request_of), True)
    if request is None:
        return None
    attempt = session.identity_map.get(identity_key(Attempt, attempt_id))
    if attempt is not None:
        # Loaded before the lock: read again what a concurrent callback may have committed.
        session.refresh(attempt)
    else:
        attempt = session.get(Attempt, attempt_id)
    # The session holds loaded objects weakly: keep the locked request on the attempt it was read for.
    set_committed_value(attempt, "request", request)
    return attempt


def note_leg_call_sid(session: Session, attempt_id: int, leg_call_sid: str | None) -> int | None:
    """Keep the CallSid of a volunteer's leg on its attempt once; the attempt's request id, None if unknown."""
    # Core statements on the table, no Attempt object (nor the ORM's statement handling): a leg posts four
    # status callbacks, and only the first finds no CallSid kept yet, so the other three read one row and
    # write nothing. Nothing of this session has an Attempt loaded or pending when a status callback runs.
    found = session.execute(
        select(_ATTEMPTS.c.request_id, _ATTEMPTS.c.leg_call_sid).where(_ATTEMPTS.c.id == attempt_id)
    ).first()
    if found is None:
        return None
    request_id, kept = found
    if kept is None and leg_call_sid:
        # Conditional and atomic: a concurrent callback of the same leg sets the same value or nothing.
        session.execute(
            update(_ATTEMPTS)
            .where(_ATTEMPTS.c.id == attempt_id, _ATTEMPTS.c.leg_call_sid.is_(None))
            .values(leg_call_sid=leg_call_sid)
        )
    return request_id


def has_event(session: Session, request: Request, kind: str) -> bool:
    """True when the request's timeline holds an event of that kind."""
    found = select(Event.id).where(Event.request_id == request.id, Event.kind == kind).limit(1)
    return session.scalar(found) is not None


def choose_motive(session: Session, request: Request, motive: str, now: datetime, defaulted: bool) -> None:
    """Record the motive the caller chose (or the default after silence)."""
    if motive not in lifecycle.MOTIVES:
        raise ValueError(f"unknown motive {motive}")
    request.motive = motive
    request.updated_at = now
    add_event(session, request, "menu.motive", now, {"motive": motive, "defaulted": defaulted})


def note_menu_miss(session: Session, request: Request, now: datetime, step: str) -> None:
    """Count a silence or an answer that was not understood."""
    request.menu_misses += 1
    add_event(session, request, f"{step}.not_understood", now)


def set_postcode(session: Session, request: Request, territory: Territory, postcode: str | None, now: datetime) -> None:
    """Record the postcode and whether it is in the territory (None when the caller gave none)."""
    request.postcode = postcode
    request.in_territory = None if postcode is None else postcode in (territory.postcodes or [])
    request.updated_at = now
    add_event(session, request, "postcode", now, {"postcode": postcode, "in_territory": request.in_territory})


def close_with_outcome(
    session: Session, request: Request, outcome: str, now: datetime, actor: str = "line", note: str | None = None
) -> None:
    """Set a final outcome and close the request."""
    if outcome not in lifecycle.OUTCOMES:
        raise ValueError(f"unknown outcome {outcome}")
    previous = request.outcome
    request.outcome = outcome
    request.outcome_by = actor
    if note is not None:
        request.outcome_note = note
        request.outcome_note_by = actor
    add_event(session, request, "outcome", now, {"from": previous, "to": outcome}, actor)
    change_status(session, request, "closed", now, actor)


@dataclass(frozen=True)
class Offer:
    """One volunteer to ring now for a request."""

    attempt: Attempt
    volunteer: Volunteer


def wait_exceeded(request: Request, territory: Territory, now: datetime) -> bool:
    """True when the caller has waited as long as the territory allows before leaving a message."""
    return (now - request.created_at).total_seconds() >= territory.max_wait_seconds


def offer_next(session: Session, request: Request, territory: Territory, now: datetime) -> Offer | None:
    """Pick the next volunteer to ring and record the attempt; None when nobody (else) can take it."""
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
        ordered = ring_candidates(session, territory, request.motive or "orientation", request.language, now, excluded)
        offer = claim_first(session, request, ordered, len(tried) + 1, "live", now) if ordered else None
    if not ordered:
        add_event(session, request, "routing.no_candidate", now, {"tried": len(excluded)})
        return None
    if offer is None:
        add_event(session, request, "routing.no_candidate", now, {"tried": len(excluded), "all_busy": True})
        return None
    offer.volunteer.last_offered_at = now
    payload = {"attempt": offer.attempt.id, "volunteer_id": offer.volunteer.id}
    add_event(session, request, "attempt.offered", now, payload)
    return offer


def _tried(session: Session, request: Request) -> list[int]:
    """The volunteer of each attempt of the request (one entry per attempt), without loading the attempts."""
    loaded = request.__dict__.get("attempts")
    if loaded is not None:
        return [a.volunteer_id for a in loaded]
    # A Core statement: no Attempt objects built, and no flush of the pending changes before it.
    return list(session.execute(select(_ATTEMPTS.c.volunteer_id).where(_ATTEMPTS.c.request_id == request.id)).scalars())


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


def _record_attempt(
    session: Session, request: Request, volunteer_id: int, seq: int, kind: str, now: datetime
) -> Attempt | None:
    """Insert the attempt unless the volunteer is ringing for another request; a loaded Attempt, or None.

    The attempt's id goes into the TwiML and the timeline before the commit: a Core INSERT … RETURNING gives
    it without flushing the request and its events, which then go with the others in the commit's one flush.
    """
    values: dict[str, Any] = {
        "request_id": request.id,
        "volunteer_id": volunteer_id,
        "seq": seq,
        "kind": kind,
        "result": None,
        "leg_call_sid": None,
        "offered_at": now,
        "answered_at": None,
        "ended_at": None,
    }
    attempt_id = session.execute(_INSERT_UNLESS_RINGING, {**values, "ringing_since": now - RINGING_WINDOW}).scalar()
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


def volunteer_by_id(session: Session, volunteer_id: int) -> Volunteer | None:
    """A volunteer by id, without flushing first: pending changes cannot alter which row that is."""
    with session.no_autoflush:
        return session.get(Volunteer, volunteer_id)


def accept(session: Session, attempt: Attempt, now: datetime) -> bool:
    """The volunteer pressed 1: connect them if the patient is still waiting; False when too late."""
    request = attempt.request
    if attempt.result == "accepted":
        return True
    if attempt.result is not None or request.status != "routing":
        return False
    attempt.result = "accepted"
    attempt.answered_at = now
    request.volunteer_id = attempt.volunteer_id
    request.connected_at = now
    change_status(session, request, "connected", now)
    volunteer = volunteer_by_id(session, attempt.volunteer_id)
    if volunteer is not None:
        volunteer.on_call_request_id = request.id
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
    volunteer = volunteer_by_id(session, attempt.volunteer_id)
    if volunteer is not None and volunteer.on_call_request_id == attempt.request_id:
        volunteer.on_call_request_id = None
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


def to_callback(session: Session, request: Request, now: datetime) -> bool:
    """Nobody could take the call: the request waits for a call back. True when this changed anything."""
    if request.status == "callback_pending":
        return False
    change_status(session, request, "callback_pending", now)
    request.callback_requested_at = request.callback_requested_at or now
    return True


def store_recording(
    session: Session, request: Request, sid: str | None, url: str | None, seconds: int | None, now: datetime
) -> None:
    """Keep where the patient's message is (the message itself stays at Twilio until retention deletes it)."""
    if not sid and not url:
        return
    if sid:
        request.recording_sid = sid
    if url:
        request.recording_url = url
    if seconds is not None:
        request.recording_seconds = seconds
    request.had_message = True
    request.updated_at = now


def call_ended(session: Session, request: Request, call_status: str, now: datetime) -> None:
    """The patient's call is over: a caller who hung up while waiting leaves an abandoned request."""
    for attempt in request.attempts:
        if attempt.result is None:
            attempt.result = "cancelled"
            attempt.ended_at = now
    for volunteer in session.scalars(select(Volunteer).where(Volunteer.on_call_request_id == request.id)):
        volunteer.on_call_request_id = None
    if request.status in lifecycle.WAITING:
        change_status(session, request, "abandoned", now)
        request.outcome = "abandoned"
        add_event(session, request, "outcome", now, {"from": None, "to": "abandoned"}, "line")
    add_event(session, request, "call.ended", now, {"status": call_status})
