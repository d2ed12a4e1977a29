"""Request services: open a request for a call, route it, and record what happened to it."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, Protocol, cast

from sqlalchemy import Select, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session, contains_eager, joinedload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from orientation.core import lifecycle, logs
from orientation.core.models import Attempt, Event, Request, Territory, TerritoryNumber
from orientation.core.phones import e164_and_mobile, try_e164
from orientation.services import event_rows
from orientation.services.references import format_reference, next_number
from orientation.services.rows import TIMELINE_KEY, take_deferred, write_columns
from volunteers.models import Volunteer

_EVENTS = cast(Table, Event.__table__)
_ATTEMPTS = cast(Table, Attempt.__table__)
_VOLUNTEERS = cast(Table, Volunteer.__table__)
# Built once, bound each time (has_event, call_ended).
_HAS_EVENT = (
    select(_EVENTS.c.id)
    .where(_EVENTS.c.request_id == bindparam("request_id"), _EVENTS.c.kind == bindparam("kind"))
    .limit(1)
)
_CANCEL_OPEN = (
    update(_ATTEMPTS)
    .where(_ATTEMPTS.c.request_id == bindparam("of_request"), _ATTEMPTS.c.result.is_(None))
    .values(result="cancelled", ended_at=bindparam("now"))
)
_FREE_HELD = (
    update(_VOLUNTEERS)
    .where(_VOLUNTEERS.c.on_call_request_id == bindparam("request_id"))
    .values(on_call_request_id=None)
)
# The line's number, a deferred subquery of the territory's statement (see orientation.core.models).
_FIRST_NUMBER = Territory.__mapper__.attrs["first_number"].class_attribute
_REQUESTS = cast(Table, Request.__table__)
# Built once (every inbound call runs them): is there a request for this CallSid, and the new request's row.
_ID_BY_CALL = select(_REQUESTS.c.id).where(_REQUESTS.c.call_sid == bindparam("call_sid"))
_INSERT_REQUEST = insert(_REQUESTS).returning(*_REQUESTS.c)
_EVENT_COLUMNS = event_rows.COLUMNS


# Built once: every inbound call starts with it (the called number bound each time).
_TERRITORY_BY_NUMBER = select(Territory).join(TerritoryNumber).where(TerritoryNumber.phone == bindparam("number"))


def territory_for_number(session: Session, called: str | None) -> Territory | None:
    """The territory whose line was called (the `To` of the call)."""
    number = try_e164(called)
    if number is None:
        return None
    territory = session.scalars(_TERRITORY_BY_NUMBER, {"number": number}).first()
    if territory is not None:
        logs.bind(territory_id=territory.id)
    return territory


def collect_timeline(session: Session) -> None:
    """From now on, the session's timeline entries are plain rows that flush_with_events writes (a webhook).

    An Event object per entry cost ~0.2 M instructions (instrumented construction, then session.add and the
    expunge flush_with_events did before writing it by Core): more than the INSERT of its row. Started
    afresh by each run of a webhook's handler (a retried one included), so a rolled-back run leaves nothing.
    """
    session.info[TIMELINE_KEY] = []
    take_deferred(session)


def stop_collecting_timeline(session: Session) -> None:
    """Timeline entries are Event objects of the session again (what is not yet written is dropped, a deferred
    row update too)."""
    session.info.pop(TIMELINE_KEY, None)
    take_deferred(session)


def timeline_entry(
    session: Session,
    request_id: int | None,
    kind: str,
    now: datetime,
    payload: dict[str, Any] | None = None,
    actor: str | None = None,
) -> None:
    """Append an entry to the timeline of a request known by its id: a plain row in a webhook, an Event
    object of the session elsewhere (written by its flush)."""
    collected: list[dict[str, Any]] | None = session.info.get(TIMELINE_KEY)
    if collected is None:
        session.add(Event(request_id=request_id, kind=kind, payload=payload or {}, actor=actor, at=now))
        return
    collected.append(
        {
            "request_id": request_id,
            "kind": kind,
            "idempotency_key": None,
            "payload": payload or {},
            "response": None,
            "actor": actor,
            "at": now,
        }
    )


def add_event(
    session: Session,
    request: Request | None,
    kind: str,
    now: datetime,
    payload: dict[str, Any] | None = None,
    actor: str | None = None,
) -> None:
    """Append an entry to a request's timeline."""
    timeline_entry(session, request.id if request is not None else None, kind, now, payload, actor)


