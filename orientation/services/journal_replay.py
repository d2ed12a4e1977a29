"""Bring journaled calls (taken while the database was down) into the database, once each."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from orientation.core import journal, lifecycle
from orientation.core.db import is_disconnect
from orientation.core.models import Event
from orientation.services import requests as svc

log = logging.getLogger(__name__)


@dataclass
class ReplayReport:
    """How many journal lines were applied now, had been applied before, or could not be applied."""

    applied: int = 0
    already: int = 0
    failed: int = 0


def apply_entry(session: Session, entry: journal.Entry) -> bool:
    """Apply one journal line; False when it was applied before (its key is already in the timeline)."""
    if session.scalar(select(Event.id).where(Event.idempotency_key == entry.key)) is not None:
        return False
    params = entry.params
    call_sid = params.get("ParentCallSid") or params.get("CallSid")
    request = svc.request_by_call(session, call_sid)
    if request is None and call_sid:
        territory = svc.territory_for_number(session, params.get("To"))
        if territory is not None:
            request, _ = svc.open_request(session, territory, call_sid, params.get("From"), entry.at)
    session.add(
        Event(
            request_id=request.id if request is not None else None,
            kind="journal.replayed",
            idempotency_key=entry.key,
            payload={
                "path": entry.path,
                "reason": entry.reason,
                "CallStatus": params.get("CallStatus"),
                "ErrorCode": params.get("ErrorCode"),
                "journaled_at": entry.at.isoformat(),
            },
            at=entry.at,
        )
    )
    if request is not None:
        duration = params.get("RecordingDuration", "")
        svc.store_recording(
            session,
            request,
            params.get("RecordingSid"),
            params.get("RecordingUrl"),
            int(duration) if duration.isdigit() else None,
            entry.at,
        )
        if request.status in lifecycle.WAITING or request.status == "abandoned":
            # The line failed this caller mid-way (they did not give up): somebody calls them back.
            if request.outcome == "abandoned":
                request.outcome = None
                svc.add_event(session, request, "outcome", entry.at, {"from": "abandoned", "to": None}, "journal")
            svc.to_callback(session, request, entry.at)
    return True


def replay(factory: sessionmaker[Session], directory: str, now: datetime) -> ReplayReport:
    """Apply every journal line not applied yet, each in its own transaction."""
    report = ReplayReport()
    unfinished: set[str] = set()
    files: set[str] = set()
    for entry in journal.read(directory):
        files.add(entry.file)
        for retry in (True, False):
            session = factory()
            try:
                if apply_entry(session, entry):
                    session.commit()
                    report.applied += 1
                else:
                    report.already += 1
            except Exception as exc:
                session.rollback()
                if retry and is_disconnect(exc):
                    # The database came back since this process last used its connection: the pool has been
                    # refreshed, the line is applied on a new one.
                    continue
                report.failed += 1
                unfinished.add(entry.file)
                log.warning("journal line not replayed: %s", type(exc).__name__)
            finally:
                session.close()
            break
    # The journal holds callers' numbers: a past day's file goes once everything in it is in the database.
    for file in files - unfinished:
        journal.discard(file, now)
    return report


def replay_job(rt: object, now: datetime) -> int:
    """Clock job: replay the journal every minute (it is a no-op when everything was applied)."""
    from orientation.core.runtime import Runtime

    assert isinstance(rt, Runtime)
    return replay(rt.sessions, rt.config.journal_dir, now).applied
