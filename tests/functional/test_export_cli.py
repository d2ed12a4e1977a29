"""`orientation export aci` and `orientation export requests`: the CSV files of the ACI report and of the log."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from directory.models import DirectoryEntry
from orientation import cli
from orientation.core.clock import FrozenClock
from orientation.core.models import Request, Territory
from orientation.services import requests as svc
from tests import factories
from tests.conftest import PARIS
from tests.functional.api_client import other_territory

_CLEAN = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_BASE_URL", "PUBLIC_BASE_URL", "ORIENTATION_ENV")
_sids = iter(range(10**6))
MACHINE = ["--format", "rfc4180"]


def _run(args: list[str], tmp_path: Path, database_url: str) -> Result:
    environment: dict[str, str | None] = dict.fromkeys(_CLEAN)
    environment["ORIENTATION_INSTANCE"] = str(tmp_path / "instance")
    environment["DATABASE_URL"] = database_url
    return CliRunner().invoke(cli.main, args, env=environment, catch_exceptions=False)


def _request(
    session: Session,
    territory: Territory,
    at: datetime,
    motive: str | None,
    postcode: str | None,
    outcome: str | None = None,
    answered_after: int | None = None,
    caller: str = "+33611223344",
) -> Request:
    request, _ = svc.open_request(session, territory, f"CA{next(_sids):032d}", caller, at)
    request.motive = motive
    request.postcode = postcode
    if answered_after is not None:
        request.status = "connected"
        request.connected_at = at + timedelta(seconds=answered_after)
    if outcome is not None:
        svc.close_with_outcome(session, request, outcome, at + timedelta(minutes=30))
    session.commit()
    return request


def _directory(session: Session, territory: Territory, now: datetime, postcode: str, commune: str) -> None:
    session.add(
        DirectoryEntry(
            territory_id=territory.id,
            source="manual",
            kind="structure",
            name=f"Cabinet {commune} {postcode}",
            search_key="",
            category="other",
            postcode=postcode,
            commune=commune,
            created_at=now,
            updated_at=now,
        )
    )
    session.commit()


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _populate(session: Session, clock: FrozenClock) -> Territory:
    territory = factories.territory(
        session, clock(), postcodes=["75019", "75020"], settings={"communes": {"75019": "Paris 19e"}}
    )
    _directory(session, territory, clock(), "75020", "Paris")
    _directory(session, territory, clock(), "75020", "Paris")
    _directory(session, territory, clock(), "75020", "PARIS 20")
    october = datetime(2026, 10, 31, 23, 30, tzinfo=PARIS)
    november = datetime(2026, 11, 3, 9, 0, tzinfo=PARIS)
    _request(session, territory, october, "medecin_traitant", "75020", "matched", answered_after=30)
    _request(session, territory, november, "medecin_traitant", "75020", "matched", answered_after=10)
    _request(session, territory, november, "medecin_traitant", "75020", "no_solution", answered_after=50)
    _request(session, territory, november, "medecin_traitant", "75020")
    _request(session, territory, november, "visite_domicile", "75019", "oriented", answered_after=20)
    _request(session, territory, november, "visite_domicile", "93100", "out_of_territory")
    _request(session, territory, november, None, None, "abandoned")
    # 30 November 23:30 UTC: December in Paris, where the months of the report are counted.
    _request(session, territory, datetime(2026, 12, 1, 0, 30, tzinfo=PARIS), "orientation", "75020")
    # Another territory's requests never appear.
    _request(session, other_territory(session, clock()), november, "medecin_traitant", "69008", "matched")
    return territory


def test_the_aci_export_counts_per_month_commune_and_motive(
    session: Session, clock: FrozenClock, database_url: str, engine: Engine, tmp_path: Path
) -> None:
    territory = _populate(session, clock)
    result = _run(
        ["export", "aci", "--territory", str(territory.id), "--from", "2026-10-01", "--to", "2026-11-30", *MACHINE],
        tmp_path,
        database_url,
    )
    assert result.exit_code == 0, result.output
    rows = _rows(result.output)
    keys = [(r["month"], r["commune"], r["motive"]) for r in rows]
    assert keys == [
        ("2026-10", "Paris", "medecin_traitant"),
        ("2026-11", "93100", "visite_domicile"),
        ("2026-11", "Paris", "medecin_traitant"),
        ("2026-11", "Paris 19e", "visite_domicile"),
        ("2026-11", "", "unknown"),
    ]
    doctor = rows[2]
    assert (doctor["requests"], doctor["connected"], doctor["with_outcome"], doctor["matched"]) == ("3", "2", "2", "1")
    assert (doctor["no_solution"], doctor["match_rate"], doctor["median_seconds_to_answer"]) == ("1", "0.5000", "30.0")
    assert doctor["p90_seconds_to_answer"] == "50.0" and doctor["answer_rate"] == "0.6667"
    assert rows[3]["oriented"] == "1" and rows[3]["match_rate"] == "0.0000"
    assert rows[4]["abandoned"] == "1" and rows[4]["median_seconds_to_answer"] == ""


def test_the_aci_export_writes_a_file_and_knows_a_territory_by_its_prefix(
    session: Session, clock: FrozenClock, database_url: str, engine: Engine, tmp_path: Path
) -> None:
    _populate(session, clock)
    out = str(tmp_path / "aci.csv")
    result = _run(
        ["export", "aci", "--territory", "p20", "--from", "2026-12-01", "--to", "2026-12-31", *MACHINE, "--out", out],
        tmp_path,
        database_url,
    )
    assert result.exit_code == 0 and "1 lines written" in result.output
    rows = _rows(Path(out).read_text(encoding="utf-8"))
    assert [(r["month"], r["commune"], r["motive"], r["requests"]) for r in rows] == [
        ("2026-12", "Paris", "orientation", "1")
    ]


def test_the_requests_export_lists_the_period_with_masked_callers(
    session: Session, clock: FrozenClock, database_url: str, engine: Engine, tmp_path: Path
) -> None:
    territory = _populate(session, clock)
    result = _run(
        ["export", "requests", "--territory", "CPTS Paris 20", "--from", "2026-11-03", "--to", "2026-11-03", *MACHINE],
        tmp_path,
        database_url,
    )
    assert result.exit_code == 0, result.output
    rows = _rows(result.output)
    assert len(rows) == 6 and all(r["reference"].startswith(f"{territory.reference_prefix}-2026-") for r in rows)
    # Masked, and written as text: a cell starting with "+" would be read as a formula (orientation.core.spreadsheet).
    assert "+33611223344" not in result.output and {r["caller"] for r in rows} == {"'+33 •• •• •• 44"}
    first = rows[0]
    assert first["created_at"] == "2026-11-03T09:00:00+01:00" and first["commune"] == "Paris"
    assert (first["outcome"], first["seconds_to_answer"], first["status"]) == ("matched", "10", "closed")
    assert rows[-1]["commune"] == "" and rows[-1]["outcome"] == "abandoned"


def test_an_unknown_territory_or_a_period_ending_before_it_starts_is_an_error(
    session: Session, clock: FrozenClock, database_url: str, engine: Engine, tmp_path: Path
) -> None:
    territory = _populate(session, clock)
    period = ["--from", "2026-01-01", "--to", "2026-12-31"]
    unknown = _run(["export", "aci", "--territory", "9999", *period], tmp_path, database_url)
    assert unknown.exit_code != 0 and "no territory" in unknown.output
    backwards = ["--from", "2026-12-01", "--to", "2026-11-01"]
    backwards_result = _run(["export", "aci", "--territory", str(territory.id), *backwards], tmp_path, database_url)
    assert backwards_result.exit_code != 0 and "before its start" in backwards_result.output


def _french(data: bytes) -> list[dict[str, str]]:
    """The file as French spreadsheet software reads it: a BOM first, then `;`-separated UTF-8."""
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_by_default_the_aci_file_is_written_for_french_spreadsheets(
    session: Session, clock: FrozenClock, database_url: str, engine: Engine, tmp_path: Path
) -> None:
    _populate(session, clock)
    out = tmp_path / "aci.csv"
    period = ["--from", "2026-10-01", "--to", "2026-11-30", "--out", str(out)]

    result = _run(["export", "aci", "--territory", "P20", *period], tmp_path, database_url)

    assert result.exit_code == 0, result.output
    rows = _french(out.read_bytes())
    assert [(r["Mois"], r["Commune"], r["Motif"]) for r in rows] == [
        ("octobre 2026", "Paris", "Médecin traitant"),
        ("novembre 2026", "93100", "Visite à domicile"),
        ("novembre 2026", "Paris", "Médecin traitant"),
        ("novembre 2026", "Paris 19e", "Visite à domicile"),
        ("novembre 2026", "", "Sans motif"),
    ]
    doctor = rows[2]
    assert (doctor["Demandes"], doctor["Taux de réponse (%)"], doctor["Taux de prise en charge (%)"]) == (
        "3",
        "66,7",
        "50,0",
    )
    assert doctor["Délai médian de réponse (s)"] == "30,0" and rows[4]["Délai médian de réponse (s)"] == ""


def test_by_default_the_request_log_has_french_labels_and_dates_and_the_machine_form_keeps_codes(
    session: Session, clock: FrozenClock, database_url: str, engine: Engine, tmp_path: Path
) -> None:
    territory = _populate(session, clock)
    volunteer = factories.volunteer(session, territory, clock(), name="Dr Anne Martin", profession="sage_femme")
    first = session.scalars(select(Request).where(Request.territory_id == territory.id).order_by(Request.id)).first()
    assert first is not None
    first.volunteer_id = volunteer.id
    session.commit()
    period = ["--territory", "P20", "--from", "2026-10-31", "--to", "2026-10-31"]

    french = _run(["export", "requests", *period, "--out", str(tmp_path / "fr.csv")], tmp_path, database_url)
    machine = _run(["export", "requests", *period, *MACHINE], tmp_path, database_url)

    assert french.exit_code == 0 and machine.exit_code == 0, french.output + machine.output
    (row,) = _french((tmp_path / "fr.csv").read_bytes())
    assert row["Référence"] == first.reference and row["Reçue le"] == "31/10/2026 23:30"
    assert (row["Motif"], row["Statut"], row["Issue"]) == ("Médecin traitant", "Clôturée", "Pris en charge")
    assert (row["Bénévole"], row["Profession du bénévole"]) == ("Dr Anne Martin", "Sage-femme")
    assert (row["Message laissé"], row["Mise en relation le"]) == ("non", "31/10/2026 23:30")
    assert machine.output.startswith("reference,created_at,motive,") and "\ufeff" not in machine.output
    (coded,) = _rows(machine.output)
    assert (coded["motive"], coded["status"], coded["outcome"]) == ("medecin_traitant", "closed", "matched")
    assert (coded["volunteer_profession"], coded["created_at"]) == ("sage_femme", "2026-10-31T23:30:00+01:00")


def test_an_unknown_format_is_refused_by_the_command(
    session: Session, clock: FrozenClock, database_url: str, engine: Engine, tmp_path: Path
) -> None:
    period = ["--territory", "P20", "--from", "2026-10-31", "--to", "2026-10-31"]
    result = _run(["export", "requests", *period, "--format", "xlsx"], tmp_path, database_url)
    assert result.exit_code == 2 and "'xlsx' is not one of 'fr', 'rfc4180'" in result.output
