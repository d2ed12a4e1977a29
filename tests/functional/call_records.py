"""What a test reads back after driving a call: the request (as committed) and its timeline."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.core.models import Event, Request


def the_request(session: Session) -> Request:
    """The one request in the database, read again (the app committed it in its own session)."""
    session.expire_all()
    return session.scalars(select(Request)).one()


def timeline(session: Session, request_id: int) -> list[tuple[str, dict[str, Any]]]:
    """The request's timeline as (kind, payload), the callbacks' own rows left out."""
    rows = session.execute(
        select(Event.kind, Event.payload)
        .where(Event.request_id == request_id, Event.idempotency_key.is_(None))
        .order_by(Event.id)
    )
    return [(kind, payload) for kind, payload in rows]
