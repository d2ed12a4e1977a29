"""`orientation directory …`: imports of the national open data.

Exit codes: 0 imported, nothing skipped; 1 imported, but some lines were skipped (listed); 2 unusable input
(unknown territory, unreadable or unrecognisable file), in which case no entry is flagged gone.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path

import click
from sqlalchemy.orm import Session, sessionmaker

from directory.importing import ImportReport, UnusableInput, find_territory, import_file
from directory.records import Source

EXIT_SKIPPED = 1
EXIT_UNUSABLE = 2
# Lines listed at the end of a run; the import's record keeps up to importing.MAX_KEPT_ERRORS.
SHOWN_ERRORS = 50


def _now() -> datetime:
    """The import's instant (tests put their frozen clock here)."""
    from orientation.core.clock import system_clock

    return system_clock()


@click.group("directory")
def directory() -> None:
    """The territory directory."""


_territory_option = click.option(
    "--territory", "territory_ref", required=True, help="The territory's id or exact name."
)
_file_argument = click.argument("file", type=click.Path(dir_okay=False, path_type=Path))


@directory.command("import-rpps")
@_file_argument
@_territory_option
def import_rpps(file: Path, territory_ref: str) -> None:
    """Import professionals from an RPPS "Annuaire Santé" extract (PS_LibreAcces_Personne_activite)."""
    sys.exit(_run(file, territory_ref, "rpps", include_closed=False))


@directory.command("import-finess")
@_file_argument
@_territory_option
@click.option("--include-closed", is_flag=True, help="Also import closed establishments (JSON flow).")
def import_finess(file: Path, territory_ref: str, include_closed: bool) -> None:
    """Import establishments from a FINESS extract (legacy CSV, Latin-1 or UTF-8) or the daily JSON flow."""
    sys.exit(_run(file, territory_ref, "finess", include_closed=include_closed))


def _run(file: Path, territory_ref: str, source: Source, *, include_closed: bool) -> int:
    from orientation.core.config import from_environment
    from orientation.core.db import make_engine, make_session_factory

    engine = make_engine(from_environment().database_url)
    try:
        return _import(make_session_factory(engine), _now(), file, territory_ref, source, include_closed)
    finally:
        engine.dispose()


def _import(
    sessions: sessionmaker[Session],
    now: datetime,
    file: Path,
    territory_ref: str,
    source: Source,
    include_closed: bool,
) -> int:
    with sessions() as session:
        territory = find_territory(session, territory_ref)
        if territory is None:
            click.echo(f"error: no territory {territory_ref!r} (give its id or its exact name)", err=True)
            return EXIT_UNUSABLE
        territory_id, territory_name = territory.id, territory.name
    try:
        stream = file.open("rb")
        size = os.fstat(stream.fileno()).st_size
    except OSError as exc:
        click.echo(f"error: cannot read {file}: {exc.strerror or exc}", err=True)
        return EXIT_UNUSABLE
    # On stderr, by bytes read, and only on a terminal (not under cron, not in tests); redrawn once a megabyte.
    with (
        stream,
        click.progressbar(
            length=size, label=file.name, file=sys.stderr, hidden=not sys.stderr.isatty(), update_min_steps=1 << 20
        ) as bar,
    ):
        try:
            report = import_file(
                sessions,
                territory_id,
                source,
                stream,
                now,
                filename=file.name,
                on_bytes=bar.update,
                include_closed=include_closed,
            )
        except UnusableInput as exc:
            click.echo(f"error: {exc}", err=True)
            return EXIT_UNUSABLE
        except OSError as exc:
            click.echo(f"error: cannot read {file}: {exc.strerror or exc}", err=True)
            return EXIT_UNUSABLE
    click.echo(format_report(report, territory_name))
    if report.unusable is not None:
        return EXIT_UNUSABLE
    return EXIT_SKIPPED if report.skipped else 0


def format_report(report: ImportReport, territory_name: str) -> str:
    """The end-of-run summary: counts, then the skipped lines with their numbers and reasons."""
    label = {"rpps": "RPPS", "finess": "FINESS"}.get(report.source, report.source)
    out = [
        f"{label} import #{report.import_id} of {report.filename} into {territory_name!r}: {report.lines} lines read",
        f"  added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
        f"gone {report.gone}, skipped {report.skipped}",
    ]
    if report.unusable is not None:
        out.append(f"  unusable file: {report.unusable}; no entry was flagged gone")
    for error in report.errors[:SHOWN_ERRORS]:
        out.append(f"  line {error.line_number}: {error.reason}")
    if report.skipped > SHOWN_ERRORS:
        out.append(f"  … and {report.skipped - SHOWN_ERRORS} more skipped lines")
    return "\n".join(out)
