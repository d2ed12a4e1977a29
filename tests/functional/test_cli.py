"""The `orientation` command as an operator runs it: migrate, demo data, tokens, the Twilio number; and /healthz."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from click.testing import Result
from flask import Flask
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from orientation import create_app
from orientation.cli.demo import DEMO_NAME
from orientation.core import migrate
from orientation.core.clock import FrozenClock
from orientation.core.config import Config
from orientation.core.db import make_engine
from orientation.core.models import ApiToken, Territory
from tests import factories
from tests.conftest import PUBLIC_BASE_URL
from tests.fakes.twilio_rest import FakeTwilioRest
from tests.functional.api_client import anonymous, other_territory
from tests.functional.cli_runner import run
from volunteers.models import Shift, ShiftPattern, Volunteer

ACCOUNT = "AC" + "7" * 32
SECRET = "cli-test-auth-token"


def _last_line(result: Result) -> str:
    return result.output.rstrip("\n").splitlines()[-1]


# ------------------------------------------------------------------------------------------------ db


def test_db_upgrade_builds_the_schema_of_a_fresh_sqlite_file_and_can_run_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"

    first = run(["db", "upgrade"], tmp_path, url)
    again = run(["db", "upgrade"], tmp_path, url)

    assert first.exit_code == 0, first.output
    assert again.exit_code == 0, again.output
    assert "database at head" in first.output
    engine = make_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    finally:
        engine.dispose()
    assert {"territories", "territory_numbers", "requests", "events", "attempts", "volunteers", "shifts"} <= tables
    assert {"api_tokens", "outbox", "directory_entries"} <= tables
    # Every head of the migration scripts is applied (branches of other features may be merged later).
    assert set(versions) == set(ScriptDirectory.from_config(migrate.alembic_config(url)).get_heads())


def test_a_token_made_on_a_freshly_migrated_database_opens_the_api(tmp_path: Path, frozen_cli: FrozenClock) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    assert run(["db", "upgrade"], tmp_path, url).exit_code == 0
    created = run(["token", "create", "admin"], tmp_path, url)
    assert created.exit_code == 0, created.output
    config = Config(
        database_url=url,
        secret_key="test-secret",
        public_base_url=PUBLIC_BASE_URL,
        environment="test",
        journal_dir=str(tmp_path / "journal"),
    )
    app = create_app(config, clock=frozen_cli)
    try:
        response = anonymous(app, _last_line(created)).get("/territories")
    finally:
        app.extensions["orientation"].engine.dispose()

    assert response.status_code == 200
    assert response.get_json() == {"items": []}


# --------------------------------------------------------------------------------------------- tokens


def test_token_create_prints_the_token_alone_on_its_last_line_and_it_is_a_bearer_token(
    app: Flask, session: Session, database_url: str, tmp_path: Path, frozen_cli: FrozenClock
) -> None:
    territory = factories.territory(session, frozen_cli())

    result = run(["token", "create", "admin"], tmp_path, database_url)

    assert result.exit_code == 0, result.output
    token = _last_line(result)
    assert token == token.strip() and " " not in token and len(token) >= 32
    assert len(result.output.splitlines()) >= 2  # a line that says what it is, then the token alone
    assert token not in "\n".join(result.output.splitlines()[:-1])
    stored = session.scalars(select(ApiToken)).one()
    assert stored.name == "admin" and stored.territory_id is None
    assert stored.token_hash != token and token not in stored.token_hash
    response = anonymous(app, token).get("/territories")
    assert response.status_code == 200
    assert [t["id"] for t in response.get_json()["items"]] == [territory.id]
    assert anonymous(app, token + "x").get("/territories").status_code == 401


def test_token_create_with_territory_scopes_the_token_to_that_territory(
    app: Flask, session: Session, database_url: str, tmp_path: Path, frozen_cli: FrozenClock
) -> None:
    paris = factories.territory(session, frozen_cli())
    lyon = other_territory(session, frozen_cli())

    result = run(["token", "create", "paris20", "--territory", str(paris.id)], tmp_path, database_url)

    assert result.exit_code == 0, result.output
    client = anonymous(app, _last_line(result))
    assert [t["id"] for t in client.get("/territories").get_json()["items"]] == [paris.id]
    assert client.get(f"/territories/{lyon.id}").status_code == 404
    assert session.scalars(select(ApiToken)).one().territory_id == paris.id


def test_token_create_for_an_unknown_territory_fails_and_makes_no_token(
    session: Session, database_url: str, tmp_path: Path, frozen_cli: FrozenClock
) -> None:
    result = run(["token", "create", "ghost", "--territory", "999"], tmp_path, database_url)

    assert result.exit_code != 0
    assert "no territory 999" in result.output
    assert session.scalars(select(ApiToken)).first() is None


def test_token_create_with_a_used_name_fails_clearly_and_makes_no_second_token(
    session: Session, database_url: str, tmp_path: Path, frozen_cli: FrozenClock
) -> None:
    assert run(["token", "create", "admin"], tmp_path, database_url).exit_code == 0

    again = run(["token", "create", "admin"], tmp_path, database_url)
    assert again.exit_code == 1
    assert "'admin' is already used by a live token" in again.output
    assert run(["token", "revoke", "admin"], tmp_path, database_url).exit_code == 0
    revoked = run(["token", "create", "admin"], tmp_path, database_url)
    assert revoked.exit_code == 1 and "already used by a revoked token" in revoked.output
    assert len(session.scalars(select(ApiToken)).all()) == 1


def test_token_revoke_ends_the_token_at_once_and_token_list_shows_it_revoked(
    app: Flask, session: Session, database_url: str, tmp_path: Path, frozen_cli: FrozenClock
) -> None:
    territory = factories.territory(session, frozen_cli())
    paris = _last_line(run(["token", "create", "paris20", "--territory", str(territory.id)], tmp_path, database_url))
    admin = _last_line(run(["token", "create", "admin"], tmp_path, database_url))
    assert anonymous(app, paris).get("/territories").status_code == 200
    frozen_cli.advance(hours=2)

    revoked = run(["token", "revoke", "paris20"], tmp_path, database_url)

    assert revoked.exit_code == 0, revoked.output
    assert anonymous(app, paris).get("/territories").status_code == 401
    assert anonymous(app, admin).get("/territories").status_code == 200  # the other token lives on
    listing = run(["token", "list"], tmp_path, database_url).output.splitlines()
    assert listing == [
        f"paris20\tterritory {territory.id}\tcreated 2026-11-24 09:00 UTC\trevoked 2026-11-24 11:00 UTC",
        "admin\tall territories\tcreated 2026-11-24 09:00 UTC\tlive",
    ]
    assert paris not in "\n".join(listing) and admin not in "\n".join(listing)
    unknown = run(["token", "revoke", "nobody"], tmp_path, database_url)
    assert unknown.exit_code == 1 and "no token named 'nobody'" in unknown.output


# ----------------------------------------------------------------------------------------------- demo


def test_demo_load_twice_leaves_one_demo_territory_and_the_same_rota(
    session: Session, database_url: str, tmp_path: Path, frozen_cli: FrozenClock
) -> None:
    def counts() -> tuple[int, int, int, int]:
        session.expire_all()
        return (
            len(session.scalars(select(Territory).where(Territory.name == DEMO_NAME)).all()),
            len(session.scalars(select(Volunteer)).all()),
            len(session.scalars(select(Shift)).all()),
            len(session.scalars(select(ShiftPattern)).all()),
        )

    first = run(["demo", "load"], tmp_path, database_url)
    after_first = counts()
    second = run(["demo", "load"], tmp_path, database_url)

    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert DEMO_NAME in first.output
    assert after_first[0] == 1 and after_first[1] == 4 and after_first[2] >= 1
    assert counts() == after_first
    territory = session.scalars(select(Territory)).one()
    assert f"id {territory.id}" in second.output


# --------------------------------------------------------------------------------------------- Twilio


@pytest.fixture
def twilio() -> Iterator[FakeTwilioRest]:
    """Twilio's REST API, played locally."""
    with FakeTwilioRest(account_sid=ACCOUNT, auth_token=SECRET) as fake:
        yield fake