def flush_with_events(session: Session, *rows: dict[str, Any]) -> None:
    """Flush the session, its timeline entries and `rows` (event rows) going in one Core INSERT after the rest.

    The timeline entries (`timeline_entry`, `add_event`) collected as plain rows, and any Event object added to
    the session, are written with the given rows in one statement, Event objects first, each in the order it
    was added: no Event objects in the flush, no ids read back. A row update the handler deferred
    (`rows.defer_changes`) goes in that statement too on PostgreSQL (event_rows).
    """
    deferred = take_deferred(session)
    pending = [obj for obj in session.new if isinstance(obj, Event)]
    for event in pending:
        session.expunge(event)
    if session.new or session.dirty or session.deleted:
        if deferred is not None:
            # Written before what the unit of work flushes, as it would have been when it was deferred.
            event_rows.write(session.connection(), [], deferred)
            deferred = None
        session.flush()
    values = [{name: getattr(event, name) for name in _EVENT_COLUMNS} for event in pending]
    collected: list[dict[str, Any]] | None = session.info.get(TIMELINE_KEY)
    if collected:
        values += collected
        session.info[TIMELINE_KEY] = []
    values += [{name: row.get(name) for name in _EVENT_COLUMNS} for row in rows]
    for value in values:
        value["payload"] = value["payload"] if value["payload"] is not None else {}
    # On the session's connection: a Core statement needs none of the ORM's statement handling.
    event_rows.write(session.connection(), values, deferred)


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
    existing_id = session.execute(_ID_BY_CALL, {"call_sid": call_sid}).scalar()
    if existing_id is not None:
        return cast(Request, session.get(Request, existing_id)), False
    values = new_request_row(session, territory, call_sid, caller_raw, now, then)
    # A Core INSERT … RETURNING the whole row (the columns' defaults applied by Core as by the ORM), made an
    # object of the session as if just loaded: no unit of work for the one row every inbound call writes.
    row = session.execute(_INSERT_REQUEST, values).one()
    request = Request(**row._asdict())
    make_transient_to_detached(request)
    session.add(request)
    # What a just-created request is known to hold: its territory (in hand) and no attempts yet.
    set_committed_value(request, "territory", territory)
    set_committed_value(request, "attempts", [])
    add_received_events(session, request.id, values, now, then)
    return request, True


class LineOfRequest(Protocol):
    """What numbering and writing a new request reads of its line (a Territory, or inbound.Line)."""

    @property
    def id(self) -> int: ...

    @property
    def region(self) -> str: ...

    @property
    def reference_prefix(self) -> str: ...


def new_request_row(
    session: Session, territory: LineOfRequest, call_sid: str, caller_raw: str | None, now: datetime, then: str | None
) -> dict[str, Any]:
    """The row of an inbound call's new request: the next reference of the year, the caller, the status (already
    moved on to `then` when given)."""
    row = unnumbered_request_row(territory, call_sid, caller_raw, now, then)
    number = next_number(session, territory.id, now.year)
    row["reference"] = format_reference(territory.reference_prefix, now.year, number)
    return row


def unnumbered_request_row(
    territory: LineOfRequest, call_sid: str, caller_raw: str | None, now: datetime, then: str | None
) -> dict[str, Any]:
    """new_request_row without its reference (for a statement that numbers the request itself)."""
    caller, mobile = e164_and_mobile(caller_raw, territory.region)
    return {
        "territory_id": territory.id,
        "call_sid": call_sid,
        "caller": caller,
        "caller_is_mobile": mobile,
        "status": "received" if then is None else lifecycle.move("received", then),
        "created_at": now,
        "updated_at": now,
    }


def received_events(row: dict[str, Any], now: datetime, then: str | None) -> list[dict[str, Any]]:
    """The opening timeline of a request created from `row` (new_request_row), as event rows without their
    request: received, and moved on to `then`."""
    events: list[dict[str, Any]] = [
        {"kind": "call.received", "payload": {"caller_known": row["caller"] is not None}, "actor": None, "at": now}
    ]
    if then is not None and then != "received":
        events.append({"kind": "status", "payload": {"from": "received", "to": then}, "actor": "line", "at": now})
    return events


def add_received_events(
    session: Session, request_id: int, row: dict[str, Any], now: datetime, then: str | None
) -> None:
    """The timeline of a request just created from `row` (new_request_row): received, and moved on to `then`."""
    for event in received_events(row, now, then):
        timeline_entry(session, request_id, event["kind"], now, event["payload"], event["actor"])


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


