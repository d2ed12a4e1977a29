"""Backup and restore as the README says: pg_dump of a live database, pg_restore into a fresh one, same data."""

from __future__ import annotations

import glob
import os
import re
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, make_url, select, text
from sqlalchemy.engine import URL, Engine
from sqlalchemy.orm import Session

from orientation.core import migrate
from orientation.core.clock import FrozenClock
from orientation.core.db import make_engine, make_session_factory
from orientation.core.models import Event, Request
from orientation.services import audit
from orientation.services.stats import figures_for
from tests import factories

# PostgreSQL only: the other databases of the suite's parametrisation are left out.
pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def pg_tool(name: str) -> str:
    """The newest PostgreSQL client tool installed (as new as the server scripts/test-postgres.sh starts)."""
    found = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda path: [int(n) for n in re.findall(r"\d+", path.split("/")[4])],
    )
    if not found:
        message = f"{name} not found under /usr/lib/postgresql/*/bin"
        if os.environ.get("ORIENTATION_REQUIRE_POSTGRES"):
            pytest.fail(message)
        pytest.skip(message)
    return found[-1]


def connection_args(url: URL) -> tuple[list[str], dict[str, str]]:
    """The -h/-p/-U arguments and the environment (password) of the client tools for a database URL."""
    args = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


@pytest.fixture
def restored_url(database_url: str) -> Iterator[str]:
    """The URL of an empty database beside the test database, dropped afterwards."""
    url = make_url(database_url)
    name = f"{url.database}_restored"
    admin = make_engine(url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def all_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table in the database (every migration branch's, and Alembic's), in key order."""
    tables = MetaData()
    tables.reflect(bind=engine)
    with engine.connect() as connection:
        return {
            name: [tuple(r) for r in connection.execute(select(table).order_by(*(table.primary_key or table.c)))]
            for name, table in sorted(tables.tables.items())
        }


def test_a_dump_restored_into_a_fresh_database_holds_the_same_requests_timelines_and_schema_version(
    session: Session, engine: Engine, database_url: str, restored_url: str, clock: FrozenClock, tmp_path: Path
) -> None:
    now = clock()
    territory = factories.territory(session, now)
    factories.volunteer(session, territory, now)
    request = factories.closed_call(session, territory, now - timedelta(days=1))
    audit.record(session, "token:admin", "read", request, now)
    session.commit()
    events = session.scalars(select(Event).where(Event.request_id == request.id).order_by(Event.id)).all()
    assert len(events) >= 5
    args, env = connection_args(make_url(database_url))
    source_db = make_url(database_url).database or ""
    dump = tmp_path / "orientation.dump"

    dumped = subprocess.run(
        [pg_tool("pg_dump"), *args, "--format=custom", "--no-owner", f"--file={dump}", f"--dbname={source_db}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert dumped.returncode == 0, dumped.stderr
    restored_db = make_url(restored_url).database or ""
    restored = subprocess.run(
        [pg_tool("pg_restore"), *args, "--no-owner", "--exit-on-error", f"--dbname={restored_db}", str(dump)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert restored.returncode == 0, restored.stderr

    copy = make_engine(restored_url)
    try:
        original = all_rows(engine)
        assert {"requests", "events", "audit_log", "alembic_version"} <= set(original)
        assert all_rows(copy) == original
        with make_session_factory(copy)() as other:
            again = other.scalars(select(Request).where(Request.reference == request.reference)).one()
            assert (again.caller, again.outcome, again.outcome_note, again.created_at) == (
                request.caller,
                request.outcome,
                request.outcome_note,
                request.created_at,
            )
            assert [(e.kind, e.at, e.payload, e.actor) for e in again.events] == [
                (e.kind, e.at, e.payload, e.actor) for e in events
            ]
            assert figures_for(other, None, None, None) == figures_for(session, None, None, None)
        with copy.connect() as connection:
            versions = set(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
        heads = set(ScriptDirectory.from_config(migrate.alembic_config(restored_url)).get_heads())
        assert versions == heads
        # The restored database is one the app can start on: migrating it again has nothing to do.
        migrate.upgrade(restored_url)
        assert all_rows(copy)["alembic_version"] == sorted((v,) for v in heads)
    finally:
        copy.dispose()
