"""Outcome services: what a request's outcome may point to."""

from __future__ import annotations

from sqlalchemy.orm import Session

from directory.models import DirectoryEntry


def directory_entry_exists(session: Session, entry_id: int, territory_id: int) -> bool:
    """True when the entry is in the request's territory directory."""
    entry = session.get(DirectoryEntry, entry_id)
    return entry is not None and entry.territory_id == territory_id
