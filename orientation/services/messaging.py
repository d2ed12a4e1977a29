"""Outgoing SMS and calls: written to the outbox in the caller's transaction, handed to Twilio after it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from orientation.models import OutboxMessage

log = logging.getLogger(__name__)


class Sender(Protocol):
    """What the outbox needs of a telephony provider (callflows.telephony.TwilioTelephony fits)."""

    def send_sms(self, to: str, from_: str, body: str, status_callback: str | None = None) -> str: ...

    def place_call(
        self, to: str, from_: str, url: str, status_callback: str | None = None, timeout: int = 20
    ) -> str: ...


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
) -> OutboxMessage:
    """Record an outgoing call to place (call-backs); Twilio fetches `url` when it is answered."""
    return _queue(session, "call", to, from_, purpose, now, territory_id, request_id, live, url=url)


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


def dispatch(
    factory: sessionmaker[Session],
    sender: Sender | None,
    ids: Sequence[int] | None = None,
    status_callback: Callable[[OutboxMessage], str | None] | None = None,
) -> int:
    """Send queued messages (those named, or all); failures stay queued for the next pass. Returns sent count."""
    if sender is None:
        return 0
    sent = 0
    with factory() as session:
        query = select(OutboxMessage).where(OutboxMessage.status == "queued").order_by(OutboxMessage.id)
        if ids is not None:
            if not ids:
                return 0
            query = query.where(OutboxMessage.id.in_(list(ids)))
        for message in session.scalars(query.with_for_update(skip_locked=True)):
            try:
                if message.channel == "sms":
                    message.provider_sid = sender.send_sms(
                        message.to_number, message.from_number or "", message.body or ""
                    )
                else:
                    message.provider_sid = sender.place_call(
                        message.to_number,
                        message.from_number or "",
                        message.url or "",
                        status_callback(message) if status_callback else None,
                    )
                message.status = "sent"
                sent += 1
            except Exception as exc:  # the provider failed: keep it queued, say why without the content
                message.error = type(exc).__name__ + ": " + str(exc)[:200]
                log.warning("outbox message %s not sent: %s", message.id, type(exc).__name__)
        session.commit()
    return sent
