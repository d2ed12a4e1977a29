"""`orientation export …`: the CSV files of a territory and a period, to stdout or a file."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from orientation.core import spreadsheet
from orientation.core.spreadsheet import FRENCH
from orientation.services.exports import aci_csv, find_territory, period_bounds, requests_csv


def _run(kind: str, territory_ref: str, start: datetime, end: datetime, out: Path | None, form: str) -> None:
    from orientation.core.config import from_environment
    from orientation.core.db import make_engine, make_session_factory

    config = from_environment()
    engine = make_engine(config.database_url)
    try:
        with make_session_factory(engine)() as session:
            territory = find_territory(session, territory_ref)
            if territory is None:
                raise click.ClickException(f"no territory {territory_ref!r} (give its id, prefix or name)")
            try:
                since, until = period_bounds(start.date(), end.date(), ZoneInfo(territory.timezone))
            except ValueError as exc:
                raise click.ClickException(str(exc)) from exc
            write = aci_csv if kind == "aci" else requests_csv
            fmt = spreadsheet.FORMATS[form]
            if out is None:
                count = write(session, territory, since, until, sys.stdout, fmt)
            else:
                with out.open("w", encoding="utf-8", newline="") as handle:
                    count = write(session, territory, since, until, handle, fmt)
                click.echo(f"{count} lines written to {out}", err=True)
    finally:
        engine.dispose()


@click.group("export")
def export() -> None:
    """Exports (CSV)."""


_TERRITORY = click.option("--territory", "territory_ref", required=True, help="Territory id, prefix (P20) or name.")
_FROM = click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First day (local).")
_TO = click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Last day, included.")
_FORMAT = click.option(
    "--format",
    "form",
    type=click.Choice(list(spreadsheet.FORMATS)),
    default=FRENCH.name,
    show_default=True,
    help="fr: for French Excel and LibreOffice (';', UTF-8 with BOM, French labels, decimal commas, "
    "dd/mm/yyyy hh:mm). rfc4180: for programs (',', codes, ISO 8601 dates, dot decimals).",
)
_OUT = click.option(
    "--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write here (default: stdout)."
)


@export.command("aci")
@_TERRITORY
@_FROM
@_TO
@_OUT
@_FORMAT
def export_aci(territory_ref: str, start: datetime, end: datetime, out: Path | None, form: str) -> None:
    """The ACI figures per month × commune × motive: requests, answers, call-backs, outcomes, match rate."""
    _run("aci", territory_ref, start, end, out, form)


@export.command("requests")
@_TERRITORY
@_FROM
@_TO
@_OUT
@_FORMAT
def export_requests(territory_ref: str, start: datetime, end: datetime, out: Path | None, form: str) -> None:
    """The request log of the period, one line per request, callers masked."""
    _run("requests", territory_ref, start, end, out, form)