def _attempt_locked() -> Select[Attempt]:
    """The attempt with its request and the request's territory, both rows locked until commit, in one statement.

    Locked in the order requests, then attempts (PostgreSQL takes the rows of `FOR UPDATE OF` in the order
    listed), the order of every other callback of the call (the request first, then what it writes). The
    attempt's row is locked too, not only read: after waiting for a concurrent callback's commit, PostgreSQL
    returns the latest version of the rows it locks, but the row of a table it only joins as it was when the
    statement began, which would hide what that callback wrote on the attempt.
    """
    return (
        select(Attempt)
        .join(Attempt.request)
        .options(contains_eager(Attempt.request).joinedload(Request.territory, innerjoin=True).undefer(_FIRST_NUMBER))
        .where(Attempt.id == bindparam("attempt_id"))
        .with_for_update(of=[Request, Attempt])
        .execution_options(populate_existing=True)
    )


def lock_attempt(session: Session, attempt_id: int) -> Attempt | None:
    """An attempt and its request, row-locked until commit (so both show their current state), in one statement."""
    attempt = session.scalars(_attempt_locked(), {"attempt_id": attempt_id}).first()
    if attempt is None:
        return None
    _bound(attempt.request)
    # The session holds loaded objects weakly: the attempt keeps its locked request (loaded with it).
    return attempt


def has_event(session: Session, request: Request, kind: str) -> bool:
    """True when the request's timeline holds an event of that kind (written, or added in this session)."""
    if any(isinstance(obj, Event) and obj.request_id == request.id and obj.kind == kind for obj in session.new):
        return True
    collected: list[dict[str, Any]] = session.info.get(TIMELINE_KEY) or []
    if any(row["request_id"] == request.id and row["kind"] == kind for row in collected):
        return True
    # A statement built once, on the connection: the pending events were just looked at, so nothing is flushed.
    return session.connection().execute(_HAS_EVENT, {"request_id": request.id, "kind": kind}).first() is not None


def choose_motive(session: Session, request: Request, motive: str, now: datetime, defaulted: bool) -> None:
    """Record the motive the caller chose (or the default after silence)."""
    if motive not in lifecycle.MOTIVES:
        raise ValueError(f"unknown motive {motive}")
    # Written now, one UPDATE without the unit of work (the menu webhook's only change of the request).
    write_columns(session, request, motive=motive, updated_at=now)
    add_event(session, request, "menu.motive", now, {"motive": motive, "defaulted": defaulted})


def note_menu_miss(session: Session, request: Request, now: datetime, step: str) -> None:
    """Count a silence or an answer that was not understood."""
    request.menu_misses += 1
    add_event(session, request, f"{step}.not_understood", now)


def in_territory(postcode: str | None, postcodes: list[str] | None) -> bool | None:
    """Whether a postcode is one of the territory's (None when the caller gave none)."""
    return None if postcode is None else postcode in (postcodes or ())


def set_postcode(session: Session, request: Request, territory: Territory, postcode: str | None, now: datetime) -> None:
    """Record the postcode and whether it is in the territory (None when the caller gave none)."""
    request.postcode = postcode
    request.in_territory = in_territory(postcode, territory.postcodes)
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
    conn = session.connection()
    if "attempts" in request.__dict__ or _holds_attempts(session, request.id):
        for attempt in request.attempts:
            if attempt.result is None:
                attempt.result = "cancelled"
                attempt.ended_at = now
    else:
        # None of them in the session (the call's status callback): one UPDATE rather than loading them all.
        conn.execute(_CANCEL_OPEN, {"of_request": request.id, "now": now})
    # Whoever this call still held is free again: one UPDATE, and the volunteers loaded here kept in step.
    conn.execute(_FREE_HELD, {"request_id": request.id})
    # (An expired object is left alone: it reads the row again when next used.)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Volunteer) and obj.__dict__.get("on_call_request_id") == request.id:
            set_committed_value(obj, "on_call_request_id", None)
    if request.status in lifecycle.WAITING:
        change_status(session, request, "abandoned", now)
        request.outcome = "abandoned"
        add_event(session, request, "outcome", now, {"from": None, "to": "abandoned"}, "line")
    add_event(session, request, "call.ended", now, {"status": call_status})


def _holds_attempts(session: Session, request_id: int) -> bool:
    """True when an attempt of the request is loaded or pending in the session (its changes then go through it)."""
    held = [*session.identity_map.values(), *session.new]
    # Read without loading anything: an expired attempt counts as one of the request's (the ORM path is safe).
    return any(isinstance(obj, Attempt) and obj.__dict__.get("request_id", request_id) == request_id for obj in held)
