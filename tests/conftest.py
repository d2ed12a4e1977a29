"""Test fixtures: real SQLite and PostgreSQL databases migrated by Alembic, an app with a frozen clock."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from orientation import create_app
from orientation.core import migrate
from orientation.core.clock import FrozenClock
from orientation.core.config import Config
from orientation.core.db import Base, make_engine, make_session_factory

PARIS = ZoneInfo("Europe/Paris")
PUBLIC_BASE_URL = "https://line.example.org"
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "1" * 32
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def _postgres_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file migrated once for the whole run."""
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database of this test run alone, on the server `make test` started, migrated once."""
    server_url = _postgres_url()
    if server_url is None:
        if os.environ.get("ORIENTATION_REQUIRE_POSTGRES"):
            pytest.fail("TEST_DATABASE_URL is not set but PostgreSQL tests are required")
        pytest.skip("TEST_DATABASE_URL not set: run `make test` to start a PostgreSQL server")
    # One database per run, so that two test runs on one machine never empty each other's tables.
    name = f"orientation_test_{os.getpid()}"
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    yield url
    for engine in [e for key, e in _ENGINES.items() if key == url]:
        engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each database test runs on SQLite and on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


_ENGINES: dict[str, Engine] = {}


def _engine(url: str) -> Engine:
    if url not in _ENGINES:
        _ENGINES[url] = make_engine(url)
    return _ENGINES[url]


def _empty(engine: Engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # A connection a test left idle in a transaction (an unfinished stream, say) would make TRUNCATE
            # wait forever: end such connections first, and never wait more than a minute for a lock.
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
                )
            )
            connection.execute(text("SET LOCAL lock_timeout = '60s'"))
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the test database; every table is emptied after the test."""
    engine = _engine(database_url)
    yield engine
    _empty(engine)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the test database."""
    factory = make_session_factory(engine)
    with factory() as session:
        yield session


@pytest.fixture
def clock() -> FrozenClock:
    """Tuesday 24 November 2026, 10:00 in Paris, standing still until a test moves it."""
    return FrozenClock(datetime(2026, 11, 24, 10, 0, tzinfo=PARIS))


@pytest.fixture
def config(database_url: str, tmp_path: Path) -> Config:
    """The app's configuration in tests: a public base URL and an auth token for signatures, no account."""
    return Config(
        database_url=database_url,
        secret_key="test-secret",
        public_base_url=PUBLIC_BASE_URL,
        twilio_auth_token=AUTH_TOKEN,
        environment="test",
        journal_dir=str(tmp_path / "journal"),
    )


@pytest.fixture
def app(config: Config, clock: FrozenClock, engine: Engine) -> Iterator[Flask]:
    """The app on the test database with the frozen clock; messages stay in the outbox."""
    app = create_app(config, clock=clock)
    app.config["TESTING"] = True
    yield app
    app.extensions["orientation"].engine.dispose()
