"""Call-backs: the clock process phones a volunteer on duty for each request waiting for a call back.

A round: the volunteers on duty are asked one at a time (an outgoing call that plays the request and the
patient's message: 1 to call the patient back, 2 to pass). A volunteer who passes, does not answer or is
busy hands the request to the next one. When one presses 1, the line dials the patient with its own
number as caller ID. Reached: the request is connected to that volunteer, who is asked the outcome. Not
reached: the patient's failed call-backs are counted; the next round starts after the territory's spacing,
and after the last allowed one the request is closed as ``unreachable`` and the coordinator told by SMS.
When every volunteer on duty has passed, the round ends too, without counting against the patient.

Also here, as a clock job: the patient's recorded message is deleted (at Twilio and locally) once the
request has been closed for the territory's retention period.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from callflows import prompts
from orientation import lifecycle
from orientation.calendar import french_public_holidays
from orientation.db import transaction
from orientation.models import Attempt, Event, OutboxMessage, Request, Territory
from orientation.opening_hours import OpeningHoursError, is_open, parse_opening_hours
from orientation.runtime import Runtime, Sender
from orientation.services import messaging
from orientation.services import requests as svc
from orientation.services.territories import sms_from
from volunteers.models import Volunteer
from volunteers.services import ring_candidates

log = logging.getLogger(__name__)

DEFAULT_SPACING_MINUTES = 60
DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_RETENTION_DAYS = 30
# An offer that no webhook has settled for this long is over (a lost status callback, a call never placed).
STALE_OFFER = timedelta(minutes=10)
# A call-back accepted by a volunteer whose <Dial> result never came back is over after this long.
STALE_DIAL = timedelta(hours=2)
OFFER_PURPOSE = "callback_offer"
OFFER_PATH = "/twilio/callback/offer"
STATUS_PATH = "/twilio/callback/status"
# Final statuses of the outgoing call to a volunteer, and what they make of an offer nobody answered with a key.
OFFER_RESULT_FOR_STATUS = {
    "busy": "busy",
    "no-answer": "no_answer",
    "failed": "failed",
    "canceled": "cancelled",
    # Answered but no key pressed: a voicemail, or someone who hung up.
    "completed": "no_answer",
}


# ---------------------------------------------------------------- pure decisions


@dataclass(frozen=True)
class CallbackSettings:
    """A territory's call-back policy, from its settings (with defaults)."""

    spacing: timedelta
    max_attempts: int
    retention: timedelta


