"""Dialling the patient back, once a volunteer pressed 1: judge the <Dial>, read the patient leg, close unreachable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.core import prompts
from orientation.core.models import Attempt, Event, OutboxMessage, Request
from orientation.services import messaging
from orientation.services import requests as svc
from orientation.services.callback_policy import (
    OFFER_RESULT_FOR_STATUS,
    after_missed_patient,
    answered_by_machine,
    callback_settings,
    patient_reached,
)
from orientation.services.territories import sms_from
from volunteers.models import Volunteer


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
        prompts.overrides_in(territory.settings),
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