def _twilio_env(fake: FakeTwilioRest) -> dict[str, str]:
    return {
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": SECRET,
        "TWILIO_API_BASE_URL": fake.base_url,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
    }


def test_configure_number_points_the_twilio_number_at_the_four_webhooks(twilio: FakeTwilioRest, tmp_path: Path) -> None:
    sid = twilio.add_number("+33199000001")
    other = twilio.add_number("+33199000002")

    result = run(["twilio", "configure-number", "+33 1 99 00 00 01"], tmp_path, **_twilio_env(twilio))

    assert result.exit_code == 0, result.output
    assert "+33199000001" in result.output and sid in result.output
    lookups = twilio.requests_to("/IncomingPhoneNumbers.json", "GET")
    assert [r.query.get("PhoneNumber") for r in lookups] == ["+33199000001"]
    updates = twilio.requests_to(f"/IncomingPhoneNumbers/{sid}.json", "POST")
    assert len(updates) == 1
    form = updates[0].form
    assert form["VoiceUrl"] == f"{PUBLIC_BASE_URL}/twilio/voice"
    assert form["StatusCallback"] == f"{PUBLIC_BASE_URL}/twilio/status"
    assert form["SmsUrl"] == f"{PUBLIC_BASE_URL}/twilio/sms"
    assert form["VoiceFallbackUrl"] == f"{PUBLIC_BASE_URL}/twilio/fallback"
    assert form["VoiceMethod"] == form["StatusCallbackMethod"] == form["SmsMethod"] == "POST"
    assert {r.account for r in twilio.requests} == {ACCOUNT}
    assert twilio.requests_to(f"/IncomingPhoneNumbers/{other}.json") == []
    assert twilio.state.numbers[sid]["voice_url"] == f"{PUBLIC_BASE_URL}/twilio/voice"
    assert twilio.state.numbers[other]["voice_url"] is None


