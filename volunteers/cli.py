"""`orientation rota …`: the rota from the command line.

`orientation rota import FILE.csv` exit codes: 0 imported (or checked, with --dry-run); 1 bad rows, listed
with their line numbers, and nothing of the file imported; 2 unusable input (no such territory, unreadable
file).
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

EXIT_BAD_ROWS = 1
EXIT_UNUSABLE = 2


def _now() -> datetime:
    """The current instant (tests replace it with their frozen clock)."""
    from orientation.core.clock import system_clock

    return system_clock()


@click.group("rota")
def rota() -> None:
    """The rota: shifts and weekly patterns."""


@rota.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--territory", "territory_id", type=int, default=None, help="The territory's id (needed if several).")
@click.option("--dry-run", is_flag=True, help="Check every row and report, but import nothing.")
def import_command(file: Path, territory_id: int | None, dry_run: bool) -> None:
    """Import weekly patterns, one-off shifts, cancellations and replacements from a CSV (columns in README)."""
    sys.exit(_import(file, territory_id, dry_run=dry_run))


def _import(file: Path, territory_id: int | None, *, dry_run: bool) -> int:
    from sqlalchemy import select

    from orientation.core.config import from_environment
    from orientation.core.db import make_engine, make_session_factory
    from orientation.core.models import Territory
    from volunteers.rota_import import RotaImportError, import_rota

    engine = make_engine(from_environment().database_url)
    try:
        with make_session_factory(engine)() as session:
            if territory_id is not None:
                territory = session.get(Territory, territory_id)
                if territory is None:
                    click.echo(f"no territory {territory_id}", err=True)
                    return EXIT_UNUSABLE
            else:
                territories = session.scalars(select(Territory).order_by(Territory.id).limit(2)).all()
                if len(territories) != 1:
                    click.echo("several territories (or none): give --territory ID", err=True)
                    return EXIT_UNUSABLE
                territory = territories[0]
            try:
                with open(file, encoding="utf-8-sig", newline="") as handle:
                    report = import_rota(session, territory, handle, _now())
            except OSError as exc:
                click.echo(f"cannot read {file}: {exc.strerror}", err=True)
                return EXIT_UNUSABLE
            except UnicodeDecodeError:
                click.echo(f"cannot read {file}: not UTF-8 text (save the CSV as UTF-8)", err=True)
                return EXIT_UNUSABLE
            except RotaImportError as exc:
                session.rollback()
                for error in exc.errors:
                    click.echo(f"{file.name}: {error}", err=True)
                click.echo(f"{len(exc.errors)} bad row(s): nothing of {file.name} was imported", err=True)
                return EXIT_BAD_ROWS
            if dry_run:
                session.rollback()
                click.echo(f"dry run, nothing imported: {report.summary()}")
            else:
                session.commit()
                click.echo(f"{territory.name}: {report.summary()}")
    finally:
        engine.dispose()
    return 0
