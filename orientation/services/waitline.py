"""The waiting line's services: join it, speak the wait, leave it, and offer its callers to free volunteers.

The order of the line lives in the database (requests.wait_started_at); each waiting caller sits alone in a
Twilio queue named after their reference (docs/twilio-contract.md, "Waiting line"). A volunteer who is free
is phoned (an outgoing call through the outbox), screened as in the hunt, and on a 1 dequeues that caller.
An offer is an attempt of kind "queue": without result while the volunteer's phone rings or screens, so the
routing's "ringing" rule (volunteers.services.ringing) keeps them from being offered a second call meanwhile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.orm import Session

from orientation.core import waitline as wl
from orientation.core.models import Attempt, OutboxMessage, Request, Territory
from orientation.core.runtime import Runtime
from orientation.services import attempts, messaging, territories
from orientation.services import requests as svc
from volunteers.models import Volunteer
from volunteers.services import RINGING_WINDOW, is_paused, on_duty_ids, ringing, rota_snapshot

# The volunteers' id column, as the routing's "ringing" SQL takes it.
_VOLUNTEER_ID = cast(Table, Volunteer.__table__).c.id
_REQUESTS = cast(Table, Request.__table__)
KIND = "queue"
OFFER_PURPOSE = "queue_offer"
OFFER_PATH = "/twilio/queue/offer"
OFFER_STATUS_PATH = "/twilio/queue/offer/status"
# Answered waits of the last hours make the estimate; older ones say little about today's surge.
ESTIMATE_WINDOW = timedelta(hours=3)
ESTIMATE_SAMPLES = 20


def offer_url(base_url: str, attempt_id: int) -> str:
    """The webhook Twilio fetches when the volunteer picks up the offer call."""
    return f"{base_url.rstrip('/')}{OFFER_PATH}?attempt={attempt_id}"


def offer_status_url(base_url: str, attempt_id: int) -> str:
    """The status callback of an offer call."""
    return f"{base_url.rstrip('/')}{OFFER_STATUS_PATH}?attempt={attempt_id}"


# ---------------------------------------------------------------- the caller's side


def should_wait(session: Session, request: Request, territory: Territory, now: datetime) -> bool:
    """Nobody can be rung now: True when an eligible volunteer on duty is busy (on a call or ringing), so the
    caller waits in line rather than leaving a message; False when nobody is on duty (the message step)."""
    if request.wait_ended_at is not None:
        return False  # a caller who left the line does not join it again
    on_duty = on_duty_ids(rota_snapshot(session, territory.id, now), territory, request.motive or "orientation", now)
    if not on_duty:
        return False
    tried = {a.volunteer_id for a in request.attempts if a.result in ("declined",)}
    with session.no_autoflush:
        volunteers = session.scalars(
            select(Volunteer).where(
                Volunteer.id.in_(on_duty),
                Volunteer.active.is_(True),
                Volunteer.on_call_request_id.is_not(None) | ringing(_VOLUNTEER_ID),
            ),
            {"ringing_since": now - RINGING_WINDOW},
        ).all()
    busy = {v.id for v in volunteers if not is_paused(v, now)}
    return wl.joins_line(on_duty, busy, tried)


def join(session: Session, request: Request, now: datetime) -> None:
    """The caller joins the line (once: a caller redirected back to it keeps their place)."""
    if request.wait_started_at is None:
        request.wait_started_at = now
        svc.add_event(session, request, "waitline.joined", now)


def calls_back_after_hang_up(territory: Territory) -> bool:
    """The territory's choice (settings["callback_after_hang_up"], off by default): a caller who hung up while
    waiting is called back like one who left a message."""
    return (territory.settings or {}).get("callback_after_hang_up") is True


def is_waiting(request: Request) -> bool:
    """True while the caller is in the line: joined, not left, nobody has taken them."""
    return request.wait_started_at is not None and request.wait_ended_at is None and request.status == "routing"


def leave(session: Session, request: Request, how: str, now: datetime) -> bool:
    """Record how and when the caller left the line (once); True when this call recorded it."""
    assert how in wl.WAIT_ENDS
    if request.wait_started_at is None or request.wait_ended_at is not None:
        return False
    request.wait_ended_at = now
    request.wait_end = how
    payload = {"how": how, "seconds": wl.waited_seconds(request.wait_started_at, now)}
    svc.add_event(session, request, "waitline.left", now, payload)
    return True


def line(session: Session, territory_id: int) -> list[wl.Waiting]:
    """The callers waiting in a territory's line, in order."""
    rows = session.execute(
        select(Request.id, Request.wait_started_at, Request.motive, Request.language).where(
            Request.territory_id == territory_id,
            Request.status == "routing",
            Request.wait_started_at.is_not(None),
            Request.wait_ended_at.is_(None),
        )
    ).all()
    return wl.in_order(
        wl.Waiting(i, at, motive or "orientation", lang or "fr") for i, at, motive, lang in rows if at is not None
    )


