"""The territory directory: professionals and structures, imported or added by hand."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from itertools import chain
from typing import Any

from sqlalchemy import JSON, Boolean, Connection, Date, Float, ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from orientation.core.db import Base, UTCDateTime


class DirectoryEntry(Base):
    """A professional or a structure of the territory, with the fields the CPTS maintains."""

    __tablename__ = "directory_entries"
    __table_args__ = (
        UniqueConstraint("territory_id", "source", "external_id"),
        Index("ix_directory_entries_territory_postcode", "territory_id", "postcode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territories.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(16))  # rpps, finess, manual
    external_id: Mapped[str | None] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))  # professional, structure
    name: Mapped[str] = mapped_column(String(300))
    search_key: Mapped[str] = mapped_column(String(600), default="")
    profession: Mapped[str | None] = mapped_column(String(64), index=True)
    general_practice: Mapped[bool] = mapped_column(Boolean, default=False)
    category: Mapped[str] = mapped_column(String(40), default="other")
    category_code: Mapped[str | None] = mapped_column(String(16))
    category_label: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(400))
    postcode: Mapped[str | None] = mapped_column(String(5))
    commune: Mapped[str | None] = mapped_column(String(120))
    insee_code: Mapped[str | None] = mapped_column(String(5))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(200))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    # Fields the CPTS maintains: an import never overwrites them.
    accepting_new_patients: Mapped[bool | None] = mapped_column(Boolean)
    accepting_since: Mapped[date | None] = mapped_column(Date)
    cpts_member: Mapped[bool] = mapped_column(Boolean, default=False)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    # Import bookkeeping: the import that last added, changed or brought back the entry; entries a file no
    # longer lists are kept, flagged gone.
    # `import_hash` digests the imported fields, so a re-import compares one column to find what changed;
    # `source_ref` keeps a few source fields verbatim (SIRET, mode d'exercice…) for the coordinator.
    import_hash: Mapped[str | None] = mapped_column(String(32))
    source_ref: Mapped[dict[str, str] | None] = mapped_column(JSON)
    last_seen_import_id: Mapped[int | None] = mapped_column(ForeignKey("directory_imports.id", ondelete="SET NULL"))
    gone: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DirectoryImport(Base):
    """One run of an import: what file, how many added, updated, gone, skipped."""

    __tablename__ = "directory_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territories.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(300))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lines: Mapped[int] = mapped_column(default=0)
    added: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    gone: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    errors: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)


class DirectoryVersion(Base):
    """A random stamp per territory, renewed by every write to its directory.

    Search keeps an in-memory index per territory and process; comparing this one row tells it whether the
    index is still current. A random value rather than a counter, so that a table emptied and refilled (or a
    restored backup) can never bring back a stamp an old index was built under.
    """

    __tablename__ = "directory_versions"

    territory_id: Mapped[int] = mapped_column(ForeignKey("territories.id", ondelete="CASCADE"), primary_key=True)
    stamp: Mapped[str] = mapped_column(String(32))


def renew_stamp(connection: Connection, territory_id: int) -> None:
    """Give the territory's directory a new random stamp, in the connection's current transaction."""
    upsert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = upsert(DirectoryVersion).values(territory_id=territory_id, stamp=uuid.uuid4().hex)
    connection.execute(
        statement.on_conflict_do_update(index_elements=["territory_id"], set_={"stamp": statement.excluded.stamp})
    )


@event.listens_for(Session, "after_flush")
def _renew_stamps_of_flushed_entries(session: Session, _context: Any) -> None:
    """Any entry added, changed or deleted through the ORM, by whatever code, renews its territory's stamp.

    So a search index never outlives a write made outside `directory.services` (a console form, a script);
    bulk statements, which the ORM does not see, renew the stamp themselves.
    """
    territories = {
        obj.territory_id
        for obj in chain(session.new, session.dirty, session.deleted)
        if isinstance(obj, DirectoryEntry) and obj.territory_id is not None
    }
    for territory_id in sorted(territories):
        renew_stamp(session.connection(), territory_id)
