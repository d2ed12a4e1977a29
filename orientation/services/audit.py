"""The audit log: who read or changed which request, through the console, the API or the command line."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.core.models import AuditEntry, Request

# What an entry says was done, in the words the console, the API and the commands use. Other words are kept
# as given: an audit entry must never be the reason a coordinator's page fails.
ACTIONS = ("read", "outcome", "edit", "callback", "export", "erase", "pseudonymise", "settings")


def record(
    session: Session,
    actor: str,
    action: str,
    request: Request | None,
    now: datetime,
    details: dict[str, Any] | None = None,
    *,
    territory_id: int | None = None,
) -> AuditEntry:
    """Add one entry to the audit log (the caller commits); never put a number or a note in `details`."""
    entry = AuditEntry(
        at=now,
        actor=actor[:120],
        action=action[:40],
        territory_id=request.territory_id if request is not None else territory_id,
        request_id=request.id if request is not None else None,
        reference=request.reference if request is not None else None,
        details=details or {},
    )
    session.add(entry)
    return entry


def entries(
    session: Session,
    *,
    territory_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    reference: str | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> Sequence[AuditEntry]:
    """Entries newest first, filtered by territory, period [since, until) and request reference."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if territory_id is not None:
        query = query.where(AuditEntry.territory_id == territory_id)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    if reference:
        query = query.where(AuditEntry.reference == reference)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return session.scalars(query.limit(limit)).all()


def as_dict(entry: AuditEntry) -> dict[str, Any]:
    """An entry as the API and exports show it."""
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "territory_id": entry.territory_id,
        "reference": entry.reference,
        "details": entry.details or {},
    }
