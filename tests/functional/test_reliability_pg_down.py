"""PostgreSQL stops in the middle of a call: the caller keeps a useful path, and nothing is lost."""

from __future__ import annotations

import gc
import glob
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text

from orientation import create_app
from orientation.core import journal, migrate
from orientation.core.clock import FrozenClock
from orientation.core.config import Config
from orientation.core.db import make_engine, make_session_factory
from orientation.core.models import Request
from orientation.services.journal_replay import replay
from tests import factories
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.functional.twilio_client import call, said

# The connections the stopped server cut are garbage: closing them warns, which is what this test causes.
pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "test-postgres.sh"
PORT = "54338"


def _pg_ctl(data: str, action: str) -> None:
    binary = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))[-1]
    command = f"'{binary}' -D '{data}' -w -m fast {action}"
    if action == "start":
        command = (
            f"'{binary}' -D '{data}' -l '{data}/server.log' -w "
            f'-o "-p {PORT} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off" start'
        )
    if os.geteuid() == 0:
        subprocess.run(["su", "postgres", "-s", "/bin/bash", "-c", command], check=True, capture_output=True)
    else:
        subprocess.run(["bash", "-c", command], check=True, capture_output=True)


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A PostgreSQL server of this test alone, so stopping it disturbs no other test."""
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("needs the PostgreSQL binaries that `make test` installs")
    data = f"/tmp/orientation-test-pg-{PORT}"
    env = {**os.environ, "ORIENTATION_TEST_PG_PORT": PORT, "ORIENTATION_TEST_PG_DATA": data}
    url = (
        subprocess.run([str(SCRIPT)], env=env, check=True, capture_output=True, text=True)
        .stdout.strip()
        .splitlines()[-1]
    )
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    migrate.upgrade(url)
    yield url, data
    _pg_ctl(data, "stop")


def test_a_call_survives_postgresql_stopping_and_is_replayed_when_it_is_back(
    own_server: tuple[str, str], clock: FrozenClock, tmp_path: Path
) -> None:
    url, data = own_server
    config = Config(
        database_url=url,
        secret_key="test-secret",
        public_base_url=PUBLIC_BASE_URL,
        twilio_auth_token=AUTH_TOKEN,
        environment="test",
        journal_dir=str(tmp_path / "journal"),
    )
    app = create_app(config, clock=clock)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with sessions() as session:
        territory = factories.territory(session, clock())
        factories.volunteer(session, territory, clock())
    patient = call(app)
    patient.start()
    assert patient.state == "gather"

    _pg_ctl(data, "stop")
    patient.press("2")
    assert "problème technique" in said(patient) and "116 117" in said(patient)
    assert patient.state == "record"
    patient.record(duration=15)
    assert patient.state == "ended"
    assert not [e for e in patient.events if e.kind in ("error", "callback_error")]

    _pg_ctl(data, "start")
    report = replay(sessions, config.journal_dir, clock())
    assert report.failed == 0 and report.applied >= 2
    with sessions() as session:
        request = session.scalars(select(Request)).one()
        assert request.call_sid == patient.call_sid
        assert request.status == "callback_pending" and request.had_message
    app.extensions["orientation"].engine.dispose()
    engine.dispose()
    # Connections cut by the server's stop are reclaimed here, inside this test, not during a later one.
    gc.collect()


def test_a_call_goes_on_normally_across_a_postgresql_restart_between_two_webhooks(
    own_server: tuple[str, str], clock: FrozenClock, tmp_path: Path
) -> None:
    # Without pool_pre_ping, the pooled connection of the first webhook is dead after the restart: the next
    # webhook's first statement fails on it, and the webhook runs once more on a new connection.
    url, data = own_server
    config = Config(
        database_url=url,
        secret_key="test-secret",
        public_base_url=PUBLIC_BASE_URL,
        twilio_auth_token=AUTH_TOKEN,
        environment="test",
        journal_dir=str(tmp_path / "journal"),
    )
    app = create_app(config, clock=clock)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with sessions() as session:
        territory = factories.territory(session, clock())
        factories.volunteer(session, territory, clock())
    engine.dispose()
    patient = call(app)
    patient.start()
    assert patient.state == "gather"

    _pg_ctl(data, "stop")
    _pg_ctl(data, "start")
    patient.press("2")

    assert "problème technique" not in said(patient)
    assert patient.state == "gather"  # the postcode question, as without the restart
    assert list(journal.read(config.journal_dir)) == []
    with sessions() as session:
        request = session.scalars(select(Request)).one()
        assert request.call_sid == patient.call_sid and request.motive is not None
    app.extensions["orientation"].engine.dispose()
    engine.dispose()
    gc.collect()
