"""Migration 0017: the live board's partial index on the callers waiting now, up and down on both databases."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from orientation.core import migrate
from orientation.core.db import make_engine
from tests.integration.test_migration_0013 import blank_url  # noqa: F401  (the fixture: an empty database)

INDEX = "ix_requests_board_waiting"


def _indexes(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return {index["name"] for index in inspect(engine).get_indexes("requests") if index["name"]}
    finally:
        engine.dispose()


def test_the_index_is_made_on_upgrade_and_dropped_on_downgrade(blank_url: str) -> None:  # noqa: F811
    migrate.upgrade(blank_url)
    assert INDEX in _indexes(blank_url)

    command.downgrade(migrate.alembic_config(blank_url), "0015")

    assert INDEX not in _indexes(blank_url)
    migrate.upgrade(blank_url)
    assert INDEX in _indexes(blank_url)


def test_the_index_holds_only_the_callers_waiting_now(blank_url: str) -> None:  # noqa: F811
    migrate.upgrade(blank_url)
    engine = make_engine(blank_url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                where = connection.execute(
                    text("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"), {"name": INDEX}
                ).scalar_one()
            else:
                where = connection.execute(
                    text("SELECT pg_get_indexdef(CAST(:name AS regclass))"), {"name": INDEX}
                ).scalar_one()
    finally:
        engine.dispose()
    assert "wait_started_at IS NOT NULL" in where and "wait_ended_at IS NULL" in where