# Built once, the territory bound each time: is anybody in its line? Only requests being routed can wait, and
# the status index keeps this read to the calls in progress.
_SOMEONE_WAITS = (
    select(_REQUESTS.c.id)
    .where(
        _REQUESTS.c.territory_id == bindparam("territory_id"),
        _REQUESTS.c.status == "routing",
        _REQUESTS.c.wait_started_at.is_not(None),
        _REQUESTS.c.wait_ended_at.is_(None),
    )
    .limit(1)
)


def someone_waits(session: Session, territory_id: int) -> bool:
    """True when a caller waits in the territory's line: one read, without flushing the session first.

    Unflushed changes can only take callers out of the line where this is asked (a caller joins it in the voice
    flow, which never offers the line): at worst a caller who just left still shows, and `dispatch`, which
    flushes, finds nobody. Calls end far more often than anybody waits, so this is the common answer's price.
    """
    return session.connection().execute(_SOMEONE_WAITS, {"territory_id": territory_id}).first() is not None


def _on_duty(session: Session, territory: Territory, now: datetime) -> list[wl.FreeVolunteer]:
    snapshot = rota_snapshot(session, territory.id, now)
    ids = on_duty_ids(snapshot, territory, None, now)
    return [wl.FreeVolunteer(i, snapshot.motives[i], snapshot.languages.get(i, frozenset({"fr"}))) for i in ids]


def recent_waits(session: Session, territory_id: int, now: datetime) -> list[float]:
    """The waits of the callers answered lately (seconds), the estimate's evidence."""
    rows = session.execute(
        select(Request.wait_started_at, Request.wait_ended_at)
        .where(
            Request.territory_id == territory_id,
            Request.wait_end == wl.ANSWERED,
            Request.wait_ended_at >= now - ESTIMATE_WINDOW,
        )
        .order_by(Request.wait_ended_at.desc())
        .limit(ESTIMATE_SAMPLES)
    ).all()
    return [(end - start).total_seconds() for start, end in rows if start is not None and end is not None]


@dataclass(frozen=True)
class WaitNews:
    """What the caller hears at a turn of the line: their place and, when it can be said, the wait."""

    position: int
    estimate_seconds: int | None


def news(session: Session, request: Request, territory: Territory, now: datetime) -> WaitNews:
    """The caller's place among the callers the same volunteers can take, and an estimate when honest."""
    on_duty = _on_duty(session, territory, now)
    waiting = line(session, territory.id)
    place = wl.position(request.id, waiting, on_duty) or 1
    me = next((w for w in waiting if w.request_id == request.id), None)
    able = [v for v in on_duty if me is not None and wl.can_take(v, me)]
    estimate = wl.estimated_wait_seconds(place, recent_waits(session, territory.id, now), len(able))
    return WaitNews(place, estimate)


# ---------------------------------------------------------------- offering callers to free volunteers


@dataclass(frozen=True)
class Offered:
    """One volunteer phoned about one waiting caller."""

    attempt: Attempt
    volunteer: Volunteer
    call: OutboxMessage


def _open_offers(session: Session, request_ids: Sequence[int]) -> dict[int, int]:
    if not request_ids:
        return {}
    rows = session.execute(
        select(Attempt.request_id, func.count())
        .where(Attempt.request_id.in_(request_ids), Attempt.kind == KIND, Attempt.result.is_(None))
        .group_by(Attempt.request_id)
    ).all()
    return {request_id: count for request_id, count in rows}