def _bounded_int(settings: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = settings.get(key)
    # Settings are free JSON: a string, a bool or an absurd number must not stop call-backs.
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return default
    return value


def callback_settings(settings: dict[str, Any] | None) -> CallbackSettings:
    """Read `callback_spacing_minutes`, `callback_max_attempts`, `recording_retention_days` from settings."""
    settings = settings or {}
    return CallbackSettings(
        spacing=timedelta(
            minutes=_bounded_int(settings, "callback_spacing_minutes", DEFAULT_SPACING_MINUTES, 1, 7 * 24 * 60)
        ),
        max_attempts=_bounded_int(settings, "callback_max_attempts", DEFAULT_MAX_ATTEMPTS, 1, 20),
        retention=timedelta(days=_bounded_int(settings, "recording_retention_days", DEFAULT_RETENTION_DAYS, 1, 3650)),
    )


# AnsweredBy values of Twilio's answering machine detection that are not a person.
_MACHINE_PREFIX = "machine"
_FAX = "fax"


def answered_by_machine(answered_by: str | None) -> bool:
    """True when machine detection says a voicemail or a fax answered (not "human", nor "unknown")."""
    value = (answered_by or "").lower()
    return value.startswith(_MACHINE_PREFIX) or value == _FAX


def patient_reached(
    dial_status: str | None, dial_seconds: int | None, answered_by: str | None = None, bridged: bool | None = None
) -> bool:
    """True when the dialled patient answered and talked: a completed <Dial> that lasted at least a second,
    answered by a person (Twilio's `completed` also covers a voicemail) and bridged to the volunteer."""
    if answered_by_machine(answered_by) or bridged is False:
        return False
    return (dial_status or "").lower() == "completed" and (dial_seconds or 0) > 0


def after_missed_patient(failed_so_far: int, max_attempts: int) -> str:
    """After the patient was dialled in vain (failed_so_far includes this one): "retry" or "unreachable"."""
    return "unreachable" if failed_so_far >= max_attempts else "retry"


def offer_url(base_url: str, attempt_id: int) -> str:
    """The webhook Twilio fetches when the volunteer answers the call-back offer."""
    return f"{base_url.rstrip('/')}{OFFER_PATH}?attempt={attempt_id}"


def status_url_for(offer: str) -> str:
    """The status callback of an offer call, derived from its URL (same attempt)."""
    return offer.replace(OFFER_PATH, STATUS_PATH, 1)


def line_open(territory: Territory, now: datetime) -> bool:
    """True when the territory's line is open at `now` (call-backs happen during opening hours only)."""
    try:
        hours = parse_opening_hours(territory.opening_hours)
    except OpeningHoursError:
        # Hours are validated when saved; a bad value must not stop call-backs for good.
        return True
    return is_open(hours, now, french_public_holidays(territory.holiday_subdivision), ZoneInfo(territory.timezone))


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
    claimed = svc.claim_first(session, request, candidates, len(request.attempts) + 1, "callback", now)
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


@dataclass(frozen=True)
class DialOutcome:
    """What became of dialling the patient back: reached, retry later, unreachable, or passed (not counted)."""

    result: str
    failed_calls: int
    notices: tuple[OutboxMessage, ...] = ()
    voicemail: bool = False


def patient_dialled(
    session: Session,
    attempt: Attempt,
    dial_status: str | None,
    dial_seconds: int | None,
    now: datetime,
    live: bool,
    answered_by: str | None = None,
    bridged: bool | None = None,
) -> DialOutcome:
    """Judge the <Dial> to the patient and move the request on: connected, next round, or unreachable.

    A voicemail (machine detection's `answered_by`) is not the patient: it counts as a missed call.
    """
    request = attempt.request
    if attempt.result != "accepted" or attempt.ended_at is not None:
        return DialOutcome("settled", request.callback_attempts)
    attempt.ended_at = now
    volunteer = session.get(Volunteer, attempt.volunteer_id)
    if volunteer is not None and volunteer.on_call_request_id == request.id:
        volunteer.on_call_request_id = None
    status = (dial_status or "").lower()
    if request.status != "callback_pending":
        # Closed meanwhile (by the coordinator): keep what the dial said, change nothing else.
        svc.add_event(session, request, "callback.dialled", now, {"attempt": attempt.id, "dial_status": status})
        return DialOutcome("settled", request.callback_attempts)
    if patient_reached(status, dial_seconds, answered_by, bridged):
        request.callback_done_at = now
        request.volunteer_id = attempt.volunteer_id
        request.connected_at = request.connected_at or now
        svc.change_status(session, request, "connected", now)
        svc.add_event(
            session,
            request,
            "callback.reached",
            now,
            {"attempt": attempt.id, "volunteer_id": attempt.volunteer_id, "seconds": dial_seconds},
        )
        return DialOutcome("reached", request.callback_attempts)
    if status == "canceled":
        # The volunteer hung up before the patient's phone was answered: not the patient's miss.
        svc.add_event(session, request, "callback.dial_cancelled", now, {"attempt": attempt.id})
        return DialOutcome("passed", request.callback_attempts)
    request.callback_attempts += 1
    policy = callback_settings(request.territory.settings)
    decision = after_missed_patient(request.callback_attempts, policy.max_attempts)
    voicemail = answered_by_machine(answered_by)
    payload = {"attempt": attempt.id, "dial_status": status, "failed_calls": request.callback_attempts}
    if voicemail:
        payload["answered_by"] = (answered_by or "").lower()
    svc.add_event(session, request, "callback.not_reached", now, payload)
    if decision == "unreachable":
        notices = close_unreachable(session, request, now, live)
        return DialOutcome("unreachable", request.callback_attempts, notices, voicemail)
    request.next_callback_at = now + policy.spacing
    return DialOutcome("retry", request.callback_attempts, voicemail=voicemail)


# ---------------------------------------------------------------- the patient's leg of a call-back


@dataclass(frozen=True)
class PatientLeg:
    """What the patient leg's own callbacks told of a call-back's <Dial>: answered, by whom, how it ended."""

    answered_at: datetime | None = None
    answered_by: str | None = None
    status: str | None = None
    seconds: int | None = None


def note_patient_leg(
    session: Session,
    attempt: Attempt,
    call_status: str | None,
    answered_by: str | None,
    seconds: int | None,
    now: datetime,
) -> None:
    """Keep what the patient's leg reported (its <Number url> fetch or status callbacks) on the timeline."""
    status = (call_status or "").lower()
    payload: dict[str, Any] = {"attempt": attempt.id}
    if answered_by:
        payload["answered_by"] = answered_by.lower()
    if status in OFFER_RESULT_FOR_STATUS:
        svc.add_event(session, attempt.request, "callback.patient_leg_ended", now, {**payload, "status": status,
                      "seconds": seconds})  # fmt: skip
    elif status == "in-progress":
        svc.add_event(session, attempt.request, "callback.patient_answered", now, payload)


def patient_leg(session: Session, attempt: Attempt) -> PatientLeg:
    """Read back what the patient leg's callbacks reported for this attempt (its first answer, any verdict)."""
    kinds = ("callback.patient_answered", "callback.patient_leg_ended")
    rows = session.scalars(
        select(Event).where(Event.request_id == attempt.request_id, Event.kind.in_(kinds)).order_by(Event.id)
    )
    answered_at: datetime | None = None
    answered_by: str | None = None
    status: str | None = None
    seconds: int | None = None
    for event in rows:
        payload = event.payload or {}
        if payload.get("attempt") != attempt.id:
            continue
        # A machine verdict from any of the leg's callbacks wins over a later "unknown" or none.
        if payload.get("answered_by") and not answered_by_machine(answered_by):
            answered_by = payload["answered_by"]
        if event.kind == "callback.patient_answered":
            answered_at = answered_at or event.at
        else:
            status = payload.get("status")
            seconds = payload.get("seconds")
    return PatientLeg(answered_at, answered_by, status, seconds)


def volunteer_hung_up(session: Session, attempt: Attempt, now: datetime, live: bool) -> DialOutcome | None:
    """The volunteer's call ended while the patient was dialled and no <Dial> action came: judge it from
    the patient leg's own reports. A volunteer hanging up before the patient answered is not the patient's
    miss (passed on). None when the attempt was already settled."""
    if attempt.result != "accepted" or attempt.ended_at is not None:
        return None
    leg = patient_leg(session, attempt)
    if leg.answered_at is None and leg.status != "completed":
        return patient_dialled(session, attempt, "canceled", 0, now, live)
    seconds = leg.seconds
    if seconds is None and leg.answered_at is not None:
        seconds = int((now - leg.answered_at).total_seconds())
    return patient_dialled(session, attempt, "completed", seconds, now, live, leg.answered_by)


def close_unreachable(session: Session, request: Request, now: datetime, live: bool) -> tuple[OutboxMessage, ...]:
    """Close a request as unreachable and tell the coordinator by SMS (no number, no message in it)."""
    svc.close_with_outcome(session, request, "unreachable", now, actor="line")
    request.next_callback_at = None
    territory = request.territory
    if not territory.coordinator_phone:
        return ()
    body = prompts.text(
        "sms_callback_unreachable",
        (territory.settings or {}).get("prompts") or {},
        territory=territory.name,
        reference=request.reference,
        motive=prompts.motive_label(request.motive),
        postcode=request.postcode or "code postal inconnu",
        attempts=request.callback_attempts,
    )
    message = messaging.queue_sms(
        session,
        to=territory.coordinator_phone,
        from_=sms_from(territory),
        body=body,
        purpose="callback_unreachable",
        now=now,
        territory_id=territory.id,
        request_id=request.id,
        live=live,
    )
    return (message,)


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


# ---------------------------------------------------------------- the clock jobs


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


def _settle_stale(session: Session, request: Request, now: datetime, live: bool) -> list[OutboxMessage]:
    """Offers that no webhook settled in time are over; returns SMS to send (an unreachable notice)."""
    notices: list[OutboxMessage] = []
    for attempt in callback_attempts(request):
        if attempt.result is None and attempt.offered_at <= now - STALE_OFFER:
            pass_on(session, attempt, "no_answer", now)
        elif attempt.result == "accepted" and attempt.ended_at is None and attempt.offered_at <= now - STALE_DIAL:
            outcome = patient_dialled(session, attempt, "failed", 0, now, live)
            notices.extend(outcome.notices)
    return notices


def pending_due(session: Session, now: datetime) -> list[Request]:
    """Requests waiting for a call back whose next round is due, oldest request first."""
    return list(
        session.scalars(
            select(Request)
            .where(
                Request.status == "callback_pending",
                Request.caller.is_not(None),
                or_(Request.next_callback_at.is_(None), Request.next_callback_at <= now),
            )
            .order_by(Request.callback_requested_at, Request.id)
        )
    )


def work_callbacks(rt: Runtime, now: datetime) -> int:
    """Job: offer each due request waiting for a call back to a volunteer on duty (opening hours only)."""
    offered = 0
    notices: list[int] = []
    live = rt.sender is not None
    with transaction(rt.sessions) as session:
        for request in pending_due(session, now):
            notices.extend(m.id for m in _flushed(session, _settle_stale(session, request, now, live)))
            due = request.next_callback_at is None or request.next_callback_at <= now
            if not due or not line_open(request.territory, now):
                continue
            if offer_next(session, request, now, rt.config.public_base_url, live) is not None:
                offered += 1
    base_url = rt.config.public_base_url
    messaging.dispatch(rt.sessions, rt.sender, notices, now=now, base_url=base_url)
    dispatch_offers(rt.sessions, rt.sender, now=now, base_url=base_url)
    return offered


def _flushed(session: Session, messages: Sequence[OutboxMessage]) -> Sequence[OutboxMessage]:
    if messages:
        session.flush()
    return messages


class RecordingDeleter(Protocol):
    """The part of the telephony provider that deletes recordings (callflows.telephony.TwilioTelephony)."""

    def delete_recording(self, sid: str) -> None: ...


def purge_recordings(rt: Runtime, now: datetime) -> int:
    """Job: delete patients' messages at Twilio and locally once their request is closed for the retention."""
    return purge_recordings_with(rt.sessions, getattr(rt.sender, "delete_recording", None), now)


def purge_recordings_with(sessions: sessionmaker[Session], delete: Callable[[str], None] | None, now: datetime) -> int:
    """Delete expired recordings with `delete` (None: no provider, local fields only). Returns how many."""
    purged = 0
    with transaction(sessions) as session:
        for territory in session.scalars(select(Territory)):
            retention = callback_settings(territory.settings).retention
            expired = session.scalars(
                select(Request).where(
                    Request.territory_id == territory.id,
                    Request.closed_at.is_not(None),
                    Request.closed_at <= now - retention,
                    or_(Request.recording_sid.is_not(None), Request.recording_url.is_not(None)),
                )
            )
            for request in expired:
                if request.recording_sid and delete is not None:
                    try:
                        delete(request.recording_sid)
                    except Exception as exc:
                        # Already gone at Twilio (404): nothing left to delete. Anything else: try again next run.
                        if getattr(exc, "status", None) != 404:
                            log.warning("recording of request %s not deleted: %s", request.id, type(exc).__name__)
                            continue
                request.recording_sid = None
                request.recording_url = None
                request.updated_at = now
                svc.add_event(
                    session, request, "recording.deleted", now, {"retention_days": retention.days}, actor="retention"
                )
                purged += 1
    return purged
