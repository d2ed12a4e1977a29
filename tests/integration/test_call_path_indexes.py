"""Migration 0018: the call path's indexes, up and down on both databases, and the statements of the code using them."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from psycopg import sql as psycopg_sql
from sqlalchemy import inspect, text

from bench import bench_webhooks, grow_history
from bench.plan_call_path import Sent, explain, ringing_statements
from orientation.core import migrate
from orientation.core.db import make_engine
from tests.integration.test_migration_0013 import blank_url  # noqa: F401  (the fixture: an empty database)

INDEX = "ix_attempts_volunteer_unanswered"
CONVERSATIONS = "ix_attempts_volunteer_in_conversation"
WAITS = "ix_requests_wait_ended"
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _indexes(url: str, table: str = "attempts") -> set[str]:
    engine = make_engine(url)
    try:
        return {index["name"] for index in inspect(engine).get_indexes(table) if index["name"]}
    finally:
        engine.dispose()


def _definition(url: str, name: str = INDEX) -> str:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                sql = "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"
            else:
                sql = "SELECT pg_get_indexdef(CAST(:name AS regclass))"
            return str(connection.execute(text(sql), {"name": name}).scalar_one())
    finally:
        engine.dispose()


def test_the_index_is_made_on_upgrade_and_dropped_on_downgrade(blank_url: str) -> None:  # noqa: F811
    migrate.upgrade(blank_url)
    assert INDEX in _indexes(blank_url) and WAITS in _indexes(blank_url, "requests")

    command.downgrade(migrate.alembic_config(blank_url), "0018@-1")

    assert INDEX not in _indexes(blank_url) and WAITS not in _indexes(blank_url, "requests")
    assert "ix_attempts_volunteer_id" in _indexes(blank_url)
    assert "ix_requests_board_waiting" in _indexes(blank_url, "requests")  # another branch (0017) stayed up
    migrate.upgrade(blank_url)
    assert INDEX in _indexes(blank_url) and WAITS in _indexes(blank_url, "requests")


def test_the_index_holds_only_the_attempts_without_a_result_by_volunteer_and_offer_time(
    blank_url: str,  # noqa: F811
) -> None:
    migrate.upgrade(blank_url)

    definition = _definition(blank_url)

    assert "result IS NULL" in definition
    assert definition.index("volunteer_id") < definition.index("offered_at")


def test_the_wait_index_holds_the_requests_that_waited_by_territory_and_end_of_wait(
    blank_url: str,  # noqa: F811
) -> None:
    migrate.upgrade(blank_url)

    definition = _definition(blank_url, WAITS)

    assert "wait_ended_at IS NOT NULL" in definition
    assert definition.index("territory_id") < definition.index("wait_ended_at")


def _migrated_and_grown(url: str) -> None:
    """Migrated, 20 volunteers on shift and, on PostgreSQL, 3,000 past requests with their 4,000 attempts, ANALYZEd."""
    migrate.upgrade(url)
    bench_webhooks.seed(url, 20, NOW, random.Random(3))
    if url.startswith("postgresql"):
        counts = grow_history.grow(url, 1, NOW, requests=3000)
        assert counts["attempts"] == 4000


def _plan(url: str, name: str, analyze: bool) -> str:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            statement, params = ringing_statements(connection, NOW)[name]
            if engine.dialect.name == "sqlite":
                if isinstance(statement, Sent):
                    sql, bound = statement.sql, tuple(statement.params)
                else:
                    compiled = statement.compile(dialect=connection.dialect)
                    sql, bound = compiled.string, tuple(_positional(compiled, params))
                rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, bound)
                return "\n".join(str(row[-1]) for row in rows)
            return "\n".join(explain(connection, statement, params, analyze=analyze))
    finally:
        engine.dispose()


def _positional(compiled: Any, params: dict[str, Any]) -> list[Any]:
    bound = compiled.construct_params(params)
    return [bound[name] for name in compiled.positiontup]


@pytest.mark.parametrize(
    ("statement", "index", "table"),
    [
        ("free volunteers (each routing decision)", INDEX, "attempts"),
        ("claim: INSERT attempt unless ringing", INDEX, "attempts"),
        ("waiting line: recent answered waits (each turn)", WAITS, "requests"),
        ("live board: volunteers offered a call (every 10 s)", INDEX, "attempts"),
        ("live board: volunteers in a conversation (every 10 s)", CONVERSATIONS, "attempts"),
    ],
)
def test_the_call_paths_statements_read_their_index_not_the_growing_table(
    blank_url: str,  # noqa: F811
    statement: str,
    index: str,
    table: str,
) -> None:
    _migrated_and_grown(blank_url)

    plan = _plan(blank_url, statement, analyze=True)

    assert index in plan, plan
    assert f"Seq Scan on {table}" not in plan and f"SCAN {table}" not in plan, plan


def _generic_plan(url: str, name: str) -> str:
    """PostgreSQL's generic plan of the statement (as a prepared statement run often gets it), parameters unknown."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            statement, params = ringing_statements(connection, NOW)[name]
            if isinstance(statement, Sent):
                sql, bound = statement.sql, statement.params
            else:
                compiled = statement.compile(dialect=connection.dialect)
                sql, bound = compiled.string, compiled.construct_params(params)
            names = list(dict.fromkeys(re.findall(r"%\((\w+)\)s", sql)))
            numbered = re.sub(r"%\((\w+)\)s", lambda m: f"${names.index(m.group(1)) + 1}", sql)
            connection.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
            connection.exec_driver_sql(f"PREPARE generic AS {numbered}")
            types = connection.exec_driver_sql(
                "SELECT CAST(parameter_types AS text[]) FROM pg_prepared_statements WHERE name = 'generic'"
            ).scalar_one()
            # EXECUTE takes no bind parameters: the values go in as literals, cast to the prepared types.
            raw = connection.connection.dbapi_connection
            literals = [psycopg_sql.Literal(bound[n]).as_string(raw) for n in names]
            arguments = ", ".join(f"CAST({value} AS {t})" for value, t in zip(literals, types, strict=True))
            rows = connection.exec_driver_sql(f"EXPLAIN EXECUTE generic({arguments})")
            plan = "\n".join(row[0] for row in rows)
            connection.rollback()
            return plan
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("statement", "index"),
    [
        ("free volunteers (each routing decision)", INDEX),
        ("claim: INSERT attempt unless ringing", INDEX),
        ("waiting line: recent answered waits (each turn)", WAITS),
        ("live board: volunteers offered a call (every 10 s)", INDEX),
        ("live board: volunteers in a conversation (every 10 s)", CONVERSATIONS),
    ],
)
def test_a_generic_plan_of_the_prepared_statement_still_reads_the_index(
    blank_url: str,  # noqa: F811
    statement: str,
    index: str,
) -> None:
    if not blank_url.startswith("postgresql"):
        pytest.skip("prepared statements' generic plans are PostgreSQL's")
    _migrated_and_grown(blank_url)

    plan = _generic_plan(blank_url, statement)

    assert "$" in plan and index in plan, plan  # planned with the parameters unknown, and through the index


def test_migration_0019_makes_the_conversations_index_and_its_downgrade_drops_it(blank_url: str) -> None:  # noqa: F811
    migrate.upgrade(blank_url)
    assert CONVERSATIONS in _indexes(blank_url)
    definition = _definition(blank_url, CONVERSATIONS)
    assert "accepted" in definition and "ended_at IS NULL" in definition, definition

    command.downgrade(migrate.alembic_config(blank_url), "0019@-1")

    assert CONVERSATIONS not in _indexes(blank_url) and INDEX in _indexes(blank_url)  # 0018, another branch, stayed
    migrate.upgrade(blank_url)
    assert CONVERSATIONS in _indexes(blank_url)