def _free(session: Session, territory: Territory, now: datetime) -> list[wl.FreeVolunteer]:
    """On duty and free now (not paused, not on a call, phone not ringing), least recently offered first."""
    on_duty = {v.volunteer_id: v for v in _on_duty(session, territory, now)}
    if not on_duty:
        return []
    rows = session.scalars(
        select(Volunteer)
        .where(
            Volunteer.id.in_(list(on_duty)),
            Volunteer.active.is_(True),
            Volunteer.on_call_request_id.is_(None),
            ~ringing(_VOLUNTEER_ID),
        )
        .order_by(Volunteer.last_offered_at.asc().nulls_first(), Volunteer.id),
        {"ringing_since": now - RINGING_WINDOW},
    ).all()
    return [on_duty[v.id] for v in rows if not is_paused(v, now)]


def dispatch(session: Session, territory: Territory, now: datetime, base_url: str, live: bool) -> list[Offered]:
    """Offer the line's callers, longest-waiting first, to the free volunteers who can take them: one at a time,
    or up to `crisis_offers` at once in crisis mode. Nobody is offered two callers (the volunteer's row lock and
    the insert-unless-ringing of attempts.claim_first), no caller gets more offers than allowed (its row lock)."""
    waiting = line(session, territory.id)
    if not waiting:
        return []
    free = _free(session, territory, now)
    if not free:
        return []
    room = max(1, territory.crisis_offers) if territory.crisis_enabled else 1
    offered_now: set[int] = set()
    made: list[Offered] = []
    for caller in waiting:
        if len(offered_now) == len(free):
            break
        # The caller's row lock: another process dispatching at this instant passes over this caller.
        request = session.scalars(
            select(Request).where(Request.id == caller.request_id).with_for_update(skip_locked=True)
        ).first()
        if request is None or not is_waiting(request):
            continue
        open_now = _open_offers(session, [request.id]).get(request.id, 0)
        if open_now >= room:
            continue
        declined = {a.volunteer_id for a in request.attempts if a.result in ("declined",)}
        chosen = wl.offers_for(
            caller,
            [v for v in free if v.volunteer_id not in declined],
            territory.crisis_enabled,
            room - open_now,
            offered_now,
        )
        for volunteer_id in chosen:
            claimed = attempts.claim_first(session, request, [volunteer_id], len(request.attempts) + 1, KIND, now)
            offered_now.add(volunteer_id)
            if claimed is None:
                continue  # rung by another call meanwhile
            made.append(_phone(session, territory, request, claimed, now, base_url, live))
    return made


def _phone(
    session: Session,
    territory: Territory,
    request: Request,
    claimed: attempts.Offer,
    now: datetime,
    base_url: str,
    live: bool,
) -> Offered:
    attempt, volunteer = claimed.attempt, claimed.volunteer
    volunteer.last_offered_at = now
    svc.add_event(session, request, "waitline.offered", now, {"attempt": attempt.id, "volunteer_id": volunteer.id})
    call = messaging.queue_call(
        session,
        to=volunteer.phone,
        from_=territories.main_number(session, territory),
        url=offer_url(base_url, attempt.id),
        purpose=OFFER_PURPOSE,
        now=now,
        territory_id=territory.id,
        request_id=request.id,
        live=live,
        status_callback=offer_status_url(base_url, attempt.id),
    )
    return Offered(attempt, volunteer, call)


def still_offered(attempt: Attempt) -> bool:
    """True when this offer may still be taken: not settled, and the caller still waits in line."""
    return attempt.kind == KIND and attempt.result is None and is_waiting(attempt.request)


def take(session: Session, attempt: Attempt, now: datetime) -> bool:
    """The volunteer pressed 1: the one atomic claim of the caller (the request row is locked by the caller of
    this function, svc.lock_attempt); False when another volunteer took them first or they left the line."""
    if not still_offered(attempt):
        return False
    request = attempt.request
    if not attempts.accept(session, attempt, now):
        return False
    leave(session, request, wl.ANSWERED, now)
    return True


