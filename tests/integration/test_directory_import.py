"""Importing the national files into a territory's directory, on SQLite and PostgreSQL, from the real samples."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from directory.importing import ImportReport, UnusableInput, import_file
from directory.models import DirectoryEntry, DirectoryImport
from directory.services import update_entry
from orientation.core.clock import FrozenClock
from orientation.core.db import make_session_factory
from orientation.core.models import Territory
from tests import factories
from tests.conftest import SHARED_DATA

RPPS_SAMPLE = SHARED_DATA / "rpps" / "PS_LibreAcces_Personne_activite_sample.txt"
FINESS_LEGACY = SHARED_DATA / "finess" / "etalab-cs1100502-stock-20260512-0339-excerpt.csv"
FINESS_JSON = SHARED_DATA / "finess" / "sample-finess-structures-journalier-20260309.json"
# The sample's Ain postcodes: ten of its twenty-one professionals practise there.
AIN = ["01000", "01012", "01300", "01370", "01390", "01440", "01500"]
IN_AIN = 10


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """The import's own session factory, on the test database."""
    return make_session_factory(engine)


def ain(session: Session, clock: FrozenClock, postcodes: list[str] | None = None) -> Territory:
    return factories.territory(session, clock(), name="CPTS Bresse", postcodes=AIN if postcodes is None else postcodes)


def sample_lines() -> list[bytes]:
    return RPPS_SAMPLE.read_bytes().splitlines(keepends=True)


def run(
    sessions: sessionmaker[Session],
    territory: Territory,
    content: bytes,
    clock: FrozenClock,
    source: str = "rpps",
    batch_size: int = 1000,
) -> ImportReport:
    return import_file(
        sessions,
        territory.id,
        source,
        io.BytesIO(content),
        clock(),
        filename="extract.txt",  # type: ignore[arg-type]
        batch_size=batch_size,
    )


def entries(session: Session, territory: Territory) -> dict[str, DirectoryEntry]:
    session.expire_all()
    rows = session.scalars(select(DirectoryEntry).where(DirectoryEntry.territory_id == territory.id))
    return {e.external_id or "": e for e in rows}


