"""The clock process: APScheduler 3 running the jobs fixed in code, one active instance at a time.

The jobs are added again at every start, so the scheduler keeps them in memory (nothing to pickle or
store); the advisory lock (a file lock on SQLite) lets only one clock process work at a time.
"""

from __future__ import annotations

import fcntl
import importlib
import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from orientation.core import logs
from orientation.core.config import Config
from orientation.core.db import make_engine, make_session_factory
from orientation.core.runtime import Runtime

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


@dataclass(frozen=True)
class JobRun:
    """What one run of a job gave: its result (a count, for every job so far) or its error, and how long it took."""

    job_id: str
    result: Any
    seconds: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the job returned instead of raising."""
        return self.error is None


def job_function(spec: JobSpec) -> Any:
    """The function a job runs, imported from its `module:function` path."""
    module_name, _, function_name = spec.path.partition(":")
    return getattr(importlib.import_module(module_name), function_name)


def describe(spec: JobSpec) -> str:
    """What a job does: the first line of its function's docstring, without its "Job:" label."""
    doc = (job_function(spec).__doc__ or "").strip().splitlines()
    first = doc[0] if doc else spec.path
    return re.sub(r"^(Clock job|Job): ", "", first)


def execute(spec: JobSpec, rt: Runtime) -> JobRun:
    """Run one job once, now: function(runtime, now), logged with its duration and result; never raises.

    Jobs are plain functions of the runtime and an instant, so tests call them directly with a frozen clock.
    """
    started = time.perf_counter()
    with logs.scope(job=spec.id):
        try:
            result = job_function(spec)(rt, rt.clock())
        except Exception as exc:
            seconds = time.perf_counter() - started
            log.exception("job %s failed after %.3f s (%s)", spec.id, seconds, type(exc).__name__)
            return JobRun(spec.id, None, seconds, type(exc).__name__)
        seconds = time.perf_counter() - started
        log.info("job %s done in %.3f s: %s", spec.id, seconds, result)
    return JobRun(spec.id, result, seconds)


def run_job(job_id: str) -> None:
    """Run the job of that id in the clock process's app: how APScheduler invokes every job."""
    execute(job_by_id(job_id), job_runtime())


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


# Every job of the clock process (and of `orientation jobs`). Add a line here to schedule a new one.
JOBS: list[JobSpec] = [
    JobSpec("dispatch_outbox", "orientation.cli.scheduler:dispatch_outbox", {"trigger": "interval", "seconds": 60}),
    JobSpec(
        "rota_reminders",
        "orientation.services.volunteer_reminders:send_shift_reminders",
        {"trigger": "cron", "minute": "*/5"},
    ),
    JobSpec(
        "rota_gaps_summary",
        "orientation.services.volunteer_reminders:send_gaps_summary",
        {"trigger": "cron", "minute": "*/15"},
    ),
    JobSpec("retention", "orientation.services.privacy:pseudonymise_expired", {"trigger": "cron", "hour": 3}),
    JobSpec("replay_journal", "orientation.services.journal_replay:replay_job", {"trigger": "interval", "seconds": 60}),
    JobSpec("callbacks", "orientation.services.callback_jobs:work_callbacks", {"trigger": "interval", "seconds": 60}),
    JobSpec("waiting_line", "orientation.services.waitline:dispatch_lines", {"trigger": "interval", "seconds": 15}),
    JobSpec("recordings", "orientation.services.callback_jobs:purge_recordings", {"trigger": "cron", "minute": 30}),
    JobSpec("stats_tallies", "orientation.services.stats_rollups:store_tallies", {"trigger": "cron", "hour": 2}),
]


def job_by_id(job_id: str) -> JobSpec:
    """The job of that id; KeyError names the known ones."""
    for spec in JOBS:
        if spec.id == job_id:
            return spec
    raise KeyError(f"no job {job_id!r}; the jobs are: {', '.join(spec.id for spec in JOBS)}")


def describe_trigger(trigger: dict[str, Any]) -> str:
    """A job's schedule in a few words: "every 60 s", "cron minute=*/5" (Europe/Paris)."""
    kind = trigger.get("trigger")
    fields = " ".join(f"{k}={v}" for k, v in trigger.items() if k != "trigger")
    if kind == "interval" and set(trigger) == {"trigger", "seconds"}:
        return f"every {trigger['seconds']} s"
    return f"{kind} {fields}".strip()


def run_clock(config: Config, stop_after: float | None = None) -> int:
    """Run the scheduler until interrupted; a second clock process waits as a stand-by."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    logs.configure(config.log_format, config.log_level)
    engine = make_engine(config.database_url)
    make_session_factory(engine)
    started = time.monotonic()
    while True:
        with single_instance(engine, str(Path(config.journal_dir).parent)) as acquired:
            if acquired:
                log.info("clock: holding the lock, starting the scheduler")
                # The default job store, in memory: the jobs come from JOBS at every start.
                scheduler = BlockingScheduler(timezone="Europe/Paris")
                for job in JOBS:
                    scheduler.add_job(
                        run_job,
                        args=[job.id],
                        id=job.id,
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
