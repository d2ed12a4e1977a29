"""`orientation export …`: the CSV files the coordinator and the ACI report need.

`export aci` writes the figures per month × commune × motive (orientation.stats.aci_rows, the same
definitions as the API's /stats); `export requests` writes the request log with callers masked. The
functions `aci_csv` and `requests_csv` are what the console's export page calls too.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import click
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orientation import spreadsheet, stats
from orientation.models import Request, Territory
from orientation.phones import mask

ACI_COLUMNS = (
    "month",
    "commune",
    "motive",
    "requests",
    "connected",
    "answer_rate",
    "median_seconds_to_answer",
    "p90_seconds_to_answer",
    "abandoned",
    "abandon_rate",
    "callbacks_pending",
    "median_callback_delay_seconds",
    "with_outcome",
    "matched",
    "oriented",
    "no_solution",
    "match_rate",
)
REQUEST_COLUMNS = (
    "reference",
    "created_at",
    "motive",
    "postcode",
    "commune",
    "in_territory",
    "status",
    "outcome",
    "outcome_entry_id",
    "outcome_entry_name",
    "volunteer_id",
    "caller",
    "had_message",
    "connected_at",
    "seconds_to_answer",
    "callback_requested_at",
    "callback_done_at",
    "callback_failed_calls",
    "closed_at",
)
_RATES = frozenset({"answer_rate", "abandon_rate", "match_rate"})
_SECONDS = frozenset({"median_seconds_to_answer", "p90_seconds_to_answer", "median_callback_delay_seconds"})


# ---------------------------------------------------------------- pure formatting


def format_cell(column: str, value: Any) -> str:
    """One CSV cell: empty for None (a rate over nothing), rates to 4 decimals, seconds to 1."""
    if value is None:
        return ""
    if column in _RATES:
        return f"{value:.4f}"
    if column in _SECONDS:
        return f"{value:.1f}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def period_bounds(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[since, until) instants of the local days from `start` to `end`, both included."""
    if end < start:
        raise ValueError("the end of the period is before its start")
    return (
        datetime.combine(start, time(0), tzinfo=tz),
        datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz),
    )


# ---------------------------------------------------------------- communes


def commune_names(session: Session, territory: Territory) -> dict[str, str]:
    """Postcode → commune: the territory's settings["communes"] first, then the directory's most common name."""
    mapping: dict[str, str] = {}
    counts: dict[str, Counter[str]] = {}
    from directory.models import DirectoryEntry

    rows = session.execute(
        select(DirectoryEntry.postcode, DirectoryEntry.commune, func.count())
        .where(
            DirectoryEntry.territory_id == territory.id,
            DirectoryEntry.postcode.is_not(None),
            DirectoryEntry.commune.is_not(None),
        )
        .group_by(DirectoryEntry.postcode, DirectoryEntry.commune)
    )
    for postcode, commune, count in rows:
        if postcode and commune:
            counts.setdefault(postcode, Counter())[commune] += count
    for postcode, names in counts.items():
        # Ties go to the alphabetically first name, so two runs of the export agree.
        mapping[postcode] = sorted(names.items(), key=lambda item: (-item[1], item[0]))[0][0]
    configured = (territory.settings or {}).get("communes")
    if isinstance(configured, dict):
        mapping.update({str(k): str(v) for k, v in configured.items() if isinstance(v, str) and v})
    return mapping


def commune_of(postcode: str | None, names: dict[str, str]) -> str | None:
    """The commune of a postcode, the postcode itself when unknown, None without a postcode."""
    if not postcode:
        return None
    return names.get(postcode, postcode)


# ---------------------------------------------------------------- the two exports


def _requests(session: Session, territory: Territory, since: datetime, until: datetime) -> list[Request]:
    return list(
        session.scalars(
            select(Request)
            .where(Request.territory_id == territory.id, Request.created_at >= since, Request.created_at < until)
            .order_by(Request.created_at, Request.id)
        )
    )


