"""Outgoing SMS and calls: written to the outbox in the caller's transaction, handed to Twilio after it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, or_, select
from sqlalchemy.orm import Session, make_transient_to_detached, sessionmaker

from orientation.core import delivery
from orientation.core.models import OutboxMessage
from orientation.core.runtime import Sender
from orientation.services.requests import timeline_entry

log = logging.getLogger(__name__)
_OUTBOX = cast(Table, OutboxMessage.__table__)
# Built once (insert_sms): every column given, the id returned.
_INSERT = insert(_OUTBOX).returning(_OUTBOX.c.id)


def queue_sms(
    session: Session,
    *,
    to: str,
    from_: str | None,
    body: str,
    purpose: str,
    now: datetime,
    territory_id: int | None,
    request_id: int | None = None,
    live: bool,
) -> OutboxMessage:
    """Record an SMS to send; `live` says whether a provider will send it (else it stays for the simulator)."""
    return _queue(session, "sms", to, from_, purpose, now, territory_id, request_id, live, body=body)


def insert_sms(
    session: Session,
    *,
    to: str,
    from_: str | None,
    body: str,
    purpose: str,
    now: datetime,
    territory_id: int | None,
    request_id: int | None,
    live: bool,
) -> OutboxMessage:
    """Record an SMS to send, as queue_sms, written at once by one Core INSERT (for a webhook that otherwise
    flushes nothing through the ORM): the row comes back as an object of the session with nothing to flush."""
    values: dict[str, Any] = {
        "territory_id": territory_id,
        "request_id": request_id,
        "channel": "sms",
        "purpose": purpose,
        "to_number": to,
        "from_number": from_,
        "body": body,
        "url": None,
        "status": "queued" if live else "stored",
        "provider_sid": None,
        "error": None,
        "created_at": now,
        "error_code": None,
        "attempts": 0,
        "next_attempt_at": None,
        "status_callback": None,
    }
    message_id = session.connection().execute(_INSERT, values).scalar_one()
    message = OutboxMessage(id=message_id, **values)
    make_transient_to_detached(message)
    session.add(message)
    return message


def queue_call(
    session: Session,
    *,
    to: str,
    from_: str | None,
    url: str,
    purpose: str,
    now: datetime,
    territory_id: int | None,
    request_id: int | None = None,
    live: bool,
    status_callback: str | None = None,
) -> OutboxMessage:
    """Record an outgoing call to place (call-backs); Twilio fetches `url` when it is answered.

    The status callback is kept on the row: whichever process places the call, now or on a later try, asks
    Twilio for it.
    """
    message = _queue(session, "call", to, from_, purpose, now, territory_id, request_id, live, url=url)
    message.status_callback = status_callback
    return message


def _queue(
    session: Session,
    channel: str,
    to: str,
    from_: str | None,
    purpose: str,
    now: datetime,
    territory_id: int | None,
    request_id: int | None,
    live: bool,
    body: str | None = None,
    url: str | None = None,
) -> OutboxMessage:
    message = OutboxMessage(
        territory_id=territory_id,
        request_id=request_id,
        channel=channel,
        purpose=purpose,
        to_number=to,
        from_number=from_,
        body=body,
        url=url,
        status="queued" if live else "stored",
        created_at=now,
    )
    session.add(message)
    return message


def sms_status_url(base_url: str | None, message_id: int) -> str | None:
    """The signed webhook Twilio posts an SMS's delivery reports to; the row id says which message it is."""
    if not base_url:
        return None
    return f"{base_url.rstrip('/')}/twilio/sms-status?outbox={message_id}"


def dispatch(
    factory: sessionmaker[Session],
    sender: Sender | None,
    ids: Sequence[int] | None = None,
    *,
    now: datetime,
    base_url: str | None = None,
) -> int:
    """Send queued messages (those named, or all) that are due; returns how many Twilio took.

    A failure is judged by its error (orientation.core.delivery): permanent ones fail the message with Twilio's code,
    transient ones leave it queued with a later next try, and a call create left without an answer becomes
    "uncertain" rather than being placed again: Twilio may be ringing the volunteer already. Its offer is settled
    by the call's status callback if Twilio did place it, else by the clock's stale-offer rule
    (orientation.services.callback_jobs), which asks the next volunteer; nobody is rung twice for one offer.
    """
    if sender is None:
        return 0
    sent = 0
    with factory() as session:
        query = (
            select(OutboxMessage)
            .where(
                OutboxMessage.status == "queued",
                or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
            )
            .order_by(OutboxMessage.id)
        )
        if ids is not None:
            if not ids:
                return 0
            query = query.where(OutboxMessage.id.in_(list(ids)))
        for message in session.scalars(query.with_for_update(skip_locked=True)):
            message.attempts = (message.attempts or 0) + 1
            try:
                if message.channel == "sms":
                    message.provider_sid = sender.send_sms(
                        message.to_number,
                        message.from_number or "",
                        message.body or "",
                        sms_status_url(base_url, message.id),
                    )
                else:
                    message.provider_sid = sender.place_call(
                        message.to_number, message.from_number or "", message.url or "", message.status_callback
                    )
            except Exception as exc:  # say why without the content: no number, no body
                _failed(session, message, exc, now)
                continue
            message.status = "sent"
            message.next_attempt_at = None
            sent += 1
        session.commit()
    return sent


def _failed(session: Session, message: OutboxMessage, exc: Exception, now: datetime) -> None:
    """Judge one failed send and record it on the row, and on the request's timeline when it is final."""
    code = getattr(exc, "code", None)
    message.error = (type(exc).__name__ + ": " + str(exc))[:300]
    message.error_code = code if isinstance(code, int) else None
    maybe_created = bool(getattr(exc, "maybe_created", False))
    verdict = delivery.judge(getattr(exc, "status", None), message.error_code, maybe_created, message.channel)
    log.warning("outbox message %s not sent (%s): %s", message.id, verdict, type(exc).__name__)
    if verdict == "transient":
        message.next_attempt_at = delivery.next_attempt_at(message.attempts, now)
        if message.next_attempt_at is not None:
            return
        verdict = "permanent"  # out of tries
    message.status = "uncertain" if verdict == "uncertain" else "failed"
    message.next_attempt_at = None
    record_fate(session, message, now)


def record_fate(session: Session, message: OutboxMessage, now: datetime) -> None:
    """Put what became of a request's message (failed, delivered…) on the request's timeline."""
    if message.request_id is None:
        return
    payload = {
        "outbox": message.id,
        "channel": message.channel,
        "purpose": message.purpose,
        "error_code": message.error_code,
    }
    timeline_entry(session, message.request_id, f"outbox.{message.status}", now, payload)
