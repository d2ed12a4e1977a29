"""Directory services: add and edit entries by hand, search, and renew the territory's stamp.

Every write renews the territory's `DirectoryVersion` stamp, which the per-process search indexes compare.
The national files' imports are in `directory.importing`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.categories import CATEGORIES
from directory.models import DirectoryEntry, DirectoryVersion, renew_stamp
from directory.normalize import fold
from directory.search import IndexedEntry, Query, SearchIndex
from orientation.core.models import Territory

CPTS_FIELDS = ("accepting_new_patients", "accepting_since", "cpts_member", "languages", "notes")


def bump_version(session: Session, territory_id: int) -> None:
    """Renew the territory's directory stamp (in the caller's transaction): search indexes rebuild."""
    renew_stamp(session.connection(), territory_id)


# --- entries -----------------------------------------------------------------------------------------------


def create_entry(
    session: Session, territory: Territory, data: dict[str, Any], today: date, now: datetime
) -> DirectoryEntry:
    """Add an entry by hand (an association, a social service); the caller commits."""
    accepting = data.get("accepting_new_patients")
    entry = DirectoryEntry(
        territory_id=territory.id,
        source="manual",
        external_id=None,
        kind=data.get("kind") or "structure",
        name=data["name"],
        search_key=fold(data["name"]),
        profession=data.get("profession"),
        general_practice=bool(data.get("general_practice")),
        category=data.get("category") or "other",
        category_code=None,
        category_label=data.get("category_label"),
        address=data.get("address"),
        postcode=data.get("postcode"),
        commune=data.get("commune"),
        insee_code=data.get("insee_code"),
        phone=data.get("phone"),
        email=data.get("email"),
        latitude=data.get("latitude"),
        longitude=data.get("longitude"),
        accepting_new_patients=accepting,
        accepting_since=data.get("accepting_since") or (today if accepting is not None else None),
        cpts_member=bool(data.get("cpts_member")),
        languages=list(data.get("languages") or []),
        notes=data.get("notes"),
        gone=False,
        created_at=now,
        updated_at=now,
    )
    session.add(entry)
    session.flush()  # the flush renews the territory's stamp (directory.models)
    return entry


def entry_in_territory(session: Session, entry_id: int, territory_id: int) -> bool:
    """True when the entry exists and belongs to the territory's directory."""
    entry = session.get(DirectoryEntry, entry_id)
    return entry is not None and entry.territory_id == territory_id


# Fields an API client may change on an imported entry (the rest comes back with the next import).
EDITABLE_ON_IMPORTED = frozenset(CPTS_FIELDS)
EDITABLE_ON_MANUAL = EDITABLE_ON_IMPORTED | {
    "kind",
    "name",
    "profession",
    "general_practice",
    "category",
    "category_label",
    "address",
    "postcode",
    "commune",
    "insee_code",
    "phone",
    "email",
    "latitude",
    "longitude",
    "gone",
}


def update_entry(
    session: Session, entry: DirectoryEntry, changes: dict[str, Any], today: date, now: datetime
) -> DirectoryEntry:
    """Apply changes; saying whether the entry accepts new patients dates it today unless a date is given."""
    allowed = EDITABLE_ON_MANUAL if entry.source == "manual" else EDITABLE_ON_IMPORTED
    refused = sorted(set(changes) - allowed)
    if refused:
        raise ValueError(f"not editable on a {entry.source} entry: {', '.join(refused)}")
    if "accepting_new_patients" in changes and "accepting_since" not in changes:
        changes = {**changes, "accepting_since": today if changes["accepting_new_patients"] is not None else None}
    for key, value in changes.items():
        setattr(entry, key, value)
    if "name" in changes:
        entry.search_key = fold(entry.name)
    entry.updated_at = now  # the next flush renews the territory's stamp (directory.models)
    return entry


# --- search ------------------------------------------------------------------------------------------------


@dataclass
class _CachedIndex:
    stamp: str
    index: SearchIndex


_INDEXES: dict[tuple[str, int], _CachedIndex] = {}
_INDEXES_LOCK = threading.Lock()
_MAX_CACHED = 16


def search_index(session: Session, territory_id: int) -> SearchIndex:
    """The territory's search index, rebuilt when its stamp changed since this process built it."""
    stamp = session.scalar(select(DirectoryVersion.stamp).where(DirectoryVersion.territory_id == territory_id))
    key = (session.get_bind().engine.url.render_as_string(hide_password=True), territory_id)
    cached = _INDEXES.get(key)
    if stamp is not None and cached is not None and cached.stamp == stamp:
        return cached.index
    index = SearchIndex(_indexed_entries(session, territory_id))
    if stamp is not None:
        with _INDEXES_LOCK:
            if len(_INDEXES) >= _MAX_CACHED and key not in _INDEXES:
                _INDEXES.pop(next(iter(_INDEXES)))
            _INDEXES[key] = _CachedIndex(stamp, index)
    return index


def _indexed_entries(session: Session, territory_id: int) -> Iterator[IndexedEntry]:
    e = DirectoryEntry
    # Core rows, not ORM entities: the index needs plain values, and loading 100,000 entities costs seconds.
    rows = session.connection().execute(
        select(
            e.id,
            e.search_key,
            e.profession,
            e.general_practice,
            e.postcode,
            e.commune,
            e.accepting_new_patients,
            e.category,
            e.gone,
            e.category_label,
        ).where(e.territory_id == territory_id)
    )
    make = IndexedEntry._make
    for row in rows:
        yield make(row)


def search_entries(session: Session, territory_id: int, query: Query) -> tuple[list[DirectoryEntry], int]:
    """One page of the territory's entries matching the query, best first, and the number matching."""
    result = search_index(session, territory_id).search(query)
    if not result.ids:
        return [], result.total
    found = {e.id: e for e in session.scalars(select(DirectoryEntry).where(DirectoryEntry.id.in_(result.ids)))}
    return [found[i] for i in result.ids if i in found], result.total


def valid_category(category: str) -> bool:
    """True when the category is one of the directory's."""
    return category in CATEGORIES
