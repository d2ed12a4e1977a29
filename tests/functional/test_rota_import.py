"""`orientation rota import FILE.csv`: everything or nothing, bad rows named by line."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orientation import cli
from orientation.core.clock import FrozenClock
from tests import factories
from tests.conftest import PARIS
from volunteers import cli as rota_cli
from volunteers.models import Shift, ShiftException, ShiftPattern, Volunteer

HEADER = "type,volunteer_phone,weekdays,start,end,valid_from,valid_until,date,motives,holidays,replacement_phone\n"


@pytest.fixture
def people(session: Session, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch) -> tuple[Volunteer, Volunteer]:
    """Dr Martin (06 11 11 11 11) and Dr Durand (06 22 22 22 22) of the one territory; the CLI on the test clock."""
    monkeypatch.setattr(rota_cli, "_now", clock)
    territory = factories.territory(session, clock())
    martin = factories.volunteer(session, territory, clock(), on_shift=False, name="Dr Martin", phone="+33611111111")
    durand = factories.volunteer(session, territory, clock(), on_shift=False, name="Dr Durand", phone="+33622222222")
    return martin, durand


def _import(tmp_path: Path, database_url: str, content: str, *args: str) -> Result:
    path = tmp_path / "rota.csv"
    path.write_text(content, encoding="utf-8")
    return CliRunner().invoke(
        cli.main, ["rota", "import", str(path), *args], env={"DATABASE_URL": database_url}, catch_exceptions=False
    )


def _count(session: Session, model: type) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


GOOD = HEADER + (
    "pattern,06 11 11 11 11,Tu,09:00,12:00,2026-12-01,2027-06-30,,visite_domicile soins_non_programmes,,\n"
    "pattern,06 22 22 22 22,Sa,20:00,08:00,01/12/2026,,,,skip,\n"
    "shift,+33622222222,,14:00,18:00,,,2026-12-03,medecin_traitant,,\n"
    "cancel,0611111111,,,,,,2026-12-08,,,\n"
    "replace,06 11 11 11 11,,,,,,2026-12-15,,,06 22 22 22 22\n"
)


def test_a_good_file_imports_patterns_a_shift_a_cancellation_and_a_replacement(
    tmp_path: Path, database_url: str, session: Session, people: tuple[Volunteer, Volunteer]
) -> None:
    martin, durand = people
    result = _import(tmp_path, database_url, GOOD)
    assert result.exit_code == 0, result.output
    assert "2 pattern(s) added" in result.output and "1 cancellation(s), 1 replacement(s)" in result.output
    session.expire_all()
    tuesday = session.scalars(select(ShiftPattern).where(ShiftPattern.volunteer_id == martin.id)).one()
    assert (tuesday.weekdays, tuesday.start_time, tuesday.end_time) == ([1], "09:00", "12:00")
    assert tuesday.valid_until == date(2027, 6, 30) and tuesday.motives == ["visite_domicile", "soins_non_programmes"]
    night = session.scalars(select(ShiftPattern).where(ShiftPattern.volunteer_id == durand.id)).one()
    assert (night.valid_from, night.valid_until, night.holidays) == (date(2026, 12, 1), None, "skip")
    shift = session.scalars(select(Shift)).one()
    assert (shift.starts_at, shift.ends_at) == (
        datetime(2026, 12, 3, 14, tzinfo=PARIS),
        datetime(2026, 12, 3, 18, tzinfo=PARIS),
    )
    exceptions = session.scalars(select(ShiftException).order_by(ShiftException.on_date)).all()
    assert [(e.pattern_id, e.on_date, e.replacement_volunteer_id) for e in exceptions] == [
        (tuesday.id, date(2026, 12, 8), None),
        (tuesday.id, date(2026, 12, 15), durand.id),
    ]


def test_importing_the_same_file_again_changes_nothing(
    tmp_path: Path, database_url: str, session: Session, people: tuple[Volunteer, Volunteer]
) -> None:
    assert _import(tmp_path, database_url, GOOD).exit_code == 0
    again = _import(tmp_path, database_url, GOOD)
    assert again.exit_code == 0 and "0 pattern(s) added, 2 unchanged" in again.output
    assert (_count(session, ShiftPattern), _count(session, Shift), _count(session, ShiftException)) == (2, 1, 2)


def test_a_bad_row_is_reported_by_line_and_nothing_of_the_file_is_imported(
    tmp_path: Path, database_url: str, session: Session, people: tuple[Volunteer, Volunteer]
) -> None:
    bad = GOOD + (
        "pattern,06 11 11 11 11,Xy,09:00,12:00,2026-12-01,,,,,\n"
        "pattern,06 99 99 99 99,Mo,09:00,12:00,2026-12-01,,,,,\n"
        "pattern,06 11 11 11 11,Mo,9h,25:00,2026-12-01,,,,,\n"
        "cancel,06 11 11 11 11,,,,,,2026-12-09,,,\n"
        "shift,06 11 11 11 11,,08:00,10:00,,,2026-13-01,,,\n"
    )
    result = _import(tmp_path, database_url, bad)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any("line 7: weekdays: unknown day 'Xy'" in line for line in lines), result.output
    assert any("line 8: volunteer_phone: no volunteer" in line for line in lines)
    assert any("line 9: end: not a time '25:00'" in line for line in lines)
    no_pattern = "line 10: date: no weekly pattern of this volunteer has a shift starting on 2026-12-09"
    assert any(no_pattern in line for line in lines)
    assert any("line 11: date: not a date '2026-13-01'" in line for line in lines)
    assert "5 bad row(s): nothing of rota.csv was imported" in result.output
    assert (_count(session, ShiftPattern), _count(session, Shift), _count(session, ShiftException)) == (0, 0, 0)


def test_a_semicolon_file_from_a_french_spreadsheet_with_a_bom_and_comments_is_read(
    tmp_path: Path, database_url: str, session: Session, people: tuple[Volunteer, Volunteer]
) -> None:
    content = (
        "\ufeff# Planning décembre\n"
        "volunteer_phone;weekdays;start;end;valid_from\n"
        "06 11 11 11 11;lundi mercredi;08:00;12:00;2026-12-01\n"
    )
    result = _import(tmp_path, database_url, content)
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert session.scalars(select(ShiftPattern)).one().weekdays == [0, 2]


def test_an_unknown_column_or_a_missing_phone_column_is_refused_before_any_row(
    tmp_path: Path, database_url: str, session: Session, people: tuple[Volunteer, Volunteer]
) -> None:
    content = "volonteer_phone,weekdays,start,end,valid_from\n0611111111,Mo,08:00,12:00,2026-12-01\n"
    typo = _import(tmp_path, database_url, content)
    assert typo.exit_code == 1 and "line 1: unknown column 'volonteer_phone'" in typo.output
    assert _import(tmp_path, database_url, "").exit_code == 1
    assert _count(session, ShiftPattern) == 0


def test_a_dry_run_checks_but_imports_nothing(
    tmp_path: Path, database_url: str, session: Session, people: tuple[Volunteer, Volunteer]
) -> None:
    result = _import(tmp_path, database_url, GOOD, "--dry-run")
    assert result.exit_code == 0 and "dry run, nothing imported" in result.output
    assert _count(session, ShiftPattern) == 0


def test_two_exceptions_for_one_occurrence_and_an_ambiguous_day_are_bad_rows(
    tmp_path: Path, database_url: str, session: Session, people: tuple[Volunteer, Volunteer]
) -> None:
    content = HEADER + (
        "pattern,0611111111,Tu,09:00,12:00,2026-12-01,,,,,\n"
        "pattern,0611111111,Tu,14:00,16:00,2026-12-01,,,,,\n"
        "cancel,0611111111,,09:00,,,,2026-12-08,,,\n"
        "replace,0611111111,,09:00,,,,2026-12-08,,,0622222222\n"
        "cancel,0611111111,,,,,,2026-12-15,,,\n"
        "replace,0611111111,,14:00,,,,2026-12-15,,,0611111111\n"
    )
    result = _import(tmp_path, database_url, content)
    assert result.exit_code == 1
    assert "line 5: date: that shift is already cancelled or replaced on line 4" in result.output
    assert "line 6: date: this volunteer has 2 patterns on 2026-12-15; give the start column" in result.output
    assert "line 7: replacement_phone: the volunteer cannot replace themselves" in result.output
    assert _count(session, ShiftPattern) == 0


def test_an_unknown_territory_is_unusable_input(
    tmp_path: Path, database_url: str, people: tuple[Volunteer, Volunteer]
) -> None:
    assert _import(tmp_path, database_url, GOOD, "--territory", "999").exit_code == 2
    assert _import(tmp_path, database_url, GOOD, "--territory", str(people[0].territory_id)).exit_code == 0
