"""Import the national files into a territory's directory: a streamed upsert in batches.

Imports write in batches (`BATCH_SIZE` records a transaction): a national scan takes tens of seconds and a
SQLite database must not stay locked for the app that long. Each batch selects the existing rows of its
external ids at once, compares one digest column to tell unchanged from updated, inserts and updates in
bulk, and marks what it saw with the import's id; at the end, entries of the source the file no longer
lists are flagged gone, never deleted. The fields the CPTS maintains (accepting new patients and since
when, CPTS member, languages, notes) are written by no import statement.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from directory.finess import attach_geolocation, parse_finess
from directory.import_rows import imported_values, record_digest
from directory.models import DirectoryEntry, DirectoryImport
from directory.reading import counted
from directory.records import DirectoryRecord, GeoUpdate, ParseError, Source
from directory.rpps import parse_rpps
from directory.services import bump_version
from orientation.core.models import Territory

BATCH_SIZE = 1000
# The report keeps the first errors; a wrong file could otherwise hold millions of them in memory.
MAX_KEPT_ERRORS = 1000
SOURCES: tuple[str, ...] = ("rpps", "finess")


class UnusableInput(Exception):
    """The import cannot run at all: unknown territory, a territory without postcodes, an unreadable file."""


@dataclass
class ImportReport:
    """What an import did: counts, and the skipped lines with their numbers and reasons."""

    import_id: int
    source: str
    territory_id: int
    filename: str
    lines: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    gone: int = 0
    skipped: int = 0
    errors: list[ParseError] = field(default_factory=list)
    # Set when the file as a whole could not be read (bad header, broken JSON, no line readable): what was
    # read was still upserted, but nothing was flagged gone.
    unusable: str | None = None

    @property
    def seen(self) -> int:
        """Distinct entries the file listed for the territory."""
        return self.added + self.updated + self.unchanged


# --- territories -------------------------------------------------------------------------------------------


def insee_codes(territory: Territory) -> list[str]:
    """The INSEE commune codes the territory covers besides its postcodes (settings["insee_codes"])."""
    codes = (territory.settings or {}).get("insee_codes") or []
    if isinstance(codes, str):
        # Typed by hand as "01004, 01053": one text, not a list of one-character codes.
        codes = re.split(r"[\s,;]+", codes)
    return [str(code).strip().upper() for code in codes if str(code).strip()]


def territory_filter(territory: Territory) -> Callable[[str | None, str | None], bool]:
    """The parsers' `keep`: a row belongs to the territory by its postcode or its INSEE commune code."""
    postcodes = frozenset(code.strip() for code in territory.postcodes or [])
    communes = frozenset(insee_codes(territory))

    def keep(postcode: str | None, insee: str | None) -> bool:
        return (postcode is not None and postcode in postcodes) or (insee is not None and insee in communes)

    return keep


def find_territory(session: Session, reference: str) -> Territory | None:
    """A territory by id ("3") or by exact name ("CPTS Paris 20")."""
    reference = reference.strip()
    if reference.isascii() and reference.isdigit() and len(reference) <= 10:
        found = session.get(Territory, int(reference))
        if found is not None:
            return found
    matches = list(session.scalars(select(Territory).where(Territory.name == reference).limit(2)))
    return matches[0] if len(matches) == 1 else None


# --- imports -----------------------------------------------------------------------------------------------


def import_file(
    sessions: sessionmaker[Session],
    territory_id: int,
    source: Source,
    stream: IO[bytes],
    now: datetime,
    *,
    filename: str,
    on_bytes: Callable[[int], object] | None = None,
    include_closed: bool = False,
    batch_size: int = BATCH_SIZE,
) -> ImportReport:
    """Import an RPPS or FINESS file into a territory's directory; raises UnusableInput before any write."""
    with sessions() as session:
        territory = session.get(Territory, territory_id)
        if territory is None:
            raise UnusableInput(f"no territory {territory_id}")
        if not territory.postcodes and not insee_codes(territory):
            raise UnusableInput(f"territory {territory.name!r} has no postcode nor INSEE code: nothing would match")
        keep = territory_filter(territory)
    buffered, counter = counted(stream, on_bytes)
    items: Iterable[DirectoryRecord | ParseError | GeoUpdate]
    if source == "rpps":
        items = parse_rpps(buffered, keep)
    else:
        # Coordinates of the legacy extract come after every establishment: fold them into the records
        # (only the territory's are held) so each entry is written once, with its final digest.
        items = attach_geolocation(parse_finess(buffered, keep, include_closed=include_closed))
    return import_records(
        sessions,
        territory_id,
        source,
        items,
        now,
        filename=filename,
        lines=lambda: counter.lines,
        batch_size=batch_size,
    )