def test_the_rpps_sample_brings_the_territorys_professionals_with_e164_phones(
    session: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    territory = ain(session, clock)

    report = run(sessions, territory, RPPS_SAMPLE.read_bytes(), clock)

    assert (report.added, report.updated, report.unchanged, report.gone, report.skipped) == (IN_AIN, 0, 0, 0, 0)
    assert report.lines == 22
    found = entries(session, territory)
    assert len(found) == IN_AIN
    marquet = next(e for e in found.values() if e.name == "Vanessa Marquet")
    assert marquet.phone == "+33474346567"
    assert (marquet.postcode, marquet.insee_code, marquet.commune) == ("01500", "01004", "Ambérieu-en-Bugey")
    assert marquet.search_key == "vanessa marquet" and marquet.source == "rpps" and not marquet.gone
    assert marquet.source_ref and marquet.source_ref["profession_code"] == "86" and "line" not in marquet.source_ref
    assert all(e.postcode in AIN for e in found.values())
    run_row = session.get(DirectoryImport, report.import_id)
    assert run_row is not None and (run_row.added, run_row.lines, run_row.finished_at) == (IN_AIN, 22, clock())


def test_importing_the_same_file_again_changes_nothing(
    session: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    territory = ain(session, clock)
    run(sessions, territory, RPPS_SAMPLE.read_bytes(), clock)
    before = {k: (e.id, e.updated_at) for k, e in entries(session, territory).items()}
    clock.advance(days=30)

    # Batches of three: the idempotence holds across batch boundaries too.
    report = run(sessions, territory, RPPS_SAMPLE.read_bytes(), clock, batch_size=3)

    assert (report.added, report.updated, report.unchanged, report.gone, report.skipped) == (0, 0, IN_AIN, 0, 0)
    assert {k: (e.id, e.updated_at) for k, e in entries(session, territory).items()} == before


def test_a_changed_line_updates_its_entry_only(
    session: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    territory = ain(session, clock)
    run(sessions, territory, RPPS_SAMPLE.read_bytes(), clock)
    lines = sample_lines()
    assert b"|0474346567|" in lines[8]
    lines[8] = lines[8].replace(b"|0474346567|", b"|04 74 34 65 99|")
    clock.advance(days=1)

    report = run(sessions, territory, b"".join(lines), clock)

    assert (report.added, report.updated, report.unchanged, report.gone) == (0, 1, IN_AIN - 1, 0)
    marquet = next(e for e in entries(session, territory).values() if e.name == "Vanessa Marquet")
    assert marquet.phone == "+33474346599" and marquet.updated_at == clock()


def test_a_line_removed_from_the_file_flags_its_entry_gone_without_deleting_it_and_it_comes_back(
    session: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    territory = ain(session, clock)
    run(sessions, territory, RPPS_SAMPLE.read_bytes(), clock)
    lines = sample_lines()
    removed = lines.pop(13)  # Anaïs Lebrun-Carpentier, 01000
    assert b"LEBRUN-CARPENTIER" in removed

    report = run(sessions, territory, b"".join(lines), clock)

    assert (report.added, report.updated, report.unchanged, report.gone) == (0, 0, IN_AIN - 1, 1)
    found = entries(session, territory)
    assert len(found) == IN_AIN
    assert [e.name for e in found.values() if e.gone] == ["Anaïs Lebrun-Carpentier"]

    report = run(sessions, territory, RPPS_SAMPLE.read_bytes(), clock)

    assert (report.added, report.updated, report.unchanged, report.gone) == (0, 1, IN_AIN - 1, 0)
    assert not any(e.gone for e in entries(session, territory).values())


def test_what_the_cpts_maintains_survives_a_reimport_that_changes_the_entry(
    session: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    territory = ain(session, clock)
    run(sessions, territory, RPPS_SAMPLE.read_bytes(), clock)
    marquet = next(e for e in entries(session, territory).values() if e.name == "Vanessa Marquet")
    update_entry(
        session,
        marquet,
        {"accepting_new_patients": True, "cpts_member": True, "languages": ["fr", "ar"], "notes": "Mardi matin"},
        date(2026, 11, 24),
        clock(),
    )
    session.commit()
    lines = sample_lines()
    lines[8] = lines[8].replace(b"|0474346567|", b"|0474346500|")
    lines.pop(13)
    clock.advance(days=60)

    report = run(sessions, territory, b"".join(lines), clock)

    assert report.updated == 1
    marquet = next(e for e in entries(session, territory).values() if e.name == "Vanessa Marquet")
    assert marquet.phone == "+33474346500"
    assert (marquet.accepting_new_patients, marquet.accepting_since) == (True, date(2026, 11, 24))
    assert (marquet.cpts_member, marquet.languages, marquet.notes) == (True, ["fr", "ar"], "Mardi matin")


def test_malformed_lines_are_skipped_with_their_numbers_and_the_good_ones_imported(
    session: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    territory = ain(session, clock)
    lines = sample_lines()
    lines[8] = lines[8].replace(b"|", b"", 1)  # line 9: one field short
    lines[13] = lines[13].replace(b"LEBRUN", b"LEBRUN\xff")  # line 14: not UTF-8
    fields = lines[14].split(b"|")
    fields[2] = b""  # line 15: no Identification nationale PP
    lines[14] = b"|".join(fields)

    report = run(sessions, territory, b"".join(lines), clock)

    assert report.skipped == 3 and report.added == IN_AIN - 3
    assert [e.line_number for e in report.errors] == [9, 14, 15]
    assert "expected 53 fields, found 52" in report.errors[0].reason  # 52 columns and the trailing |
    assert "UTF-8" in report.errors[1].reason
    assert "Identification nationale PP" in report.errors[2].reason
    run_row = session.get(DirectoryImport, report.import_id)
    assert run_row is not None and run_row.skipped == 3 and [e["line"] for e in run_row.errors] == [9, 14, 15]
    assert report.unusable is None


def test_an_unreadable_file_flags_nothing_gone(
    session: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    territory = ain(session, clock)
    run(sessions, territory, RPPS_SAMPLE.read_bytes(), clock)

    wrong_header = run(sessions, territory, FINESS_LEGACY.read_bytes(), clock)
    wrong_kind = run(sessions, territory, RPPS_SAMPLE.read_bytes(), clock, source="finess")
    empty = run(sessions, territory, b"", clock)

    assert wrong_header.unusable and "Identification nationale PP" in wrong_header.unusable
    assert wrong_kind.unusable == "no line of the file could be read" and wrong_kind.skipped == 22
    assert empty.unusable == "the file is empty"
    assert not any(e.gone for e in entries(session, territory).values())


def test_a_territory_without_postcodes_or_an_unknown_one_is_refused_before_any_write(
    session: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    territory = ain(session, clock, postcodes=[])

    with pytest.raises(UnusableInput, match="no postcode"):
        run(sessions, territory, RPPS_SAMPLE.read_bytes(), clock)
    with pytest.raises(UnusableInput, match="no territory"):
        import_file(sessions, 999, "rpps", io.BytesIO(b""), clock(), filename="x")
    assert session.scalar(select(func.count()).select_from(DirectoryImport)) == 0


def test_insee_codes_in_the_settings_widen_the_territory(
    session: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    territory = ain(session, clock, postcodes=["01000"])
    territory.settings = {"insee_codes": ["01004"]}  # Ambérieu-en-Bugey, whatever its postcode
    session.commit()

    run(sessions, territory, RPPS_SAMPLE.read_bytes(), clock)

    names = {e.name for e in entries(session, territory).values()}
    assert names == {"Alexis Jobert", "Anaïs Lebrun-Carpentier", "Vanessa Marquet", "Vivien Troesch"}


def test_a_latin1_finess_extract_reads_its_accents(
    session: Session, sessions: sessionmaker[Session], clock: FrozenClock, tmp_path: Path
) -> None:
    territory = ain(session, clock, postcodes=["97224", "97600"])
    latin1 = FINESS_LEGACY.read_text(encoding="utf-8").encode("latin-1")
    assert b"\xe9" in latin1  # é as one Latin-1 byte: not UTF-8

    report = run(sessions, territory, latin1, clock, source="finess")

    assert (report.added, report.skipped) == (2, 0)
    found = entries(session, territory)
    assert found["970210126"].category_label == "Centre Médico-Psycho-Pédagogique (C.M.P.P.)"
    assert found["970210126"].category == "disability" and found["970210126"].phone == "+596596748677"
    assert "Vallée" in (found["980502199"].address or "")


def test_the_finess_daily_flow_maps_categories_and_keeps_coordinates(
    session: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    territory = ain(session, clock)

    report = run(sessions, territory, FINESS_JSON.read_bytes(), clock, source="finess")
    again = run(sessions, territory, FINESS_JSON.read_bytes(), clock, source="finess")

    assert report.added > 0 and report.skipped == 0
    assert (again.added, again.updated, again.unchanged) == (0, 0, report.added)
    found = entries(session, territory).values()
    categories = {e.category for e in found}
    assert {"retirement_homes", "home_care", "disability"} <= categories
    assert all(e.kind == "structure" and e.source == "finess" for e in found)
    assert any(e.latitude is not None and 45 < e.latitude < 47 for e in found)


def test_a_row_listed_twice_in_a_file_counts_once_whatever_the_batches(
    session: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    territory = ain(session, clock)
    lines = sample_lines()
    twice = b"".join([*lines, lines[8]])  # Vanessa Marquet again, after everyone else

    first = run(sessions, territory, twice, clock, batch_size=3)
    again = run(sessions, territory, twice, clock, batch_size=3)

    assert (first.added, first.updated, first.unchanged) == (IN_AIN, 0, 0)
    assert (again.added, again.updated, again.unchanged, again.gone) == (0, 0, IN_AIN, 0)
    assert len(entries(session, territory)) == IN_AIN


def test_a_truncated_finess_flow_imports_what_it_read_and_flags_nothing_gone(
    session: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    territory = ain(session, clock)
    complete = run(sessions, territory, FINESS_JSON.read_bytes(), clock, source="finess")
    content = FINESS_JSON.read_bytes()

    truncated = run(sessions, territory, content[: len(content) // 2], clock, source="finess")

    assert truncated.unusable is not None and truncated.unusable.startswith("invalid JSON")
    assert truncated.errors[-1].fatal and truncated.gone == 0
    found = entries(session, territory)
    assert len(found) == complete.added and not any(e.gone for e in found.values())
