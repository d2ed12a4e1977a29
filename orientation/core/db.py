"""Database plumbing: the declarative Base, engines and sessions."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, MetaData, TypeDecorator, create_engine, event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every model; names constraints so Alembic migrations are stable."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, whatever the backend (SQLite forgets time zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# A pooled connection unused for longer than this is pinged before it is handed out (see make_engine).
PING_AFTER_IDLE_SECONDS = 1.0


def make_engine(url: str, ping_after_idle: float = PING_AFTER_IDLE_SECONDS, **kwargs: Any) -> Engine:
    """An engine for the URL; SQLite gets foreign keys, WAL and a busy timeout; PostgreSQL connections idle
    for more than `ping_after_idle` seconds are pinged when checked out."""
    # A database error's text is logged with its traceback: it must not carry the statement's values,
    # which include callers' numbers and messages.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": 15, "check_same_thread": False})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    # Not pool_pre_ping: its round trip on every checkout cost each webhook as much as one of its statements.
    # Under load a pooled connection is handed out again within milliseconds, and is not pinged; one idle for
    # a second or more (a quiet line, the console, the clock's jobs) is, so that after a PostgreSQL restart
    # nobody meets a dead connection. What was in use at the instant of the restart fails on its next
    # statement (SQLAlchemy's "Dealing with Disconnects", optimistic): SQLAlchemy then invalidates every pooled
    # connection older than that failure, and the caller may run its unit of work once more (`is_disconnect`;
    # the Twilio webhooks and the journal replay do). pool_recycle replaces connections an hour old, before the
    # idle timeout of a firewall or proxy between the app and PostgreSQL closes them silently.
    kwargs.setdefault("pool_recycle", 3600)
    engine = create_engine(url, **kwargs)
    _ping_when_idle(engine, ping_after_idle)
    return engine


def _ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Ping a pooled connection at checkout when it was last checked in more than `idle_seconds` ago."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("checked_in_at")
        if returned is None or time.monotonic() - returned <= idle_seconds:
            return  # new, or in steady use
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # The pool discards this connection and hands out a new one instead (up to three tries).
            raise DisconnectionError("a pooled connection idle since before a disconnect") from exc


def is_disconnect(error: BaseException) -> bool:
    """True when a database error came from a connection the server dropped (a restart): the pool has been
    refreshed, and the same unit of work may be run once more on a new connection."""
    return isinstance(error, DBAPIError) and error.connection_invalidated


# PostgreSQL's SQLSTATEs for a transaction it chose to abort so that another could go on: a deadlock between row
# locks, a serialization failure. Nothing of it was committed; run again, it waits for the other and succeeds.
_RETRYABLE_STATES = frozenset({"40P01", "40001"})


def is_retryable(error: BaseException) -> bool:
    """True when the database aborted the unit of work only to break a deadlock (or a serialization conflict):
    rolled back, it may be run once more as it is."""
    return isinstance(error, DBAPIError) and getattr(error.orig, "sqlstate", None) in _RETRYABLE_STATES


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose sessions keep loaded objects usable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work: commits on success, rolls back on any error, always closes."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