def take_next(session: Session, territory: Territory, volunteer: Volunteer, now: datetime) -> Attempt | None:
    """Crisis mode: the volunteer still on the line after a call takes the longest-waiting caller they can
    take, claimed at once (an offer and its acceptance in one step); None when nobody waits for them."""
    snapshot = rota_snapshot(session, territory.id, now)
    # The caller's hang-up may have freed them a moment ago, and the line already placed an offer call to them
    # for the longest-waiting caller they can take: that is the one they take now.
    open_offer = session.scalars(
        select(Attempt.id).where(Attempt.volunteer_id == volunteer.id, Attempt.kind == KIND, Attempt.result.is_(None))
    ).first()
    if open_offer is not None:
        attempt = svc.lock_attempt(session, open_offer)
        return attempt if attempt is not None and take(session, attempt, now) else None
    motives = snapshot.motives.get(volunteer.id, frozenset())
    me = wl.FreeVolunteer(volunteer.id, motives, snapshot.languages.get(volunteer.id, frozenset({"fr"})))
    skipped: set[int] = set()
    while (caller := wl.next_for(me, line(session, territory.id), skipped)) is not None:
        skipped.add(caller.request_id)
        request = session.scalars(
            select(Request).where(Request.id == caller.request_id).with_for_update(skip_locked=True)
        ).first()
        if request is None or not is_waiting(request):
            continue
        claimed = attempts.claim_first(session, request, [volunteer.id], len(request.attempts) + 1, KIND, now)
        if claimed is None:
            return None  # this volunteer is being offered another call right now
        volunteer.last_offered_at = now
        payload = {"attempt": claimed.attempt.id, "volunteer_id": volunteer.id}
        svc.add_event(session, request, "waitline.offered", now, payload)
        if take(session, claimed.attempt, now):
            return claimed.attempt
    return None


def rivals(attempt: Attempt) -> list[Attempt]:
    """The other open offers of the same caller (crisis mode): to be released once one volunteer took it."""
    return [a for a in attempt.request.attempts if a.kind == KIND and a.result is None and a.id != attempt.id]


def release(session: Session, attempts: Sequence[Attempt], now: datetime) -> list[tuple[str, bool]]:
    """Settle the rivals' offers as cancelled; the calls to end through the REST API as (call sid, picked up).

    An offer call not placed yet is never placed; one placed is cancelled (ringing) or told and hung up."""
    to_end: list[tuple[str, bool]] = []
    for rival in attempts:
        rival.result = "cancelled"
        rival.ended_at = now
        svc.add_event(session, rival.request, "waitline.released", now, {"attempt": rival.id})
        for row in _offer_calls(session, rival):
            if row.status in ("queued", "stored"):
                row.status = "failed"
                row.error = "offer taken by a colleague before the call was placed"
            elif row.provider_sid:
                to_end.append((row.provider_sid, rival.leg_call_sid is not None))
    return to_end


def drop_offer_calls(session: Session, attempt: Attempt, keep_sid: str | None) -> list[str]:
    """The volunteer took this offer on another call of theirs: its own offer call is not placed, or is
    cancelled (the sids to cancel through the REST API)."""
    to_cancel: list[str] = []
    for row in _offer_calls(session, attempt):
        if row.status in ("queued", "stored"):
            row.status = "failed"
            row.error = "offer taken on another call"
        elif row.provider_sid and row.provider_sid != keep_sid:
            to_cancel.append(row.provider_sid)
    return to_cancel


def _offer_calls(session: Session, attempt: Attempt) -> list[OutboxMessage]:
    marker = f"?attempt={attempt.id}"
    rows = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.request_id == attempt.request_id, OutboxMessage.purpose == OFFER_PURPOSE
        )
    )
    return [row for row in rows if (row.url or "").endswith(marker)]


def decline(session: Session, attempt: Attempt, result: str, now: datetime) -> bool:
    """The volunteer passed (2), did not answer, was busy or unreachable; the caller stays in line."""
    if attempt.result is not None:
        return False
    attempt.result = result
    attempt.ended_at = now
    svc.add_event(session, attempt.request, "waitline.passed", now, {"attempt": attempt.id, "result": result})
    return True


# ---------------------------------------------------------------- the clock job


def dispatch_lines(rt: Runtime, now: datetime) -> int:
    """Clock job: offer waiting callers to volunteers who became free without a call ending (a shift starts,
    a pause ends); returns how many offers it made. Webhooks do the same when a call ends."""
    made: list[int] = []
    with rt.sessions() as session:
        territory_ids = session.scalars(
            select(Request.territory_id)
            .where(Request.status == "routing", Request.wait_started_at.is_not(None), Request.wait_ended_at.is_(None))
            .distinct()
        ).all()
        for territory_id in territory_ids:
            territory = session.get(Territory, territory_id)
            if territory is None:
                continue
            offers = dispatch(session, territory, now, rt.config.public_base_url, rt.live_messaging)
            session.flush()
            made.extend(o.call.id for o in offers)
        session.commit()
    if made:
        messaging.dispatch(rt.sessions, rt.sender, made, now=now, base_url=rt.config.public_base_url)
    return len(made)
