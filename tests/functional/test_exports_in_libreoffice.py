"""The French exports as LibreOffice Calc reads them: a tool nobody here wrote opens the files a coordinator
double-clicks and must find numbers as numbers, dates as dates and French words, with no stray BOM.

LibreOffice is installed by the test when it is missing and apt can install it (Debian's
`libreoffice-calc-nogui`, ~280 MB); the test is skipped only when it cannot be. The import uses the French
locale (language 1036) and `;`, as a French user's LibreOffice does; the result is converted to OpenDocument
and its cells read from content.xml with the standard library.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from datetime import date, datetime
from pathlib import Path
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.services.exports import aci_csv, period_bounds, requests_csv
from tests.functional.test_export_cli import _populate

NS = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
}
# CSV import options of LibreOffice: separator 59 (;), text delimiter 34 ("), charset 76 (UTF-8), from line 1,
# default column types, language 1036 (French, France).
FRENCH_IMPORT = "CSV:59,34,76,1,,1036"


@pytest.fixture(scope="session")
def soffice() -> str:
    """The LibreOffice binary, installed with apt when missing; the test is skipped when that is impossible."""
    found = shutil.which("soffice")
    if found is None and shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "--no-install-recommends", "libreoffice-calc-nogui"]
        subprocess.run(install, env=environment, capture_output=True, timeout=900, check=False)
        found = shutil.which("soffice")
    if found is None:
        pytest.skip("LibreOffice is not installed and apt-get cannot install it here")
    return found


def _cells(soffice: str, csv_file: Path) -> list[list[tuple[str | None, str | None, str]]]:
    """Each row's cells as (value type, value, shown text) once LibreOffice imported the CSV the French way."""
    profile = csv_file.parent / "lo-profile"
    command = [
        soffice,
        "--headless",
        "--norestore",
        f"-env:UserInstallation={profile.as_uri()}",
        f"--infilter={FRENCH_IMPORT}",
        "--convert-to",
        "ods",
        "--outdir",
        str(csv_file.parent),
        str(csv_file),
    ]
    subprocess.run(command, capture_output=True, timeout=300, check=True)
    content = zipfile.ZipFile(csv_file.with_suffix(".ods")).read("content.xml")
    rows = []
    for row in ElementTree.fromstring(content).iter(f"{{{NS['table']}}}table-row"):
        cells = []
        for cell in row.findall("table:table-cell", NS):
            repeat = int(cell.get(f"{{{NS['table']}}}number-columns-repeated", "1"))
            kind = cell.get(f"{{{NS['office']}}}value-type")
            value = cell.get(f"{{{NS['office']}}}value") or cell.get(f"{{{NS['office']}}}date-value")
            text = "".join(p.text or "" for p in cell.iter(f"{{{NS['text']}}}p"))
            cells.extend([(kind, value, text)] * min(repeat, 50))
        rows.append(cells)
    return rows


def _by_header(rows: list[list[tuple[str | None, str | None, str]]]) -> list[dict[str, tuple[str | None, str | None]]]:
    header = [text for _, _, text in rows[0]]
    return [{h: (kind, value) for h, (kind, value, _) in zip(header, row, strict=False) if h} for row in rows[1:]]


def test_libreoffice_reads_the_french_aci_figures_as_numbers_and_months_as_dates(
    soffice: str, session: Session, clock: FrozenClock, database_url: str, engine: Engine, tmp_path: Path
) -> None:
    territory = _populate(session, clock)
    since, until = period_bounds(date(2026, 10, 1), date(2026, 11, 30), ZoneInfo(territory.timezone))
    path = tmp_path / "aci.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        aci_csv(session, territory, since, until, out)

    rows = _cells(soffice, path)

    # The BOM tells the encoding and is not part of the first header.
    assert rows[0][0] == ("string", None, "Mois") and rows[0][2][2] == "Motif"
    doctor = _by_header(rows)[2]
    assert doctor["Mois"] == ("date", "2026-11-01") and doctor["Motif"] == ("string", None)
    assert doctor["Demandes"] == ("float", "3") and doctor["Taux de réponse (%)"] == ("float", "66.7")
    assert doctor["Taux de prise en charge (%)"] == ("float", "50")
    assert doctor["Délai médian de réponse (s)"] == ("float", "30")
    assert [text for _, _, text in rows[3][1:3]] == ["Paris", "Médecin traitant"]


def test_libreoffice_reads_the_french_request_log_with_its_dates_as_paris_dates(
    soffice: str, session: Session, clock: FrozenClock, database_url: str, engine: Engine, tmp_path: Path
) -> None:
    territory = _populate(session, clock)
    since, until = period_bounds(date(2026, 10, 31), date(2026, 11, 3), ZoneInfo(territory.timezone))
    path = tmp_path / "demandes.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        assert requests_csv(session, territory, since, until, out) == 7

    rows = _cells(soffice, path)

    assert rows[0][0] == ("string", None, "Référence")
    first = _by_header(rows)[0]
    # 31 October 2026 23:30 in Paris (22:30 UTC): the local wall clock, as a date-time value.
    assert first["Reçue le"] == ("date", datetime(2026, 10, 31, 23, 30).isoformat())
    assert first["Délai de réponse (s)"] == ("float", "30") and first["Code postal"] == ("float", "75020")
    assert first["Motif"][0] == "string" and first["Statut"][0] == "string"
    # The formula guard's quote before the masked number is text, and LibreOffice shows it (see spreadsheet.py).
    assert first["Appelant (masqué)"] == ("string", None) and "'+33 •• •• •• 44" in {t for _, _, t in rows[1]}
    texts = {text for _, _, text in rows[1]}
    assert {"Médecin traitant", "Clôturée", "Pris en charge", "Paris", "non"} <= texts
