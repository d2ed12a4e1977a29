"""Migration 0010 on a database that already holds duplicate reference prefixes (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import make_url, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from orientation.core import migrate
from orientation.core.db import make_engine
from orientation.core.models import ReferenceCounter, Request, Territory

AT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of this test alone."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'before-0010.sqlite3'}"
        return
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        pytest.skip("TEST_DATABASE_URL not set: run `make test` to start a PostgreSQL server")
    name = f"orientation_test_0010_{os.getpid()}"
    admin = make_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(server).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _upgrade_all_but_0010(url: str) -> None:
    config = migrate.alembic_config(url)
    for head in ScriptDirectory.from_config(config).get_heads():
        if head != "0010":
            command.upgrade(config, head)


def _territory(session: Session, name: str, prefix: str) -> Territory:
    territory = Territory(name=name, reference_prefix=prefix, created_at=AT)
    session.add(territory)
    session.flush()
    return territory


def _request(session: Session, territory: Territory, reference: str, year: int) -> None:
    session.add(Request(territory_id=territory.id, reference=reference, created_at=AT, updated_at=AT))
    session.merge(ReferenceCounter(territory_id=territory.id, year=year, value=int(reference.rsplit("-", 1)[1])))


def test_the_migration_renames_duplicate_prefixes_says_which_and_keeps_them_unique(
    fresh_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _upgrade_all_but_0010(fresh_url)
    engine = make_engine(fresh_url)
    with Session(engine) as session:
        beta = _territory(session, "CPTS Beta", "B")
        bresse = _territory(session, "CPTS Bresse", "b")  # the same prefix in another case
        bas = _territory(session, "CPTS Bas", "B2")
        bugey = _territory(session, "CPTS Bugey", "B")
        _request(session, beta, "B-2026-000001", 2026)
        # Bresse took calls in 2025 before Beta had any: Beta's 2025 numbers up to 3 are taken.
        _request(session, bresse, "b-2025-000003", 2025)
        session.commit()
        ids = [beta.id, bresse.id, bas.id, bugey.id]

    migrate.upgrade(fresh_url)

    printed = capsys.readouterr().out
    also = f"is also territory {beta.id}'s, renamed to"
    assert f"territory {bresse.id} (CPTS Bresse): reference prefix b {also} B3" in printed
    assert f"territory {bugey.id} (CPTS Bugey): reference prefix B {also} B4" in printed
    assert "CPTS Beta" not in printed and "CPTS Bas" not in printed
    with Session(engine) as session:
        prefixes = [session.get(Territory, i).reference_prefix for i in ids]  # type: ignore[union-attr]
        assert prefixes == ["B", "B3", "B2", "B4"]
        counters = session.execute(
            select(ReferenceCounter.year, ReferenceCounter.value).where(ReferenceCounter.territory_id == beta.id)
        ).all()
        assert sorted(counters) == [(2025, 3), (2026, 1)]
        session.add(Territory(name="CPTS Doublon", reference_prefix="b2", created_at=AT))
        with pytest.raises(IntegrityError):
            session.flush()
    engine.dispose()


def test_the_migration_goes_down_and_up_again(fresh_url: str) -> None:
    migrate.upgrade(fresh_url)
    config = migrate.alembic_config(fresh_url)

    command.downgrade(config, "0010@0001")
    engine = make_engine(fresh_url)
    with engine.connect() as connection:
        heads = set(MigrationContext.configure(connection).get_current_heads())
    assert "0010" not in heads and "0009" in heads  # only this branch went down
    with Session(engine) as session:
        session.add_all([Territory(name=n, reference_prefix="X", created_at=AT) for n in ("CPTS Un", "CPTS Deux")])
        session.commit()
    engine.dispose()
    migrate.upgrade(fresh_url)

    engine = make_engine(fresh_url)
    with Session(engine) as session:
        assert sorted(session.scalars(select(Territory.reference_prefix))) == ["X", "X2"]
    engine.dispose()
