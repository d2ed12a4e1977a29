"""Personal data of callers: retention (pseudonymise what has aged, delete the recordings at Twilio).

What a request holds about the caller: the number, the coordinator's note, where the voice message is (at
Twilio), the words the caller said to the menu, the TwiML answers (which may name numbers to dial) and the SMS
sent about it. Pseudonymising clears all of that and keeps what the figures read (motive, status, outcome,
times, postcode), so the statistics are the same before and after.

The voice message itself lives at Twilio: it is deleted there first (Twilio's Recording resource, DELETE), and
only then is its sid forgotten; a deletion Twilio refuses leaves the sid on the request, and the next retention
run tries again. A 404 means it is gone already. Without a Twilio account (demo) nothing was ever stored there.

The number is replaced by a keyed pseudonym (HMAC-SHA256 with SECRET_KEY) in `caller_pseudonym`: the same
caller gets the same pseudonym, so returning callers can still be counted, and a person asking for their data
can still be found by their number. Erasure on request goes further and clears the pseudonym too: a person's
export and erasure by number are in `orientation.services.person_data`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from orientation.core.db import transaction
from orientation.core.models import OutboxMessage, Request, Territory
from orientation.services import audit
from orientation.services import requests as svc

if TYPE_CHECKING:
    from orientation.core.runtime import Runtime

log = logging.getLogger(__name__)

DEFAULT_RETENTION_MONTHS = 12
BATCH = 500
RETENTION_ACTOR = "retention"
# Keys of a timeline entry's payload that hold what the caller said (the menu's speech recognition).
SPOKEN_KEYS = ("SpeechResult",)
# Deletes one recording at the provider by its sid; raises an exception with `.status` (404: not there).
RecordingDeleter = Callable[[str], None]
# Consecutive refusals after which a run stops asking Twilio (the next run starts again).
GIVE_UP_AFTER = 3
# What the `recording.deleted` event says happened at Twilio.
AT_TWILIO_DELETED = "deleted"
AT_TWILIO_GONE = "already_gone"
AT_TWILIO_NO_ACCOUNT = "no_account"
# An outbox row's number cannot be NULL: an empty one says "cleared" (phones.mask shows it as unknown).
CLEARED_NUMBER = ""


def pseudonym(secret_key: str, e164: str) -> str:
    """The stable keyed pseudonym of a number: the same number and key always give the same 64 hex digits."""
    return hmac.new(secret_key.encode(), b"caller:" + e164.encode(), hashlib.sha256).hexdigest()


def retention_months(territory: Territory) -> int:
    """The territory's retention period in months (settings["retention_months"], default 12)."""
    value = (territory.settings or {}).get("retention_months", DEFAULT_RETENTION_MONTHS)
    # A setting typed by hand ("12", 0, -3, true) must not purge everything at once nor keep forever by mistake.
    if isinstance(value, bool) or not isinstance(value, int | str):
        return DEFAULT_RETENTION_MONTHS
    try:
        months = int(value)
    except ValueError:
        return DEFAULT_RETENTION_MONTHS
    return months if months >= 1 else DEFAULT_RETENTION_MONTHS


def retention_cutoff(territory: Territory, now: datetime) -> datetime:
    """Requests closed (or untouched) before this instant are due for pseudonymisation."""
    return now - relativedelta(months=retention_months(territory))


def scrub_request(session: Session, request: Request, now: datetime, replacement: str | None) -> None:
    """Clear what a request holds about its caller; `replacement` goes to caller_pseudonym (None on erasure)."""
    number = request.caller
    request.caller = None
    request.caller_pseudonym = replacement
    request.outcome_note = None
    # The sid stays until Twilio has deleted the message (delete_recordings); the link to play it goes now.
    request.recording_url = None
    request.pseudonymised_at = now
    for event in request.events:
        payload = event.payload or {}
        if any(key in payload for key in SPOKEN_KEYS):
            # JSON columns are not change-tracked in place: assign a new dict.
            event.payload = {k: v for k, v in payload.items() if k not in SPOKEN_KEYS}
        # The TwiML answered to Twilio can name the number dialled; it only served retries, long over.
        event.response = None
    for message in session.scalars(select(OutboxMessage).where(OutboxMessage.request_id == request.id)):
        clear_message(message, number)


def clear_message(message: OutboxMessage, number: str | None) -> None:
    """Clear a message's text, and its number when it is the caller's; a queued one will never be sent."""
    message.body = None
    if number is not None and message.to_number == number:
        message.to_number = CLEARED_NUMBER
    if message.status == "queued":
        # Never sent, and now without a text: it must not be picked up by the outbox dispatcher.
        message.status = "expired"


