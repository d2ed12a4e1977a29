"""Call-backs: the clock process phones a volunteer on duty for each request waiting for a call back.

A round: the volunteers on duty are asked one at a time (an outgoing call that plays the request and the
patient's message: 1 to call the patient back, 2 to pass). A volunteer who passes, does not answer or is
busy hands the request to the next one. When one presses 1, the line dials the patient with its own
number as caller ID. Reached: the request is connected to that volunteer, who is asked the outcome. Not
reached: the patient's failed call-backs are counted; the next round starts after the territory's spacing,
and after the last allowed one the request is closed as ``unreachable`` and the coordinator told by SMS.
When every volunteer on duty has passed, the round ends too, without counting against the patient.

This module offers a request to volunteers and places the offer calls; the policy (pure decisions) is in
`callback_policy`, dialling the patient in `callback_dial`, the clock jobs in `callback_jobs`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from orientation.core import lifecycle
from orientation.core.models import Attempt, OutboxMessage, Request
from orientation.core.runtime import Sender
from orientation.services import attempts, messaging
from orientation.services import requests as svc
from orientation.services.callback_policy import callback_settings, offer_url, status_url_for
from volunteers.models import Volunteer
from volunteers.services import ring_candidates

OFFER_PURPOSE = "callback_offer"


# ---------------------------------------------------------------- offering a request to a volunteer


@dataclass(frozen=True)
class Offer:
    """A volunteer called for a call-back, and the outgoing call queued for it."""

    attempt: Attempt
    volunteer: Volunteer
    call: OutboxMessage


def callback_attempts(request: Request) -> list[Attempt]:
    """The call-back offers made for a request, oldest first."""
    return [a for a in request.attempts if a.kind == "callback"]


def in_flight(request: Request) -> Attempt | None:
    """The offer under way: a volunteer being called, or one who pressed 1 while the patient is dialled."""
    for attempt in callback_attempts(request):
        if attempt.result is None or (attempt.result == "accepted" and attempt.ended_at is None):
            return attempt
    return None


def _round_tried(request: Request) -> set[int]:
    # A round starts when next_callback_at falls due: volunteers asked since then are not asked again in it.
    start = request.next_callback_at
    return {a.volunteer_id for a in callback_attempts(request) if start is None or a.offered_at >= start}


def offer_next(session: Session, request: Request, now: datetime, base_url: str, live: bool) -> Offer | None:
    """Call the next volunteer on duty about a request waiting for a call back; None when nobody (else) can.

    When nobody is left in this round, the round ends: the next one starts after the territory's spacing.
    """
    if request.status != "callback_pending" or not request.caller or in_flight(request) is not None:
        return None
    territory = request.territory
    tried = _round_tried(request)
    candidates = ring_candidates(session, territory, request.motive or "orientation", request.language, now, tried)
    if not candidates:
        request.next_callback_at = now + callback_settings(territory.settings).spacing
        payload = {"asked": len(tried), "next_at": request.next_callback_at.isoformat()}
        svc.add_event(session, request, "callback.round_ended", now, payload)
        return None
    # The same row lock and re-check as live routing: a call being routed at this instant may be ringing them.
    claimed = attempts.claim_first(session, request, candidates, len(request.attempts) + 1, "callback", now)
    if claimed is None:
        return None
    attempt, volunteer = claimed.attempt, claimed.volunteer
    volunteer.last_offered_at = now
    svc.add_event(session, request, "callback.offered", now, {"attempt": attempt.id, "volunteer_id": volunteer.id})
    url = offer_url(base_url, attempt.id)
    call = messaging.queue_call(
        session,
        to=volunteer.phone,
        from_=territory.main_number,
        url=url,
        purpose=OFFER_PURPOSE,
        now=now,
        territory_id=territory.id,
        request_id=request.id,
        live=live,
        status_callback=status_url_for(url),
    )
    return Offer(attempt=attempt, volunteer=volunteer, call=call)


def call_placed(session: Session, attempt: Attempt, call_sid: str | None) -> None:
    """Twilio called back about the offer call: if its create had got no answer ("uncertain"), it was placed."""
    marker = f"?attempt={attempt.id}"
    rows = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.request_id == attempt.request_id,
            OutboxMessage.purpose == OFFER_PURPOSE,
            OutboxMessage.status == "uncertain",
        )
    )
    for row in rows:
        if (row.url or "").endswith(marker):
            row.status = "sent"
            row.provider_sid = row.provider_sid or call_sid


def still_offered(attempt: Attempt) -> bool:
    """True when this offer may still be taken: nobody settled it and the request still waits."""
    return attempt.kind == "callback" and attempt.result is None and attempt.request.status == "callback_pending"


def answered(attempt: Attempt, leg_call_sid: str | None) -> None:
    """The volunteer picked up the offer call."""
    if attempt.leg_call_sid is None:
        attempt.leg_call_sid = leg_call_sid


def accept(session: Session, attempt: Attempt, now: datetime) -> bool:
    """The volunteer pressed 1: they call the patient back now. False when the offer is no longer open."""
    if not still_offered(attempt):
        return False
    attempt.result = "accepted"
    attempt.answered_at = now
    volunteer = session.get(Volunteer, attempt.volunteer_id)
    if volunteer is not None:
        volunteer.on_call_request_id = attempt.request_id
    payload = {"attempt": attempt.id, "volunteer_id": attempt.volunteer_id}
    svc.add_event(session, attempt.request, "callback.accepted", now, payload)
    return True


def pass_on(session: Session, attempt: Attempt, result: str, now: datetime) -> bool:
    """The volunteer passed (2), did not answer, was busy or unreachable. False when already settled."""
    if attempt.result is not None:
        return False
    attempt.result = result
    attempt.ended_at = now
    svc.add_event(session, attempt.request, "callback.passed", now, {"attempt": attempt.id, "result": result})
    return True


# ---------------------------------------------------------------- the coordinator's "call back now"


class CallbackRefused(Exception):
    """The request cannot be called back now (call in progress, closed, no number)."""


def trigger_now(
    session: Session, request: Request, now: datetime, actor: str, base_url: str, live: bool
) -> Offer | None:
    """Start a call-back round now, outside the spacing: the coordinator asked. Returns the offer made, if any."""
    if request.status in lifecycle.WAITING:
        raise CallbackRefused("the call is still in progress")
    if request.status == "closed":
        raise CallbackRefused("the request is closed")
    if not request.caller:
        raise CallbackRefused("the caller's number is unknown")
    if request.status != "callback_pending":
        if request.outcome is not None:
            # An abandoned call called back is no longer final: its outcome will come from the call-back.
            svc.add_event(session, request, "outcome", now, {"from": request.outcome, "to": None}, actor)
            request.outcome = None
        svc.change_status(session, request, "callback_pending", now, actor)
        request.callback_requested_at = request.callback_requested_at or now
    request.next_callback_at = now
    svc.add_event(session, request, "callback.requested", now, {}, actor)
    current = in_flight(request)
    if current is not None:
        return None
    return offer_next(session, request, now, base_url, live)


# ---------------------------------------------------------------- placing the offer calls


def dispatch_offers(
    sessions: sessionmaker[Session],
    sender: Sender | None,
    ids: Sequence[int] | None = None,
    *,
    now: datetime,
    base_url: str | None = None,
) -> int:
    """Place queued offer calls (those named, or all), each with the status callback queued with it."""
    if sender is None:
        return 0
    if ids is None:
        with sessions() as session:
            ids = list(
                session.scalars(
                    select(OutboxMessage.id).where(
                        OutboxMessage.status == "queued",
                        OutboxMessage.channel == "call",
                        OutboxMessage.purpose == OFFER_PURPOSE,
                    )
                )
            )
    if not ids:
        return 0
    return messaging.dispatch(sessions, sender, ids, now=now, base_url=base_url)