def test_configure_number_without_credentials_fails_with_a_clear_message(
    twilio: FakeTwilioRest, tmp_path: Path
) -> None:
    twilio.add_number("+33199000001")

    result = run(
        ["twilio", "configure-number", "+33 1 99 00 00 01"],
        tmp_path,
        TWILIO_API_BASE_URL=twilio.base_url,
        PUBLIC_BASE_URL=PUBLIC_BASE_URL,
    )

    assert result.exit_code != 0
    assert "TWILIO_ACCOUNT_SID" in result.output and "TWILIO_AUTH_TOKEN" in result.output
    assert "Traceback" not in result.output
    assert twilio.requests == []


def test_configure_number_of_a_number_not_in_the_account_fails_and_changes_nothing(
    twilio: FakeTwilioRest, tmp_path: Path
) -> None:
    sid = twilio.add_number("+33199000002")

    result = run(["twilio", "configure-number", "01 99 00 00 01"], tmp_path, **_twilio_env(twilio))

    assert result.exit_code != 0
    assert "not in this Twilio account" in result.output
    assert twilio.requests_to(f"/IncomingPhoneNumbers/{sid}.json", "POST") == []


def test_configure_number_refused_by_twilio_fails_without_a_traceback(twilio: FakeTwilioRest, tmp_path: Path) -> None:
    twilio.add_number("+33199000001")
    twilio.fail_next(401, 20003, "Authenticate")

    result = run(["twilio", "configure-number", "+33199000001"], tmp_path, **_twilio_env(twilio))

    assert result.exit_code != 0
    assert "Twilio refused" in result.output and "401" in result.output
    assert "Traceback" not in result.output


def test_configure_number_with_a_number_that_is_not_one_fails(twilio: FakeTwilioRest, tmp_path: Path) -> None:
    result = run(["twilio", "configure-number", "la ligne"], tmp_path, **_twilio_env(twilio))

    assert result.exit_code != 0
    assert "Error" in result.output
    assert twilio.requests == []


# ------------------------------------------------------------------------------------ entry points


def test_the_console_script_is_installed_and_lists_its_commands() -> None:
    script = Path(sys.executable).parent / "orientation"

    completed = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60, check=False)

    assert completed.returncode == 0, completed.stderr
    for command in ("db", "demo", "token", "twilio", "clock", "run", "simulate-call"):
        assert command in completed.stdout


def test_healthz_answers_200_without_a_token(app: Flask) -> None:
    response = app.test_client().get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_the_demo_token_sees_the_demo_line_through_the_api(
    app: Flask, session: Session, database_url: str, tmp_path: Path, frozen_cli: FrozenClock
) -> None:
    assert run(["demo", "load"], tmp_path, database_url).exit_code == 0
    token = _last_line(run(["token", "create", "demo"], tmp_path, database_url))
    client = anonymous(app, token)

    territories = client.get("/territories").get_json()["items"]
    volunteers = client.get("/volunteers", {"territory_id": territories[0]["id"]}).get_json()["items"]

    assert [t["name"] for t in territories] == [DEMO_NAME]
    assert len(volunteers) == 4
    assert all(v["phone"].startswith("+33") for v in volunteers)
    assert isinstance(datetime.fromisoformat(territories[0]["created_at"]), datetime)
