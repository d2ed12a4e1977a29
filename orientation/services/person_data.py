"""A person's data, by number (GDPR requests): every request of a caller, its export, and its erasure.

Erasure clears what retention clears (see `orientation.services.privacy`) and the pseudonym too, now, with the
voice messages at Twilio and the lines of the local journal that named the number; it keeps the figures.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from orientation.core import journal, lifecycle
from orientation.core.models import AuditEntry, OutboxMessage, Request
from orientation.core.phones import mask
from orientation.services import audit
from orientation.services.privacy import RecordingDeleter, clear_message, delete_recordings, pseudonym, scrub_request
from volunteers.models import Volunteer

log = logging.getLogger(__name__)


def requests_of(session: Session, secret_key: str, e164: str) -> Sequence[Request]:
    """Every request of a caller: by number, or by pseudonym once retention has replaced the number."""
    return session.scalars(
        select(Request)
        .where(or_(Request.caller == e164, Request.caller_pseudonym == pseudonym(secret_key, e164)))
        .order_by(Request.id)
        .options(selectinload(Request.events), selectinload(Request.attempts), selectinload(Request.territory))
    ).all()


def _messages_of(session: Session, e164: str, request_ids: Iterable[int]) -> Sequence[OutboxMessage]:
    ids = list(request_ids)
    condition = OutboxMessage.to_number == e164
    if ids:
        condition = or_(condition, OutboxMessage.request_id.in_(ids))
    return session.scalars(select(OutboxMessage).where(condition).order_by(OutboxMessage.id)).all()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _request_export(request: Request, e164: str) -> dict[str, Any]:
    return {
        "reference": request.reference,
        "territory": {"id": request.territory_id, "name": request.territory.name},
        "caller": request.caller if request.caller else None,
        "pseudonymised_at": _iso(request.pseudonymised_at),
        "call_sid": request.call_sid,
        "status": request.status,
        "motive": request.motive,
        "postcode": request.postcode,
        "in_territory": request.in_territory,
        "language": request.language,
        "outcome": request.outcome,
        "outcome_note": request.outcome_note,
        "had_message": request.had_message,
        "recording_url": request.recording_url,
        "recording_seconds": request.recording_seconds,
        "created_at": _iso(request.created_at),
        "connected_at": _iso(request.connected_at),
        "callback_requested_at": _iso(request.callback_requested_at),
        "callback_done_at": _iso(request.callback_done_at),
        "closed_at": _iso(request.closed_at),
        "timeline": [
            {"kind": e.kind, "at": _iso(e.at), "actor": e.actor, "data": e.payload or {}} for e in request.events
        ],
        "attempts": [
            {"volunteer_id": a.volunteer_id, "kind": a.kind, "result": a.result, "at": _iso(a.offered_at)}
            for a in request.attempts
        ],
    }


def _message_export(message: OutboxMessage, e164: str, references: dict[int, str]) -> dict[str, Any]:
    return {
        "channel": message.channel,
        "purpose": message.purpose,
        # Messages about the person's request sent to someone else (a volunteer's alert): that number is theirs.
        "to": message.to_number if message.to_number == e164 else mask(message.to_number),
        "body": message.body,
        "status": message.status,
        "reference": references.get(message.request_id) if message.request_id is not None else None,
        "created_at": _iso(message.created_at),
    }


def _volunteer_export(volunteer: Volunteer) -> dict[str, Any]:
    return {
        "id": volunteer.id,
        "territory_id": volunteer.territory_id,
        "name": volunteer.name,
        "phone": volunteer.phone,
        "profession": volunteer.profession,
        "motives": list(volunteer.motives or []),
        "languages": list(volunteer.languages or []),
        "active": volunteer.active,
        "paused": volunteer.paused,
        "created_at": _iso(volunteer.created_at),
        "shifts": [{"starts_at": _iso(s.starts_at), "ends_at": _iso(s.ends_at)} for s in volunteer.shifts],
    }


def export_person(session: Session, secret_key: str, e164: str, now: datetime, actor: str) -> dict[str, Any]:
    """Everything held about a phone number (requests and timelines, messages, volunteer record); audited."""
    found = requests_of(session, secret_key, e164)
    references = {r.id: r.reference for r in found}
    messages = _messages_of(session, e164, references)
    volunteers = session.scalars(select(Volunteer).where(Volunteer.phone == e164).order_by(Volunteer.id)).all()
    accesses = session.scalars(
        select(AuditEntry).where(AuditEntry.request_id.in_(list(references))).order_by(AuditEntry.id)
    ).all()
    document = {
        "phone": e164,
        "generated_at": now.isoformat(),
        "requests": [_request_export(r, e164) for r in found],
        "messages": [_message_export(m, e164, references) for m in messages],
        "volunteers": [_volunteer_export(v) for v in volunteers],
        "accesses": [audit.as_dict(a) for a in accesses],
    }
    _audit_person(session, actor, "export", found, now, {"number": mask(e164), "requests": len(found)})
    return document


@dataclass(frozen=True)
class Erasure:
    """What an erasure changed."""

    requests: int
    messages: int
    still_open: int
    volunteer_ids: tuple[int, ...]
    recordings: int = 0  # voice messages held at Twilio
    recordings_left: int = 0  # of those, how many Twilio refused to delete now (retried by the retention job)
    journal_lines: int = 0  # lines of the local journal that named the number


def erasure_preview(session: Session, secret_key: str, e164: str) -> Erasure:
    """What `erase_person` would change, without changing anything (for the confirmation prompt)."""
    found = requests_of(session, secret_key, e164)
    messages = _messages_of(session, e164, [r.id for r in found])
    volunteers = session.scalars(select(Volunteer.id).where(Volunteer.phone == e164)).all()
    open_ = sum(1 for r in found if r.status not in lifecycle.FINAL)
    recordings = sum(1 for r in found if r.recording_sid)
    return Erasure(len(found), len(messages), open_, tuple(volunteers), recordings)


def erase_person(
    session: Session,
    secret_key: str,
    e164: str,
    now: datetime,
    actor: str,
    delete: RecordingDeleter | None,
    journal_dir: str | None = None,
) -> Erasure:
    """Clear a caller's data now (recordings at Twilio, number, pseudonym, notes, messages, journal lines),
    keeping the figures; audited.

    A volunteer record with that number is left alone (it is reported): it is how the line reaches them, and
    removing a volunteer is the coordinator's decision, in the console or the API.
    """
    preview = erasure_preview(session, secret_key, e164)
    found = requests_of(session, secret_key, e164)
    deleted, left = delete_recordings(session, found, delete, now, actor, "erasure")
    # Messages left while the database was down, which only the local journal knows of yet.
    held = {r.recording_sid for r in found}
    journaled = [sid for sid in journal.recordings_of(journal_dir, e164) if sid not in held] if journal_dir else []
    gone = _delete_journaled(journaled, delete)
    lines = journal.scrub(journal_dir, e164, forget=gone) if journal_dir else 0
    deleted, left = deleted + len(gone), left + len(journaled) - len(gone)
    for request in found:
        scrub_request(session, request, now, None)
    # Messages to the number that no request holds any more (or never held).
    for message in session.scalars(select(OutboxMessage).where(OutboxMessage.to_number == e164)):
        clear_message(message, e164)
    details: dict[str, Any] = {"number": mask(e164), "requests": len(found), "recordings_deleted": deleted}
    if left:
        details["recordings_left"] = left
    if lines:
        details["journal_lines"] = lines
    _audit_person(session, actor, "erase", found, now, details)
    session.flush()
    return Erasure(
        preview.requests,
        preview.messages,
        preview.still_open,
        preview.volunteer_ids,
        recordings=deleted + left,
        recordings_left=left,
        journal_lines=lines,
    )


def _delete_journaled(sids: Sequence[str], delete: RecordingDeleter | None) -> list[str]:
    """Delete at Twilio recordings only the journal knows of; returns the sids that are gone (404 included)."""
    if delete is None:
        return list(sids)  # no Twilio account: nothing is stored there
    gone: list[str] = []
    for sid in sids:
        try:
            delete(sid)
        except Exception as exc:
            if getattr(exc, "status", None) != 404:
                # The journal line keeps the sid: its replay brings it to a request that retention deletes.
                log.warning("a journaled recording was not deleted at Twilio (HTTP %s)", getattr(exc, "status", None))
                continue
        gone.append(sid)
    return gone


def _audit_person(
    session: Session, actor: str, action: str, found: Sequence[Request], now: datetime, details: dict[str, Any]
) -> None:
    if not found:
        audit.record(session, actor, action, None, now, details)
    for request in found:
        audit.record(session, actor, action, request, now, details)