def delete_recordings(
    session: Session,
    requests: Iterable[Request],
    delete: RecordingDeleter | None,
    now: datetime,
    actor: str,
    reason: str,
) -> tuple[int, int]:
    """Delete the requests' voice messages at Twilio, then forget their sids; returns (deleted, left).

    `delete` is None without a Twilio account (demo): there is nothing at Twilio, and the event says so. A
    failure other than 404 keeps the sid, so the next retention run tries again; it is logged without data.
    """
    deleted = left = failures = 0
    for request in requests:
        sid = request.recording_sid
        if not sid:
            continue
        if delete is None:
            at_twilio = AT_TWILIO_NO_ACCOUNT
        elif failures >= GIVE_UP_AFTER:
            # Twilio is down or refusing: waiting 15 s per recording would hold the batch's transaction for
            # hours. The rest keep their sids for the next run.
            left += 1
            continue
        else:
            try:
                delete(sid)
                at_twilio = AT_TWILIO_DELETED
                failures = 0
            except Exception as exc:
                status = getattr(exc, "status", None)
                if status != 404:
                    log.warning("recording of request %s not deleted at Twilio (HTTP %s)", request.id, status)
                    left += 1
                    failures += 1
                    continue
                at_twilio = AT_TWILIO_GONE
        request.recording_sid = None
        request.recording_url = None
        payload: dict[str, Any] = {"reason": reason, "at_twilio": at_twilio}
        if at_twilio == AT_TWILIO_NO_ACCOUNT:
            payload["detail"] = "no Twilio account (demo): nothing was stored at Twilio"
        svc.add_event(session, request, "recording.deleted", now, payload, actor=actor)
        deleted += 1
    return deleted, left


def _due(territory: Territory, now: datetime) -> tuple[ColumnElement[bool], ...]:
    """The conditions on a territory's requests that retention has reached."""
    return (
        Request.territory_id == territory.id,
        Request.pseudonymised_at.is_(None),
        # Closed requests by their closing time; one never closed (abandoned, a call-back left pending) by
        # its last change: untouched for the whole period, it is over too.
        func.coalesce(Request.closed_at, Request.updated_at) < retention_cutoff(territory, now),
    )


def pseudonymise_due(
    session: Session, secret_key: str, now: datetime, delete: RecordingDeleter | None, batch: int = BATCH
) -> int:
    """Pseudonymise up to `batch` requests past their territory's retention period; returns how many.

    Their voice messages are deleted at Twilio first (`delete`, None without an account).
    """
    done = 0
    for territory in session.scalars(select(Territory).order_by(Territory.id)):
        if done >= batch:
            break
        due = session.scalars(
            select(Request)
            .where(*_due(territory, now))
            .order_by(Request.id)
            .limit(batch - done)
            .options(selectinload(Request.events))
        ).all()
        delete_recordings(session, due, delete, now, RETENTION_ACTOR, "retention")
        for request in due:
            scrub_request(session, request, now, pseudonym(secret_key, request.caller) if request.caller else None)
            audit.record(
                session,
                RETENTION_ACTOR,
                "pseudonymise",
                request,
                now,
                {"retention_months": retention_months(territory)},
            )
        done += len(due)
    session.flush()
    return done


def pseudonymise_expired(rt: Runtime, now: datetime) -> int:
    """Clock job: pseudonymise every request past retention, a batch per transaction; returns how many."""
    return pseudonymise_all(rt.sessions, rt.config.secret_key, now, getattr(rt.sender, "delete_recording", None))


def pseudonymise_all(
    sessions: sessionmaker[Session], secret_key: str, now: datetime, delete: RecordingDeleter | None
) -> int:
    """Pseudonymise every request past retention, committing a batch at a time (a long backlog holds no lock).

    Recordings Twilio refused to delete on an earlier run (erasure or retention) are tried again first.
    """
    retried, left = retry_recordings(sessions, now, delete)
    total = 0
    while True:
        with transaction(sessions) as session:
            count = pseudonymise_due(session, secret_key, now, delete)
        total += count
        if count < BATCH:
            break
    if total or retried or left:
        log.info("retention: %d requests pseudonymised, %d recordings deleted late, %d left", total, retried, left)
    return total


def retry_recordings(
    sessions: sessionmaker[Session], now: datetime, delete: RecordingDeleter | None
) -> tuple[int, int]:
    """Delete at Twilio the recordings of requests already pseudonymised or erased; returns (deleted, left)."""
    deleted = left = 0
    last_id = 0
    while True:
        with transaction(sessions) as session:
            pending = session.scalars(
                select(Request)
                .where(
                    Request.pseudonymised_at.is_not(None),
                    Request.recording_sid.is_not(None),
                    Request.id > last_id,
                )
                .order_by(Request.id)
                .limit(BATCH)
            ).all()
            if not pending:
                return deleted, left
            done, failed = delete_recordings(session, pending, delete, now, RETENTION_ACTOR, "retry")
            deleted, left, last_id = deleted + done, left + failed, pending[-1].id


def due_count(session: Session, territory: Territory, now: datetime) -> int:
    """How many of a territory's requests the next retention run would pseudonymise."""
    return session.scalar(select(func.count(Request.id)).where(*_due(territory, now))) or 0


def set_retention_months(territory: Territory, months: int) -> None:
    """Change a territory's retention period (at least one month)."""
    if months < 1:
        raise ValueError("retention is at least one month")
    # JSON columns are not change-tracked in place: assign a new dict.
    territory.settings = {**(territory.settings or {}), "retention_months": months}