def aci_rows_for(session: Session, territory: Territory, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """The ACI figures of a territory over [since, until): one dict per month × commune × motive."""
    from orientation.services.stats import request_rows

    names = commune_names(session, territory)
    rows = [
        replace(row, commune=commune_of(row.postcode, names))
        for row in request_rows(session, territory.id, since, until)
    ]
    return stats.aci_rows(rows, ZoneInfo(territory.timezone))


def aci_csv(session: Session, territory: Territory, since: datetime, until: datetime, out: TextIO) -> int:
    """Write the ACI CSV (header + one line per month × commune × motive); returns the number of lines."""
    rows = aci_rows_for(session, territory, since, until)
    writer = spreadsheet.writer(out)
    writer.writerow(ACI_COLUMNS)
    for row in rows:
        writer.writerow([format_cell(column, row.get(column)) for column in ACI_COLUMNS])
    return len(rows)


def _local(value: datetime | None, tz: ZoneInfo) -> str:
    return value.astimezone(tz).isoformat(timespec="seconds") if value is not None else ""


def request_lines(session: Session, territory: Territory, since: datetime, until: datetime) -> Iterable[list[str]]:
    """The request log as CSV cells, callers masked, times in the territory's time zone."""
    from directory.models import DirectoryEntry

    tz = ZoneInfo(territory.timezone)
    names = commune_names(session, territory)
    found = _requests(session, territory, since, until)
    entry_ids = {r.outcome_entry_id for r in found if r.outcome_entry_id is not None}
    entries = (
        # Not dict(result): a Result has .keys(), so dict() takes it for a mapping and fails.
        {
            entry_id: name
            for entry_id, name in session.execute(
                select(DirectoryEntry.id, DirectoryEntry.name).where(DirectoryEntry.id.in_(entry_ids))
            ).all()
        }
        if entry_ids
        else {}
    )
    for r in found:
        live = r.connected_at is not None and (
            r.callback_requested_at is None or r.connected_at < r.callback_requested_at
        )
        values: dict[str, Any] = {
            "reference": r.reference,
            "created_at": _local(r.created_at, tz),
            "motive": r.motive,
            "postcode": r.postcode,
            "commune": commune_of(r.postcode, names),
            "in_territory": r.in_territory,
            "status": r.status,
            "outcome": r.outcome,
            "outcome_entry_id": r.outcome_entry_id,
            "outcome_entry_name": entries.get(r.outcome_entry_id) if r.outcome_entry_id is not None else None,
            "volunteer_id": r.volunteer_id,
            "caller": mask(r.caller),
            "had_message": r.had_message,
            "connected_at": _local(r.connected_at, tz),
            # Only a live answer has a time to answer (as in the figures): a call-back has a call-back delay.
            "seconds_to_answer": int((r.connected_at - r.created_at).total_seconds())
            if live and r.connected_at is not None
            else None,
            "callback_requested_at": _local(r.callback_requested_at, tz),
            "callback_done_at": _local(r.callback_done_at, tz),
            "callback_failed_calls": r.callback_attempts,
            "closed_at": _local(r.closed_at, tz),
        }
        yield [format_cell(column, values[column]) for column in REQUEST_COLUMNS]


def requests_csv(session: Session, territory: Territory, since: datetime, until: datetime, out: TextIO) -> int:
    """Write the request log CSV; returns the number of requests."""
    writer = spreadsheet.writer(out)
    writer.writerow(REQUEST_COLUMNS)
    count = 0
    for line in request_lines(session, territory, since, until):
        writer.writerow(line)
        count += 1
    return count


# ---------------------------------------------------------------- the commands


def find_territory(session: Session, value: str) -> Territory | None:
    """A territory by id, reference prefix (P20) or exact name."""
    # ASCII digits, and few: "²" passes isdigit() but not int(), and a huge id would overflow the column.
    if value.isascii() and value.isdigit() and len(value) <= 10:
        return session.get(Territory, int(value))
    return session.scalars(
        select(Territory).where((Territory.reference_prefix == value.upper()) | (Territory.name == value))
    ).first()


def _run(kind: str, territory_ref: str, start: datetime, end: datetime, out: Path | None) -> None:
    from orientation.config import from_environment
    from orientation.db import make_engine, make_session_factory

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
            if out is None:
                count = write(session, territory, since, until, sys.stdout)
            else:
                with out.open("w", encoding="utf-8", newline="") as handle:
                    count = write(session, territory, since, until, handle)
                click.echo(f"{count} lines written to {out}", err=True)
    finally:
        engine.dispose()


@click.group("export")
def export() -> None:
    """Exports (CSV)."""


_TERRITORY = click.option("--territory", "territory_ref", required=True, help="Territory id, prefix (P20) or name.")
_FROM = click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First day (local).")
_TO = click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Last day, included.")
_OUT = click.option(
    "--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write here (default: stdout)."
)


@export.command("aci")
@_TERRITORY
@_FROM
@_TO
@_OUT
def export_aci(territory_ref: str, start: datetime, end: datetime, out: Path | None) -> None:
    """The ACI figures per month × commune × motive: requests, answers, call-backs, outcomes, match rate."""
    _run("aci", territory_ref, start, end, out)


@export.command("requests")
@_TERRITORY
@_FROM
@_TO
@_OUT
def export_requests(territory_ref: str, start: datetime, end: datetime, out: Path | None) -> None:
    """The request log of the period, one line per request, callers masked."""
    _run("requests", territory_ref, start, end, out)