def import_records(
    sessions: sessionmaker[Session],
    territory_id: int,
    source: Source,
    items: Iterable[DirectoryRecord | ParseError | GeoUpdate],
    now: datetime,
    *,
    filename: str,
    lines: Callable[[], int] | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportReport:
    """Upsert parsed records in batches, flag the source's unseen entries gone, record the import."""
    with sessions() as session:
        run = DirectoryImport(
            territory_id=territory_id, source=source, filename=filename[-300:], started_at=now, errors=[]
        )
        session.add(run)
        session.commit()
        report = ImportReport(import_id=run.id, source=source, territory_id=territory_id, filename=filename)
        seen = SeenIds()
        statistics = _Statistics(session)

        batch: dict[str, DirectoryRecord] = {}
        for item in items:
            if isinstance(item, DirectoryRecord):
                batch[item.external_id] = item
                if len(batch) >= batch_size:
                    _write_batch(session, territory_id, source, run.id, batch, now, report, seen)
                    statistics.refresh_after(report.added)
                    batch = {}
            elif isinstance(item, ParseError):
                report.skipped += 1
                if len(report.errors) < MAX_KEPT_ERRORS:
                    report.errors.append(item)
                if item.fatal:
                    report.unusable = item.reason
        if batch:
            _write_batch(session, territory_id, source, run.id, batch, now, report, seen)

        report.lines = lines() if lines is not None else 0
        if report.unusable is None:
            report.unusable = _unusable(report)
        if report.unusable is None:
            report.gone = _flag_gone(session, territory_id, source, seen, now)
            if report.gone:
                bump_version(session, territory_id)
        run.lines, run.added, run.updated = report.lines, report.added, report.updated
        run.unchanged, run.gone, run.skipped = report.unchanged, report.gone, report.skipped
        run.errors = [{"line": e.line_number, "reason": e.reason} for e in report.errors]
        run.finished_at = now
        session.commit()
    return report


class _Statistics:
    """Keeps PostgreSQL's row estimate of the directory in step while an import fills it.

    Each batch looks its external ids up through the unique index; planned against a table PostgreSQL still
    believes nearly empty (autovacuum analyses it minutes later), that lookup becomes a sequential scan per
    batch, and a first import of a large territory turns quadratic. ANALYZE (a sample, ~0.1 s) each time
    the import has added as many rows again keeps the plans on the index.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._enabled = session.get_bind().dialect.name == "postgresql"
        self._next = 10_000

    def refresh_after(self, added: int) -> None:
        """Analyze the table once `added` has passed the next threshold."""
        if self._enabled and added >= self._next:
            self._session.execute(text("ANALYZE directory_entries"))
            self._session.commit()
            self._next = added * 2


class SeenIds:
    """The entry ids an import met, one bit each: 2.3 million entries fit in 300 kB, unlike a set of ints."""

    def __init__(self) -> None:
        self._bits = bytearray()

    def add(self, entry_id: int) -> None:
        """Remember an id."""
        byte = entry_id >> 3
        if byte >= len(self._bits):
            self._bits.extend(bytes(max(byte + 1 - len(self._bits), len(self._bits))))
        self._bits[byte] |= 1 << (entry_id & 7)

    def __contains__(self, entry_id: int) -> bool:
        byte = entry_id >> 3
        return byte < len(self._bits) and bool(self._bits[byte] & (1 << (entry_id & 7)))


def _unusable(report: ImportReport) -> str | None:
    """Why the whole file is unusable even though the parser went through it, None when it is not."""
    if report.lines == 0:
        return "the file is empty"
    # Every line refused (a header or metadata line aside): not a file of this kind at all.
    if report.seen == 0 and report.skipped > 0 and report.skipped >= report.lines - 1:
        return "no line of the file could be read"
    return None


def _write_batch(
    session: Session,
    territory_id: int,
    source: str,
    import_id: int,
    batch: dict[str, DirectoryRecord],
    now: datetime,
    report: ImportReport,
    seen: SeenIds,
) -> None:
    """Insert the new records and update the changed ones in one transaction; unchanged rows are not written."""
    rows = session.execute(
        select(DirectoryEntry.id, DirectoryEntry.external_id, DirectoryEntry.import_hash, DirectoryEntry.gone).where(
            DirectoryEntry.territory_id == territory_id,
            DirectoryEntry.source == source,
            DirectoryEntry.external_id.in_(list(batch)),
        )
    ).all()
    existing = {row.external_id: row for row in rows}
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for external_id, record in batch.items():
        digest = record_digest(record)
        row = existing.get(external_id)
        if row is None:
            inserts.append(
                {
                    **imported_values(record),
                    "territory_id": territory_id,
                    "source": source,
                    "external_id": external_id,
                    "import_hash": digest,
                    "cpts_member": False,
                    "languages": [],
                    "gone": False,
                    "last_seen_import_id": import_id,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            report.added += 1
            continue
        repeated = row.id in seen  # listed twice in one file: count it once
        seen.add(row.id)
        if row.import_hash != digest or row.gone:
            updates.append(
                {
                    **imported_values(record),
                    "id": row.id,
                    "import_hash": digest,
                    "gone": False,
                    "last_seen_import_id": import_id,
                    "updated_at": now,
                }
            )
            if not repeated:
                report.updated += 1
        elif not repeated:
            report.unchanged += 1
    if inserts:
        for new_id in _insert(session, territory_id, source, inserts):
            seen.add(new_id)
    if updates:
        session.execute(update(DirectoryEntry), updates)
    if inserts or updates:
        bump_version(session, territory_id)
    session.commit()


def _insert(session: Session, territory_id: int, source: str, rows: list[dict[str, Any]]) -> list[int]:
    """Insert new entries in bulk; returns their ids."""
    if session.get_bind().dialect.name != "postgresql":
        # RETURNING makes SQLAlchemy send multi-row INSERTs ("insertmanyvalues") and gives the new ids.
        statement = insert(DirectoryEntry).returning(DirectoryEntry.id).execution_options(render_nulls=True)
        return list(session.scalars(statement, rows))
    # On PostgreSQL, COPY: psycopg re-parses a multi-row INSERT of 27,000 parameters on every batch (too
    # long for its statement cache), which made a large first import ten times slower than the parse.
    from psycopg.types.json import Json

    columns = list(rows[0])
    driver = session.connection().connection.driver_connection
    copy_sql = f"COPY directory_entries ({', '.join(columns)}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(copy_sql) as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row([Json(row[c]) if c in _JSON and row[c] is not None else row[c] for c in columns])
    return list(
        session.scalars(
            select(DirectoryEntry.id).where(
                DirectoryEntry.territory_id == territory_id,
                DirectoryEntry.source == source,
                DirectoryEntry.external_id.in_([row["external_id"] for row in rows]),
            )
        )
    )


_JSON = frozenset({"source_ref", "languages"})


def _flag_gone(session: Session, territory_id: int, source: str, seen: SeenIds, now: datetime) -> int:
    """Flag gone the source's entries this import did not list; returns how many."""
    current = session.scalars(
        select(DirectoryEntry.id)
        .where(
            DirectoryEntry.territory_id == territory_id,
            DirectoryEntry.source == source,
            DirectoryEntry.gone.is_(False),
        )
        .execution_options(yield_per=10_000)
    )
    unseen = array("q", (entry_id for entry_id in current if entry_id not in seen))
    for start in range(0, len(unseen), BATCH_SIZE):
        session.execute(
            update(DirectoryEntry)
            .where(DirectoryEntry.id.in_(list(unseen[start : start + BATCH_SIZE])))
            .values(gone=True, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    return len(unseen)
