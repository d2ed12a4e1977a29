"""`orientation territory crisis on|off`: the coordinator's switch from the command line (issue 19)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation import cli
from orientation.core.clock import FrozenClock
from orientation.core.models import AuditEntry, Territory
from tests import factories
from tests.functional.api_client import other_territory
from tests.functional.test_cli import run


@pytest.fixture
def frozen_cli(monkeypatch: pytest.MonkeyPatch, clock: FrozenClock) -> FrozenClock:
    """The CLI reads the test clock instead of the wall clock."""
    monkeypatch.setattr(cli, "_now", clock)
    return clock


def reloaded(session: Session, territory_id: int) -> Territory:
    session.expire_all()
    found = session.get(Territory, territory_id)
    assert found is not None
    return found


def test_crisis_on_with_offers_and_announcement_sets_them_and_is_audited(
    session: Session, database_url: str, tmp_path: Path, frozen_cli: FrozenClock
) -> None:
    territory = factories.territory(session, frozen_cli())

    result = run(
        ["territory", "crisis", "on", "--offers", "5", "--announcement", "Forte affluence, restez en ligne."],
        tmp_path,
        database_url,
    )

    assert result.exit_code == 0, result.output
    assert "CPTS Paris 20: crisis mode ON, 5 offers at once, an announcement" in result.output
    after = reloaded(session, territory.id)
    assert (after.crisis_enabled, after.crisis_offers) == (True, 5)
    assert after.crisis_announcement == "Forte affluence, restez en ligne."
    entry = session.scalars(select(AuditEntry)).one()
    assert entry.action == "settings" and entry.actor.startswith("cli") and entry.at == frozen_cli()
    assert entry.details["via"] == "cli"


def test_crisis_off_keeps_the_offers_and_the_announcement_for_next_time(
    session: Session, database_url: str, tmp_path: Path, frozen_cli: FrozenClock
) -> None:
    territory = factories.territory(session, frozen_cli())
    run(["territory", "crisis", "on", "--offers", "4", "--announcement", "Bonjour."], tmp_path, database_url)

    result = run(["territory", "crisis", "off"], tmp_path, database_url)

    assert result.exit_code == 0, result.output
    after = reloaded(session, territory.id)
    assert (after.crisis_enabled, after.crisis_offers, after.crisis_announcement) == (False, 4, "Bonjour.")


def test_an_empty_announcement_removes_it(
    session: Session, database_url: str, tmp_path: Path, frozen_cli: FrozenClock
) -> None:
    territory = factories.territory(session, frozen_cli())
    run(["territory", "crisis", "on", "--announcement", "Bonjour."], tmp_path, database_url)

    run(["territory", "crisis", "on", "--announcement", ""], tmp_path, database_url)

    assert reloaded(session, territory.id).crisis_announcement is None


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--offers", "11"], "--offers"),
        (["--offers", "0"], "--offers"),
        (["--announcement", "x" * 501], "--announcement"),
    ],
)
def test_a_value_out_of_bounds_fails_clearly_and_changes_nothing(
    session: Session, database_url: str, tmp_path: Path, frozen_cli: FrozenClock, args: list[str], said: str
) -> None:
    territory = factories.territory(session, frozen_cli())

    result = run(["territory", "crisis", "on", *args], tmp_path, database_url)

    assert result.exit_code == 2
    assert said in result.output
    assert reloaded(session, territory.id).crisis_enabled is False
    assert session.scalars(select(AuditEntry)).first() is None


def test_with_several_territories_the_command_asks_which_and_changes_nothing(
    session: Session, database_url: str, tmp_path: Path, frozen_cli: FrozenClock
) -> None:
    paris = factories.territory(session, frozen_cli())
    lyon = other_territory(session, frozen_cli())

    ambiguous = run(["territory", "crisis", "on"], tmp_path, database_url)
    chosen = run(["territory", "crisis", "on", "--territory", str(lyon.id)], tmp_path, database_url)

    assert ambiguous.exit_code == 2 and "--territory" in ambiguous.output
    assert chosen.exit_code == 0
    assert reloaded(session, paris.id).crisis_enabled is False
    assert reloaded(session, lyon.id).crisis_enabled is True


def test_an_unknown_territory_fails_clearly(
    session: Session, database_url: str, tmp_path: Path, frozen_cli: FrozenClock
) -> None:
    factories.territory(session, frozen_cli())

    result = run(["territory", "crisis", "on", "--territory", "999"], tmp_path, database_url)

    assert result.exit_code == 1 and "no territory 999" in result.output
