"""Migration 0013 on a database that already holds tokens of the same name: renamed, said, then unique."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, make_url, text
from sqlalchemy.exc import IntegrityError

from orientation.core import migrate
from orientation.core.db import make_engine

CREATED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def blank_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of this test alone (a file, or a database on the test PostgreSQL server)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'blank.sqlite3'}"
        return
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        pytest.skip("TEST_DATABASE_URL not set: run `make test` to start a PostgreSQL server")
    name = f"orientation_m0013_{os.getpid()}"
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _insert_tokens(url: str, names: list[str]) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            for n, name in enumerate(names, start=1):
                connection.execute(
                    text("INSERT INTO api_tokens (id, name, token_hash, created_at) VALUES (:id, :name, :hash, :at)"),
                    {"id": n, "name": name, "hash": f"{n:064d}", "at": CREATED},
                )
    finally:
        engine.dispose()


def _names(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text("SELECT name FROM api_tokens ORDER BY id")).scalars())
    finally:
        engine.dispose()


def test_duplicate_token_names_are_renamed_oldest_keeps_its_name_and_each_renaming_is_logged(
    blank_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    migrate.upgrade(blank_url, "0005")
    _insert_tokens(blank_url, ["admin", "admin", "admin-2", "admin", "rota"])

    with caplog.at_level("WARNING", logger="alembic.runtime.migration"):
        migrate.upgrade(blank_url, "0013")

    assert _names(blank_url) == ["admin", "admin-3", "admin-2", "admin-4", "rota"]
    renamings = [r.getMessage() for r in caplog.records if "renamed" in r.getMessage()]
    assert renamings == [
        "api token 2 renamed from 'admin' to 'admin-3': token names are now unique",
        "api token 4 renamed from 'admin' to 'admin-4': token names are now unique",
    ]
    engine = make_engine(blank_url)
    try:
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(
                # An explicit id: the failure must come from the name, not from a sequence behind the ids above.
                text("INSERT INTO api_tokens (id, name, token_hash, created_at) VALUES (99, 'rota', :hash, :at)"),
                {"hash": "f" * 64, "at": CREATED},
            )
        assert "console_sessions" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_the_migration_downgrades_to_duplicates_allowed_and_no_sessions_table(blank_url: str) -> None:
    migrate.upgrade(blank_url, "0013")
    command.downgrade(migrate.alembic_config(blank_url), "0005")

    _insert_tokens(blank_url, ["admin", "admin"])
    assert _names(blank_url) == ["admin", "admin"]
    engine = make_engine(blank_url)
    try:
        assert "console_sessions" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()
