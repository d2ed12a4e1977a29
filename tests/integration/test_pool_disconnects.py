"""Pooled PostgreSQL connections the server dropped (a restart, a killed backend): without pool_pre_ping."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from orientation.core.db import is_disconnect, make_engine


@pytest.fixture
def admin(postgres_url: str) -> Iterator[Engine]:
    """Another engine on the same server, to end the backends of the engine under test."""
    engine = make_engine(postgres_url)
    yield engine
    engine.dispose()


def _pooled_backend(engine: Engine) -> int:
    """Open, use and return one pooled connection; the pid of its PostgreSQL backend."""
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(admin: Engine, pid: int) -> None:
    with admin.connect() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
        connection.commit()


def test_a_connection_idle_for_longer_than_the_threshold_is_pinged_and_replaced(
    postgres_url: str, admin: Engine
) -> None:
    # A threshold of zero: every returned connection counts as idle, as after a quiet second in production.
    engine = make_engine(postgres_url, ping_after_idle=0.0, pool_size=1)
    try:
        dead = _pooled_backend(engine)
        _terminate(admin, dead)
        assert _pooled_backend(engine) != dead  # no error: the ping found it dead, a new one was opened
    finally:
        engine.dispose()


def test_a_connection_in_steady_use_is_not_pinged_and_the_first_statement_tells_a_disconnect(
    postgres_url: str, admin: Engine
) -> None:
    # A threshold of an hour: the connection counts as in steady use, as under load, so no round trip is
    # spent on it; a drop shows on the first statement, as a disconnect the caller may retry once.
    engine = make_engine(postgres_url, ping_after_idle=3600.0, pool_size=1)
    try:
        dead = _pooled_backend(engine)
        _terminate(admin, dead)
        with pytest.raises(DBAPIError) as failure:
            _pooled_backend(engine)
        assert is_disconnect(failure.value)
        assert _pooled_backend(engine) != dead  # the pool was refreshed: the retry works
    finally:
        engine.dispose()


def test_an_ordinary_database_error_is_no_disconnect(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    try:
        with pytest.raises(DBAPIError) as failure, engine.connect() as connection:
            connection.execute(text("SELECT * FROM no_such_table"))
        assert not is_disconnect(failure.value)
    finally:
        engine.dispose()
