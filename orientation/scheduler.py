"""The clock process: APScheduler 3 with jobs kept in the database, one active instance at a time."""

from __future__ import annotations

import fcntl
import importlib
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from orientation.config import Config
from orientation.db import make_engine, make_session_factory
from orientation.runtime import Runtime

log = logging.getLogger(__name__)
LOCK_KEY = 0x0F1E_4A71  # the advisory lock that only one clock process holds


@contextmanager
def single_instance(engine: Engine, lock_dir: str) -> Iterator[bool]:
    """Hold the clock's lock while inside; yields False when another clock process already holds it.

    PostgreSQL: a session advisory lock on a connection kept open (released if the process dies).
    SQLite: an exclusive file lock beside the database's instance folder.
    """
    if engine.dialect.name == "postgresql":
        connection: Connection = engine.connect()
        try:
            acquired = bool(connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar())
            connection.commit()
            yield acquired
            if acquired:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
                connection.commit()
        finally:
            connection.close()
        return
    Path(lock_dir).mkdir(parents=True, exist_ok=True)
    with open(Path(lock_dir) / "clock.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


_APP: Any = None


def job_runtime() -> Runtime:
    """The runtime of the clock process's app (built once per process)."""
    global _APP
    if _APP is None:
        from orientation import create_app

        _APP = create_app()
    runtime: Runtime = _APP.extensions["orientation"]
    return runtime


def run_job(path: str) -> None:
    """Run the job `module:function`, called as function(runtime, now): how APScheduler invokes every job.

    Jobs are plain functions of the runtime and an instant, so tests call them directly with a frozen clock.
    """
    module_name, _, function_name = path.partition(":")
    function = getattr(importlib.import_module(module_name), function_name)
    rt = job_runtime()
    try:
        function(rt, rt.clock())
    except Exception:
        log.exception("job %s failed", path)


def dispatch_outbox(rt: Runtime, now: datetime) -> int:
    """Job: send SMS and calls still queued (a provider error earlier, or queued by another process)."""
    from orientation.services.messaging import dispatch

    return dispatch(rt.sessions, rt.sender, now=now, base_url=rt.config.public_base_url)


@dataclass(frozen=True)
class JobSpec:
    """A job of the clock process: what to run, and when (APScheduler trigger arguments)."""

    id: str
    path: str
    trigger: dict[str, Any]


# Every job of the clock process. Add a line here to schedule a new one.
JOBS: list[JobSpec] = [
    JobSpec("dispatch_outbox", "orientation.scheduler:dispatch_outbox", {"trigger": "interval", "seconds": 60}),
    JobSpec("rota_reminders", "volunteers.jobs:send_shift_reminders", {"trigger": "cron", "minute": "*/5"}),
    JobSpec("rota_gaps_summary", "volunteers.jobs:send_gaps_summary", {"trigger": "cron", "minute": "*/15"}),
    JobSpec("retention", "orientation.services.privacy:pseudonymise_expired", {"trigger": "cron", "hour": 3}),
    JobSpec("replay_journal", "orientation.services.journal_replay:replay_job", {"trigger": "interval", "seconds": 60}),
    JobSpec("callbacks", "orientation.services.callbacks:work_callbacks", {"trigger": "interval", "seconds": 60}),
    JobSpec("recordings", "orientation.services.callbacks:purge_recordings", {"trigger": "cron", "minute": 30}),
    JobSpec("stats_tallies", "orientation.services.stats_rollups:store_tallies", {"trigger": "cron", "hour": 2}),
]


def run_clock(config: Config, stop_after: float | None = None) -> int:
    """Run the scheduler until interrupted; a second clock process waits as a stand-by."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.blocking import BlockingScheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    engine = make_engine(config.database_url)
    make_session_factory(engine)
    started = time.monotonic()
    while True:
        with single_instance(engine, str(Path(config.journal_dir).parent)) as acquired:
            if acquired:
                log.info("clock: holding the lock, starting the scheduler")
                scheduler = BlockingScheduler(
                    jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename="clock_jobs")},
                    timezone="Europe/Paris",
                )
                for job in JOBS:
                    scheduler.add_job(
                        run_job,
                        args=[job.path],
                        id=job.id,
                        replace_existing=True,
                        coalesce=True,
                        max_instances=1,
                        misfire_grace_time=300,
                        **job.trigger,
                    )
                scheduler.start()
                return 0
        if stop_after is not None and time.monotonic() - started > stop_after:
            log.info("clock: another clock process holds the lock; giving up")
            return 1
        log.info("clock: another clock process is active; standing by")
        time.sleep(30)
