"""The clock process: jobs held in memory (no pickles in the database), each run logged with its duration and result."""

from __future__ import annotations

import logging
import os
from datetime import datetime
from pathlib import Path

import pytest
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import inspect, make_url, text
from sqlalchemy.engine import Engine

from orientation.cli import scheduler
from orientation.cli.scheduler import JOBS, JobSpec, execute, job_by_id, run_clock
from orientation.core import migrate
from orientation.core.clock import FrozenClock
from orientation.core.config import Config
from orientation.core.db import make_engine
from orientation.core.runtime import Runtime
from tests import factories


def counted(rt: Runtime, now: datetime) -> int:
    """Job: a test job returning a count."""
    return 7 if now == rt.clock() else -1


def broken(rt: Runtime, now: datetime) -> int:
    """Job: a test job that fails."""
    raise RuntimeError("boom")


def test_a_job_run_is_logged_with_its_id_duration_and_result(
    engine: Engine, config: Config, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="orientation")
    run = execute(JobSpec("counted", f"{__name__}:counted", {}), factories.runtime(config, engine, clock))

    assert run.ok and run.result == 7 and run.seconds >= 0
    [line] = [r for r in caplog.records if r.name == "orientation.cli.scheduler"]
    assert line.levelno == logging.INFO and line.getMessage().startswith("job counted done in ")
    assert line.getMessage().endswith(" s: 7")


def test_a_failing_job_is_logged_with_its_error_and_does_not_raise(
    engine: Engine, config: Config, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    run = execute(JobSpec("broken", f"{__name__}:broken", {}), factories.runtime(config, engine, clock))

    assert not run.ok and run.error == "RuntimeError" and run.result is None
    [line] = [r for r in caplog.records if r.name == "orientation.cli.scheduler"]
    assert line.levelno == logging.ERROR and line.exc_info is not None
    assert line.getMessage().startswith("job broken failed after ")


def test_the_clock_log_lines_name_the_job_they_belong_to(
    engine: Engine, config: Config, clock: FrozenClock, capsys: pytest.CaptureFixture[str]
) -> None:
    from orientation.core import logs

    logs.configure("text")
    execute(JobSpec("counted", f"{__name__}:counted", {}), factories.runtime(config, engine, clock))

    [line] = [line for line in capsys.readouterr().err.splitlines() if "orientation.cli.scheduler" in line]
    assert " INFO orientation.cli.scheduler [job=counted] job counted done in " in line


def test_every_job_is_found_by_its_id_and_an_unknown_id_names_the_known_ones() -> None:
    assert [job_by_id(spec.id) for spec in JOBS] == JOBS
    with pytest.raises(KeyError, match="dispatch_outbox"):
        job_by_id("dispatch-outbox")


def test_the_clock_keeps_its_jobs_in_memory_and_creates_no_table(
    engine: Engine, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[BlockingScheduler] = []
    monkeypatch.setattr(BlockingScheduler, "start", lambda self, *a, **k: started.append(self))
    engines: list[Engine] = []
    real_make_engine = scheduler.make_engine
    monkeypatch.setattr(scheduler, "make_engine", lambda url: engines.append(real_make_engine(url)) or engines[-1])
    try:
        assert run_clock(config) == 0
    finally:
        for made in engines:
            made.dispose()

    [clock_scheduler] = started
    # No job store configured: APScheduler adds its default, in memory, when it starts.
    assert clock_scheduler._jobstores == {}
    assert isinstance(clock_scheduler._create_default_jobstore(), MemoryJobStore)
    assert sorted(job.id for job in clock_scheduler.get_jobs()) == sorted(spec.id for spec in JOBS)
    # Each job is called by its id: nothing of it needs pickling.
    assert {job.args for job in clock_scheduler.get_jobs()} == {(spec.id,) for spec in JOBS}
    assert "clock_jobs" not in inspect(engine).get_table_names()


def _fresh_database(database_url: str, tmp_path: Path) -> tuple[str, Engine | None]:
    """A new empty database of the same kind as the test one (and an admin engine to drop it, on PostgreSQL)."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'fresh.sqlite3'}", None
    admin = make_engine(os.environ["TEST_DATABASE_URL"], isolation_level="AUTOCOMMIT")
    name = f"orientation_clock_{os.getpid()}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    return make_url(database_url).set(database=name).render_as_string(hide_password=False), admin


def test_migration_0014_drops_the_old_job_table_and_can_be_undone(database_url: str, tmp_path: Path) -> None:
    url, admin = _fresh_database(database_url, tmp_path)
    engine = make_engine(url)
    try:
        migrate.upgrade(url, "0001")
        with engine.begin() as connection:  # what APScheduler's job store created by itself
            connection.execute(
                text(
                    "CREATE TABLE clock_jobs (id VARCHAR(191) PRIMARY KEY, job_state BYTEA)".replace(
                        "BYTEA", "BYTEA" if engine.dialect.name == "postgresql" else "BLOB"
                    )
                )
            )
        migrate.upgrade(url, "0014")
        assert "clock_jobs" not in inspect(engine).get_table_names()

        from alembic import command

        command.downgrade(migrate.alembic_config(url), "0001")
        migrate.upgrade(url, "heads")  # and again: IF EXISTS, the table is long gone
        assert "clock_jobs" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
            admin.dispose()
