"""`orientation privacy export|erase +33…` as the data protection officer runs them."""

from __future__ import annotations

import json
import stat
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner, Result
from dateutil.relativedelta import relativedelta
from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation import cli
from orientation.core.clock import FrozenClock
from orientation.core.models import AuditEntry, Request, Territory
from orientation.services.stats import figures_for
from tests import factories


def run(args: list[str], tmp_path: Path, database_url: str, input: str | None = None) -> Result:
    """`orientation ARGS` in-process, on the test database, with the tests' secret key."""
    env: dict[str, str | None] = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "ORIENTATION_INSTANCE": str(tmp_path / "instance"),
        "ORIENTATION_ENV": None,
        "USER": "dpo",
        "LOGNAME": "dpo",
    }
    return CliRunner().invoke(cli.main, args, env=env, input=input, catch_exceptions=False)


def test_export_prints_the_json_of_everything_held_about_a_number_given_in_any_spelling(
    session: Session, database_url: str, tmp_path: Path, frozen_cli: FrozenClock
) -> None:
    now = frozen_cli()
    territory = factories.territory(session, now)
    request = factories.closed_call(session, territory, now - timedelta(days=2))

    result = run(["privacy", "export", "06 11 22 33 44"], tmp_path, database_url)

    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["phone"] == factories.CALLER
    assert [r["reference"] for r in document["requests"]] == [request.reference]
    assert document["requests"][0]["timeline"]
    entry = session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.actor, entry.reference) == ("export", "cli:dpo", request.reference)


def test_export_to_a_file_is_readable_by_its_owner_only(
    session: Session, database_url: str, tmp_path: Path, frozen_cli: FrozenClock
) -> None:
    now = frozen_cli()
    territory = factories.territory(session, now)
    factories.closed_call(session, territory, now - timedelta(days=2))
    target = tmp_path / "export.json"

    result = run(["privacy", "export", factories.CALLER, "--output", str(target)], tmp_path, database_url)

    assert result.exit_code == 0, result.output
    assert "1 requests" in result.output and factories.CALLER not in result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert json.loads(target.read_text())["phone"] == factories.CALLER


def test_a_number_that_is_not_one_is_refused(database_url: str, tmp_path: Path, frozen_cli: FrozenClock) -> None:
    result = run(["privacy", "export", "06 12"], tmp_path, database_url)

    assert result.exit_code != 0
    assert "numéro" in result.output


def test_erase_asks_first_and_answering_no_changes_nothing(
    session: Session, database_url: str, tmp_path: Path, frozen_cli: FrozenClock
) -> None:
    now = frozen_cli()
    territory = factories.territory(session, now)
    request = factories.closed_call(session, territory, now - timedelta(days=2))

    result = run(["privacy", "erase", factories.CALLER], tmp_path, database_url, input="n\n")

    assert result.exit_code != 0
    assert "1 requests" in result.output and "+33 •• •• •• 44" in result.output
    assert factories.CALLER not in result.output
    session.expire_all()
    assert session.get(Request, request.id).caller == factories.CALLER  # type: ignore[union-attr]
    assert session.scalars(select(AuditEntry)).first() is None


def test_erase_with_yes_clears_the_number_keeps_the_figures_and_names_a_volunteer_with_it(
    session: Session, database_url: str, tmp_path: Path, frozen_cli: FrozenClock
) -> None:
    now = frozen_cli()
    territory = factories.territory(session, now)
    request = factories.closed_call(session, territory, now - timedelta(days=2))
    volunteer = factories.volunteer(session, territory, now, phone=factories.CALLER)
    before = figures_for(session, None, None, None)

    result = run(["privacy", "erase", factories.CALLER, "--yes"], tmp_path, database_url)

    assert result.exit_code == 0, result.output
    assert "erased: 1 requests, 2 messages" in result.output
    assert f"volunteer {volunteer.id}" in result.output
    session.expire_all()
    erased = session.get(Request, request.id)
    assert erased is not None and erased.caller is None and erased.outcome_note is None
    assert figures_for(session, None, None, None) == before
    entry = session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.actor) == ("erase", "cli:dpo")


def test_retention_shows_and_changes_a_territorys_period_and_pseudonymise_applies_it_now(
    session: Session, database_url: str, tmp_path: Path, frozen_cli: FrozenClock
) -> None:
    now = frozen_cli()
    territory = factories.territory(session, now)
    request = factories.closed_call(session, territory, now - relativedelta(months=7))

    shown = run(["privacy", "retention"], tmp_path, database_url)
    changed = run(["privacy", "retention", str(territory.id), "6"], tmp_path, database_url)
    refused = run(["privacy", "retention", str(territory.id), "0"], tmp_path, database_url)
    applied = run(["privacy", "pseudonymise"], tmp_path, database_url)

    assert shown.exit_code == 0, shown.output
    assert f"{territory.id}\tCPTS Paris 20\t12 months\t0 due now" in shown.output
    assert changed.exit_code == 0, changed.output
    assert "6 months\t1 due now" in changed.output
    assert refused.exit_code != 0
    assert applied.exit_code == 0, applied.output
    assert "1 requests pseudonymised" in applied.output
    session.expire_all()
    assert session.get(Territory, territory.id).settings["retention_months"] == 6  # type: ignore[union-attr]
    assert session.get(Request, request.id).caller is None  # type: ignore[union-attr]
    assert run(["privacy", "retention", "999"], tmp_path, database_url).exit_code != 0
