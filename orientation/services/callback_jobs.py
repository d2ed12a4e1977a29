"""The clock jobs of call-backs: offer each due request to a volunteer on duty, settle stale offers, and delete
the patients' recorded messages once their request has been closed for the territory's retention period."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from orientation.core.db import transaction
from orientation.core.models import OutboxMessage, Request, Territory
from orientation.core.runtime import Runtime
from orientation.services import messaging
from orientation.services import requests as svc
from orientation.services.callback_dial import patient_dialled
from orientation.services.callback_policy import callback_settings
from orientation.services.callbacks import callback_attempts, dispatch_offers, offer_next, pass_on
from orientation.services.territories import line_open

log = logging.getLogger(__name__)

# An offer that no webhook has settled for this long is over (a lost status callback, a call never placed).
STALE_OFFER = timedelta(minutes=10)
# A call-back accepted by a volunteer whose <Dial> result never came back is over after this long.
STALE_DIAL = timedelta(hours=2)


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
