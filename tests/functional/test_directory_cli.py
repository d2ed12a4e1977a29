"""`orientation directory import-rpps|import-finess` as an operator runs them: the report, and exit codes
0 (all imported), 1 (lines skipped, the rest imported), 2 (unusable input)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.orm import Session

from directory import cli as directory_cli
from directory.models import DirectoryEntry
from orientation import cli
from orientation.core.clock import FrozenClock
from orientation.core.models import Territory
from tests import factories
from tests.conftest import SHARED_DATA

RPPS_SAMPLE = SHARED_DATA / "rpps" / "PS_LibreAcces_Personne_activite_sample.txt"
FINESS_LEGACY = SHARED_DATA / "finess" / "etalab-cs1100502-stock-20260512-0339-excerpt.csv"
FINESS_JSON = SHARED_DATA / "finess" / "sample-finess-structures-journalier-20260309.json"
AIN = ["01000", "01012", "01300", "01370", "01390", "01440", "01500"]


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch, clock: FrozenClock) -> FrozenClock:
    """The import is dated by the test clock."""
    monkeypatch.setattr(directory_cli, "_now", clock)
    return clock


def directory(args: list[str], database_url: str, tmp_path: Path) -> Result:
    environment = {"DATABASE_URL": database_url, "ORIENTATION_INSTANCE": str(tmp_path / "instance")}
    return CliRunner().invoke(cli.main, ["directory", *args], env=environment, catch_exceptions=False)


def bresse(session: Session, clock: FrozenClock) -> Territory:
    return factories.territory(session, clock(), name="CPTS Bresse", postcodes=AIN)


def test_importing_the_rpps_sample_twice_adds_then_leaves_unchanged_and_exits_0(
    session: Session, clock: FrozenClock, database_url: str, tmp_path: Path
) -> None:
    territory = bresse(session, clock)

    first = directory(["import-rpps", str(RPPS_SAMPLE), "--territory", str(territory.id)], database_url, tmp_path)
    second = directory(["import-rpps", str(RPPS_SAMPLE), "--territory", "CPTS Bresse"], database_url, tmp_path)

    assert first.exit_code == 0, first.output
    assert "22 lines read" in first.stdout
    assert "added 10, updated 0, unchanged 0, gone 0, skipped 0" in first.stdout
    assert second.exit_code == 0, second.output
    assert "added 0, updated 0, unchanged 10, gone 0, skipped 0" in second.stdout
    assert len(session.scalars(select(DirectoryEntry)).all()) == 10


def test_skipped_lines_are_listed_with_their_numbers_and_the_exit_code_is_1(
    session: Session, clock: FrozenClock, database_url: str, tmp_path: Path
) -> None:
    territory = bresse(session, clock)
    lines = RPPS_SAMPLE.read_bytes().splitlines(keepends=True)
    lines[8] = lines[8].replace(b"|", b"", 1)
    lines[16] = lines[16].replace(b"DERVIEUX", b"DERVIEUX\xe9")
    broken = tmp_path / "broken.txt"
    broken.write_bytes(b"".join(lines))

    result = directory(["import-rpps", str(broken), "--territory", str(territory.id)], database_url, tmp_path)

    assert result.exit_code == 1, result.output
    assert "added 8, updated 0, unchanged 0, gone 0, skipped 2" in result.stdout
    assert "line 9: expected 53 fields, found 52" in result.stdout
    assert "line 17: invalid UTF-8" in result.stdout
    session.expire_all()
    assert len(session.scalars(select(DirectoryEntry)).all()) == 8


def test_a_removed_line_is_reported_gone(
    session: Session, clock: FrozenClock, database_url: str, tmp_path: Path
) -> None:
    territory = bresse(session, clock)
    directory(["import-rpps", str(RPPS_SAMPLE), "--territory", str(territory.id)], database_url, tmp_path)
    shorter = tmp_path / "shorter.txt"
    shorter.write_bytes(
        b"".join(line for line in RPPS_SAMPLE.read_bytes().splitlines(keepends=True) if b"STEVANATO" not in line)
    )

    result = directory(["import-rpps", str(shorter), "--territory", str(territory.id)], database_url, tmp_path)

    assert result.exit_code == 0, result.output
    assert "added 0, updated 0, unchanged 9, gone 1, skipped 0" in result.stdout
    gone = session.scalars(select(DirectoryEntry).where(DirectoryEntry.gone.is_(True))).all()
    assert [e.name for e in gone] == ["Betty Stevanato"]


def test_finess_imports_read_a_latin1_extract_and_the_daily_json_flow(
    session: Session, clock: FrozenClock, database_url: str, tmp_path: Path
) -> None:
    territory = factories.territory(session, clock(), postcodes=[*AIN, "97224"])
    latin1 = tmp_path / "etalab-latin1.csv"
    latin1.write_bytes(FINESS_LEGACY.read_text(encoding="utf-8").encode("latin-1"))

    legacy = directory(["import-finess", str(latin1), "--territory", str(territory.id)], database_url, tmp_path)
    flow = directory(["import-finess", str(FINESS_JSON), "--territory", str(territory.id)], database_url, tmp_path)

    assert legacy.exit_code == 0, legacy.output
    assert "added 2, updated 0, unchanged 0, gone 0, skipped 0" in legacy.stdout
    assert flow.exit_code == 0, flow.output
    cmpp = session.scalars(select(DirectoryEntry).where(DirectoryEntry.external_id == "970210126")).one()
    assert cmpp.category_label == "Centre Médico-Psycho-Pédagogique (C.M.P.P.)"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import-rpps", "{sample}", "--territory", "404"], "no territory '404'"),
        (["import-rpps", "{sample}", "--territory", "CPTS Nowhere"], "no territory 'CPTS Nowhere'"),
        (["import-rpps", "{missing}", "--territory", "{id}"], "cannot read"),
        (["import-rpps", "{finess}", "--territory", "{id}"], "unusable file: header has no 'Identification"),
        (["import-finess", "{sample}", "--territory", "{id}"], "unusable file: no line of the file could be read"),
    ],
)
def test_unusable_input_exits_2_and_flags_nothing_gone(
    session: Session, clock: FrozenClock, database_url: str, tmp_path: Path, args: list[str], message: str
) -> None:
    territory = bresse(session, clock)
    directory(["import-rpps", str(RPPS_SAMPLE), "--territory", str(territory.id)], database_url, tmp_path)
    values = {
        "sample": str(RPPS_SAMPLE),
        "missing": str(tmp_path / "missing.txt"),
        "finess": str(FINESS_LEGACY),
        "id": str(territory.id),
    }

    result = directory([a.format(**values) for a in args], database_url, tmp_path)

    assert result.exit_code == 2, result.output
    assert message in result.output
    session.expire_all()
    assert not session.scalars(select(DirectoryEntry).where(DirectoryEntry.gone.is_(True))).all()
