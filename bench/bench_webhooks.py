"""The Twilio webhook path under load: python -m bench.bench_webhooks [--full] [--json FILE].

gunicorn (2 workers, sync, then gthread as in the Procfile's settings) serves `orientation:create_app()` on 127.0.0.1
against a fresh PostgreSQL database (scripts/test-postgres.sh on port 54340) whose territory has a few
hundred volunteers on shift. wrk replays, through bench/replay.lua, webhooks signed here with twilio's
RequestValidator exactly as Twilio would post them for simulated calls (distinct CallSids): voice, menu,
postcode (routing: a <Dial> to a volunteer), the volunteer leg's status callbacks, screening, the
volunteer's 1, the <Dial> action and the call's final status.

The calls go through the flow one webhook kind at a time: every call's `voice`, then every call's `menu`,
and so on. The flow cannot be replayed blind in one stream: the attempt id of the <Dial> URLs is chosen
by the server at routing time, so the requests after routing are signed once routing has answered (read
from the database). Phases also give each kind its own latency distribution, which one mixed wrk run could
not. A batch never holds more calls than volunteers on shift, so every call is routed to a volunteer.

The same replayed requests then go, with the same gunicorn settings, to two baselines measured in the same
run: bench/minimal_app.py (one fixed TwiML), the simplest thing that answers Twilio, and bench/floor_app.py
(the signature checked, one event row inserted and committed, the same TwiML), the least every real webhook
must do. Both get the flow's requests repeated to about `minimal_requests`, each repetition with its own
CallSids (signed again), so that every request the floor stores is a first-time callback.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import select, text
from twilio.request_validator import RequestValidator

from bench import webhook_profile

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LUA = ROOT / "bench" / "replay.lua"
WORK = Path("/tmp/orientation-bench-webhooks")
PG_PORT = "54340"
PG_DATA = "/tmp/orientation-bench-pg"
DB_NAME = "orientation_bench_webhooks"
BASE_URL = "https://ligne.bench.invalid"
AUTH_TOKEN = "bench-auth-token-not-secret"
ACCOUNT_SID = "AC" + "b" * 32
LINE = "+33180000000"
POSTCODE = "75020"
LEVELS = (1, 8, 32)
# One webhook every 10 s per call in progress (menu answers, rings, callbacks): capacity = 10 × rate.
SECONDS_PER_WEBHOOK = 10
TARGET_SHARE = 0.25
TARGET_P99_MS = 50.0
# Issue 17's targets, against the floor measured in the same run (32 connections) and p99 at 8 connections.
TARGET_FLOW_FLOOR = 0.5
TARGET_POSTCODE_FLOOR = 0.35
TARGET_KIND_FLOOR = 0.5
CORES = 2
PROCFILE_LOG_FORMAT = '%(h)s "%(r)s" %(s)s %(b)s %(L)ss'
KINDS = (
    "voice.incoming",
    "voice.menu",
    "voice.postcode",
    "voice.screen",
    "voice.screen_answer",
    "voice.dial",
    "call.status",
)
SERVERS = {
    "sync": ["--workers", "2"],
    "gthread": ["--workers", "2", "--worker-class", "gthread", "--threads", "4"],
}


@dataclass(frozen=True)
class Sizes:
    """How many volunteers, and how many simulated calls at each number of connections."""

    volunteers: int
    calls: dict[int, int]
    minimal_requests: int
    profile_calls: int


# 480 calls at 32 connections: each kind's phase lasts about a second (160 calls lasted 0.3 s, and the shares of
# the floor moved by up to 0.1 between runs of the same code). 180 at 8 connections: a p99 of 60 answers was
# their slowest one.
SMALL = Sizes(volunteers=300, calls={1: 20, 8: 180, 32: 480}, minimal_requests=6000, profile_calls=60)
FULL = Sizes(volunteers=400, calls={1: 100, 8: 800, 32: 1600}, minimal_requests=30000, profile_calls=200)

# The figures of the run before this round of fixes (BENCHMARKS.md at f776d70, sync workers, 32 connections),
# kept here so that each run prints its before/after.
EARLIER = {
    "whole flow": "147 webhooks/s, p99 1,244 ms, 0.05 of the minimal endpoint (2,945/s)",
    "voice.postcode": "27/s, p99 1,314 ms (18 statements)",
    "voice.menu": "312/s (5 statements)",
    "call.status": "326/s (5.4 statements)",
}


# ---------------------------------------------------------------- latency histograms


@dataclass
class Histogram:
    """Latencies in microseconds (value → count), merged exactly across wrk runs."""

    counts: dict[int, int] = field(default_factory=dict)
    requests: int = 0
    seconds: float = 0.0
    # Server CPU seconds spent while these requests were replayed: gunicorn's processes, PostgreSQL's.
    app_cpu: float = 0.0
    pg_cpu: float = 0.0

    def add_run(self, report: dict[str, Any]) -> None:
        """Add one wrk report (its histogram, requests and time span)."""
        for value, count in report["latency"]:
            self.counts[value] = self.counts.get(value, 0) + count
        self.requests += report["requests"]
        self.seconds += report["span_s"]

    def merge(self, other: Histogram) -> None:
        """Add another histogram's samples and time."""
        for value, count in other.counts.items():
            self.counts[value] = self.counts.get(value, 0) + count
        self.requests += other.requests
        self.seconds += other.seconds
        self.app_cpu += other.app_cpu
        self.pg_cpu += other.pg_cpu

    def add_cpu(self, before: tuple[float, float], after: tuple[float, float]) -> None:
        """Add the server CPU between two CpuMeter readings."""
        self.app_cpu += after[0] - before[0]
        self.pg_cpu += after[1] - before[1]

    def percentile_ms(self, percent: float) -> float:
        """Nearest-rank percentile in milliseconds."""
        total = sum(self.counts.values())
        if total == 0:
            return float("nan")
        rank = min(total, max(1, math.ceil(percent * total / 100)))
        seen = 0
        for value in sorted(self.counts):
            seen += self.counts[value]
            if seen >= rank:
                return value / 1000
        return max(self.counts) / 1000

    @property
    def rate(self) -> float:
        """Requests per second over the runs' spans."""
        return self.requests / self.seconds if self.seconds else 0.0


# ---------------------------------------------------------------- processes


def ensure_wrk() -> str:
    """The wrk binary, installed from Debian's packages when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk not found: installing the Debian package", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env, stdout=subprocess.DEVNULL)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk could not be installed")
    return found


def start_postgres() -> str:
    """Start (or reuse) the benchmark's PostgreSQL server and return the URL of a fresh database."""
    env = {**os.environ, "ORIENTATION_TEST_PG_PORT": PG_PORT, "ORIENTATION_TEST_PG_DATA": PG_DATA}
    out = subprocess.run(
        [str(ROOT / "scripts" / "test-postgres.sh")], check=True, env=env, capture_output=True, text=True
    )
    base_url = out.stdout.strip().splitlines()[-1]
    return base_url.rsplit("/", 1)[0] + "/" + DB_NAME


def fresh_database(url: str) -> None:
    """Drop and create the benchmark database, then migrate it with `orientation db upgrade`."""
    import psycopg

    server = url.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    subprocess.run(
        [str(BIN / "orientation"), "db", "upgrade"],
        check=True,
        env={**os.environ, "DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ticks(pid: int, children: bool) -> int:
    """utime + stime of a process (and, with `children`, of its reaped children), in clock ticks; 0 if gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    # After the command name: fields[11:15] are utime, stime, cutime, cstime (proc(5), 14th to 17th).
    own = int(fields[11]) + int(fields[12])
    return own + (int(fields[13]) + int(fields[14]) if children else 0)


def _children(pid: int) -> list[int]:
    """The live child processes of a process."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds a process and every child it ever had used (live children counted, reaped ones included)."""
    ticks = _ticks(pid, children=True) + sum(_ticks(child, children=True) for child in _children(pid))
    return ticks / os.sysconf("SC_CLK_TCK")


def postmaster_pid() -> int:
    """The benchmark PostgreSQL's postmaster (its backends are its children)."""
    return int(Path(PG_DATA, "postmaster.pid").read_text().split()[0])


@dataclass
class CpuMeter:
    """Server CPU seconds (gunicorn master + workers, PostgreSQL postmaster + backends) between two readings."""

    app_pid: int
    pg_pid: int = field(default_factory=postmaster_pid)

    def read(self) -> tuple[float, float]:
        """(app, PostgreSQL) CPU seconds so far."""
        return tree_cpu_seconds(self.app_pid), tree_cpu_seconds(self.pg_pid)


def server_env(database_url: str) -> dict[str, str]:
    """The app's environment: Twilio token set (signatures checked), no account (SMS stay in the outbox)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    WORK.mkdir(parents=True, exist_ok=True)
    env.update(
        DATABASE_URL=database_url,
        PUBLIC_BASE_URL=BASE_URL,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        SECRET_KEY="bench-secret-key-not-for-production",
        ORIENTATION_ENV="production",
        ORIENTATION_SIMULATOR="0",
        ORIENTATION_INSTANCE=str(WORK / "instance"),
    )
    return env


@dataclass(frozen=True)
class Server:
    """A running gunicorn: its base URL and its CPU meter."""

    url: str
    cpu: CpuMeter


@contextmanager
def gunicorn(app: str, worker_args: list[str], env: dict[str, str], log_name: str) -> Iterator[Server]:
    """Serve `app` with gunicorn on a free loopback port (Procfile's access log); yield it."""
    port = free_port()
    log = (WORK / log_name).open("w")
    command = [
        str(BIN / "gunicorn"),
        *worker_args,
        "--bind",
        f"127.0.0.1:{port}",
        "--access-logfile",
        "-",
        "--access-logformat",
        PROCFILE_LOG_FORMAT,
        app,
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process)
        yield Server(url, CpuMeter(process.pid))
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        log.close()


def wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    """Wait (at most 30 s) until the server answers anything over HTTP."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}: see {WORK}")
        try:
            urllib.request.urlopen(url + "/healthz", timeout=2).close()  # noqa: S310 - loopback http only
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer on {url} within 30 s")


def run_wrk(wrk: str, url: str, requests_file: Path, connections: int, loops: int = 1) -> dict[str, Any]:
    """Replay every request of the file once (or `loops` times) with wrk; return replay.lua's report."""
    report = requests_file.with_suffix(".report.json")
    for stale in report.parent.glob(report.name + "*"):
        stale.unlink()
    command = [wrk, "-t1", f"-c{connections}", "-d600s", "--timeout", "20s", "-s", str(LUA), url]
    process = subprocess.Popen(
        [*command, "--", str(requests_file), str(loops)],
        env={**os.environ, "WRK_REPORT": str(report)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    marker = Path(f"{report}.done0")
    deadline = time.monotonic() + 600
    while not marker.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    # wrk runs for its whole -d otherwise; SIGINT makes it stop and call done().
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    _, errors = process.communicate(timeout=60)
    if not report.exists():
        raise RuntimeError(f"wrk wrote no report: {errors.decode(errors='replace')[-2000:]}")
    data: dict[str, Any] = json.loads(report.read_text())
    return data


# ---------------------------------------------------------------- the territory


def seed(database_url: str, volunteers: int, now: datetime, rng: random.Random) -> int:
    """A 24/7 territory with `volunteers` volunteers on shift now, created with the services."""
    from orientation.core.db import make_engine, make_session_factory, transaction
    from orientation.services.territories import create_territory
    from volunteers.models import Shift, ShiftPattern
    from volunteers.services import create_volunteer

    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    motives = ["medecin_traitant", "visite_domicile", "soins_non_programmes", "orientation"]
    with transaction(sessions) as session:
        territory = create_territory(
            session,
            {
                "name": "CPTS Banc d'essai",
                "phone_numbers": [LINE],
                "postcodes": [POSTCODE, "75019", "75011"],
                "opening_hours": "24/7",
                "coordinator_phone": "+33612000000",
            },
            now,
        )
        for number in range(volunteers):
            volunteer = create_volunteer(
                session,
                territory,
                {
                    "name": f"Bénévole {number}",
                    "phone": f"+3361{number:07d}",
                    "profession": rng.choice(["medecin", "infirmier", "sage_femme", "pharmacien"]),
                    "motives": motives,
                    "languages": ["fr"],
                },
                now,
            )
            # On shift for the whole run, and a year of weekly patterns as a real rota would hold.
            session.add(
                Shift(
                    volunteer_id=volunteer.id,
                    starts_at=now - timedelta(hours=1),
                    ends_at=now + timedelta(hours=12),
                    motives=[],
                    created_at=now,
                )
            )
            for _ in range(2):
                start = rng.choice(["08:00", "14:00", "18:00", "20:00"])
                session.add(
                    ShiftPattern(
                        volunteer_id=volunteer.id,
                        weekdays=sorted(rng.sample(range(7), 2)),
                        start_time=start,
                        end_time={"08:00": "12:00", "14:00": "18:00", "18:00": "22:00", "20:00": "08:00"}[start],
                        valid_from=date(now.year, 1, 1),
                        valid_until=date(now.year, 12, 31),
                        motives=[],
                        holidays="include",
                        created_at=now,
                    )
                )
        territory_id = territory.id
    engine.dispose()
    return territory_id


def routing_in_process(database_url: str, territory_id: int, runs: int = 15) -> dict[str, float]:
    """Median ms of the routing decision's database work, and of the exceptions query before/after the fix.

    "before" is the exceptions query as load_rota sent it until the fix (an IN list of every pattern id of
    the territory); "after" is the subquery it sends now; both read the same rows.
    """
    import statistics as stat

    from sqlalchemy import select as sql_select

    from orientation.core.db import make_engine, make_session_factory
    from orientation.core.models import Territory
    from volunteers.models import ShiftException, ShiftPattern, Volunteer
    from volunteers.services import load_rota, ring_candidates

    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    now = datetime.now(UTC)
    volunteer_ids = sql_select(Volunteer.id).where(Volunteer.territory_id == territory_id)
    timings: dict[str, list[float]] = {"ring_candidates": [], "load_rota": [], "before": [], "after": []}
    with sessions() as session:
        territory = session.get(Territory, territory_id)
        assert territory is not None
        ids = list(session.scalars(sql_select(ShiftPattern.id).where(ShiftPattern.volunteer_id.in_(volunteer_ids))))
        subquery = sql_select(ShiftPattern.id).where(ShiftPattern.volunteer_id.in_(volunteer_ids))
        work = {
            "ring_candidates": lambda: ring_candidates(session, territory, "orientation", "fr", now, ()),
            "load_rota": lambda: load_rota(session, territory_id, now),
            "before": lambda: session.scalars(
                sql_select(ShiftException).where(ShiftException.pattern_id.in_(ids))
            ).all(),
            "after": lambda: session.scalars(
                sql_select(ShiftException).where(ShiftException.pattern_id.in_(subquery))
            ).all(),
        }
        for _ in range(runs + 1):  # the first run warms up and is dropped
            for name, func in work.items():
                session.expire_all()
                started = time.perf_counter()
                func()
                timings[name].append((time.perf_counter() - started) * 1000)
    engine.dispose()
    return {name: stat.median(values[1:]) for name, values in timings.items()}


# ---------------------------------------------------------------- the simulated calls


@dataclass
class Call:
    """One simulated patient call: its sids, its caller and, once routed, the attempt rung."""

    sid: str
    leg_sid: str
    caller: str
    digit: str
    attempt: int | None = None


class Signer:
    """Writes request files for replay.lua, each request signed as Twilio signs it."""

    def __init__(self) -> None:
        self.validator = RequestValidator(AUTH_TOKEN)

    def line(self, target: str, params: dict[str, str]) -> str:
        """One 'path<TAB>signature<TAB>body' line."""
        signature = self.validator.compute_signature(BASE_URL + target, params)
        return f"{target}\t{signature}\t{urlencode(params)}"

    def write(self, path: Path, lines: list[str]) -> Path:
        """Write the lines (shuffled lines would be fairer, but order is already one request per call)."""
        path.write_text("\n".join(lines) + "\n" if lines else "")
        return path


def caller_params(call: Call, status: str) -> dict[str, str]:
    """What Twilio posts about the patient's leg."""
    return {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "CallSid": call.sid,
        "CallStatus": status,
        "Called": LINE,
        "CalledCountry": "FR",
        "Caller": call.caller,
        "CallerCountry": "FR",
        "Direction": "inbound",
        "From": call.caller,
        "FromCountry": "FR",
        "To": LINE,
        "ToCountry": "FR",
    }


def leg_params(call: Call, status: str, volunteer_phone: str) -> dict[str, str]:
    """What Twilio posts about the volunteer's leg of the <Dial>."""
    return {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "CallSid": call.leg_sid,
        "CallStatus": status,
        "Called": volunteer_phone,
        "Caller": LINE,
        "Direction": "outbound-dial",
        "From": LINE,
        "FromCountry": "FR",
        "ParentCallSid": call.sid,
        "To": volunteer_phone,
        "ToCountry": "FR",
    }


def progress(params: dict[str, str], sequence: int, when: datetime) -> dict[str, str]:
    """A call-progress status callback's extra fields."""
    return {
        **params,
        "CallbackSource": "call-progress-events",
        "SequenceNumber": str(sequence),
        "Timestamp": format_datetime(when),
    }


def routed_attempts(database_url: str, calls: list[Call]) -> tuple[dict[str, tuple[int, str]], int]:
    """Attempt id and volunteer phone rung for each routed call, and how many volunteers were rung twice."""
    from orientation.core.db import make_engine
    from orientation.core.models import Attempt, Request
    from volunteers.models import Volunteer

    engine = make_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(Request.call_sid, Attempt.id, Volunteer.phone, Attempt.volunteer_id)
            .join(Attempt, Attempt.request_id == Request.id)
            .join(Volunteer, Volunteer.id == Attempt.volunteer_id)
            .where(Request.call_sid.in_([c.sid for c in calls]))
        ).all()
    engine.dispose()
    found = {sid: (attempt_id, phone) for sid, attempt_id, phone, _ in rows}
    volunteers = [volunteer_id for *_, volunteer_id in rows]
    return found, len(volunteers) - len(set(volunteers))


@dataclass
class LevelResult:
    """One number of connections: per kind histograms, and what went wrong."""

    connections: int
    kinds: dict[str, Histogram] = field(default_factory=dict)
    calls: int = 0
    unrouted: int = 0
    double_rung: int = 0
    problems: int = 0
    socket_errors: int = 0
    files: list[Path] = field(default_factory=list)

    def total(self) -> Histogram:
        """Every webhook of the flow together."""
        merged = Histogram()
        for histogram in self.kinds.values():
            merged.merge(histogram)
        return merged


def run_flow(
    wrk: str, server: Server, database_url: str, connections: int, calls: int, batch: int, tag: str
) -> LevelResult:
    """Drive `calls` simulated calls through the whole flow, `batch` at a time, `connections` at once."""
    result = LevelResult(connections, {kind: Histogram() for kind in KINDS})
    signer = Signer()
    rng = random.Random(connections)
    done = 0
    for batch_number in itertools.count():
        size = min(batch, calls - done)
        if size <= 0:
            break
        prefix = WORK / f"{tag}-c{connections}-b{batch_number}"
        batch_calls = [
            Call(
                sid="CA" + os.urandom(16).hex(),
                leg_sid="CA" + os.urandom(16).hex(),
                caller=f"+336{rng.randrange(10**8):08d}",
                digit=str(rng.randint(1, 4)),
            )
            for _ in range(size)
        ]
        when = datetime.now(UTC)

        def phase(kind: str, name: str, lines: list[str], prefix: Path = prefix) -> None:
            path = signer.write(Path(f"{prefix}-{name}.txt"), lines)
            result.files.append(path)
            before = server.cpu.read()
            report = run_wrk(wrk, server.url, path, connections)
            result.kinds[kind].add_run(report)
            result.kinds[kind].add_cpu(before, server.cpu.read())
            # A webhook failed when its answer is not a 200, is the fallback TwiML, or never came.
            result.problems += report["non_ok"] + report["fallbacks"] + abs(len(lines) - report["requests"])
            result.socket_errors += sum(v for k, v in report["errors"].items() if k != "status")

        incoming = [signer.line("/twilio/voice", caller_params(c, "ringing")) for c in batch_calls]
        phase("voice.incoming", "voice", incoming)
        phase(
            "voice.menu",
            "menu",
            [
                signer.line("/twilio/voice/menu?attempt=1", {**caller_params(c, "in-progress"), "Digits": c.digit})
                for c in batch_calls
            ],
        )
        phase(
            "voice.postcode",
            "postcode",
            [
                signer.line("/twilio/voice/postcode?attempt=1", {**caller_params(c, "in-progress"), "Digits": POSTCODE})
                for c in batch_calls
            ],
        )
        attempts, double = routed_attempts(database_url, batch_calls)
        result.double_rung += double
        routed = []
        for call in batch_calls:
            if call.sid in attempts:
                call.attempt = attempts[call.sid][0]
                routed.append((call, attempts[call.sid][1]))
        result.unrouted += size - len(routed)
        ringing = []
        for call, phone in routed:
            for sequence, status in enumerate(("initiated", "ringing", "in-progress")):
                params = progress(leg_params(call, status, phone), sequence, when)
                ringing.append(signer.line(f"/twilio/status?attempt={call.attempt}", params))
        phase("call.status", "leg-status", ringing)
        phase(
            "voice.screen",
            "screen",
            [
                signer.line(f"/twilio/voice/screen?attempt={c.attempt}", leg_params(c, "in-progress", p))
                for c, p in routed
            ],
        )
        phase(
            "voice.screen_answer",
            "screen-answer",
            [
                signer.line(
                    f"/twilio/voice/screen/answer?attempt={c.attempt}",
                    {**leg_params(c, "in-progress", p), "Digits": "1"},
                )
                for c, p in routed
            ],
        )
        completed = []
        for call, phone in routed:
            params = progress(leg_params(call, "completed", phone), 3, when)
            completed.append(signer.line(f"/twilio/status?attempt={call.attempt}", {**params, "CallDuration": "95"}))
        phase("call.status", "leg-completed", completed)
        phase(
            "voice.dial",
            "dial",
            [
                signer.line(
                    f"/twilio/voice/dial?attempt={c.attempt}",
                    {
                        **caller_params(c, "in-progress"),
                        "DialCallStatus": "completed",
                        "DialCallSid": c.leg_sid,
                        "DialCallDuration": "95",
                        "DialBridged": "true",
                    },
                )
                for c, _ in routed
            ],
        )
        phase(
            "call.status",
            "call-completed",
            [
                signer.line(
                    "/twilio/status", {**progress(caller_params(c, "completed"), 1, when), "CallDuration": "130"}
                )
                for c in batch_calls
            ],
        )
        done += size
        result.calls += size
    return result


def combined_file(result: LevelResult, path: Path, wanted: int) -> Path:
    """Every request of a level's flow in one file, for the baselines, repeated until about `wanted` requests.

    The first copy is the flow's requests as sent; each further copy changes every CallSid (the same one
    the same way) and is signed again, so that no request of the file is a duplicate of another.
    """
    lines = [line for part in result.files for line in part.read_text().splitlines() if line]
    copies = max(1, -(-wanted // max(len(lines), 1)))
    signer = Signer()
    with path.open("w") as out:
        for copy in range(copies):
            for line in lines:
                if copy:
                    target, _, body = line.split("\t", 2)
                    params = dict(parse_qsl(body, keep_blank_values=True))
                    params["CallSid"] = f"CA{copy:04x}" + params["CallSid"][6:]
                    line = signer.line(target, params)
                out.write(line + "\n")
    return path


def run_baseline(wrk: str, server: Server, requests_file: Path, connections: int) -> tuple[Histogram, int]:
    """Replay a level's baseline file once to a baseline app; its histogram and its failed answers."""
    histogram = Histogram()
    before = server.cpu.read()
    report = run_wrk(wrk, server.url, requests_file, connections)
    histogram.add_run(report)
    histogram.add_cpu(before, server.cpu.read())
    lines = sum(1 for _ in requests_file.open())
    return histogram, report["non_ok"] + report["fallbacks"] + abs(lines - report["requests"])


# ---------------------------------------------------------------- report


def versions(wrk: str, database_url: str) -> dict[str, str]:
    """Versions of the pieces measured."""
    from orientation.core.db import make_engine

    engine = make_engine(database_url)
    with engine.connect() as conn:
        postgres = str(conn.execute(text("SHOW server_version")).scalar())
    engine.dispose()
    gunicorn_version = subprocess.run(
        [str(BIN / "gunicorn"), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    wrk_version = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False).stdout
    return {
        "postgresql": postgres,
        "gunicorn": gunicorn_version.removeprefix("gunicorn (version ").rstrip(")"),
        "wrk": wrk_version.split()[1] if wrk_version.split() else "?",
    }


def verdict(ok: bool) -> str:
    """PASS or MISS."""
    return "PASS" if ok else "MISS"


def cpu_ms(figures: dict[str, float]) -> float:
    """Server CPU per request, app and PostgreSQL together, in ms."""
    return figures.get("app_cpu_ms", float("nan")) + figures.get("pg_cpu_ms", float("nan"))


def table_row(connections: int, floor_rate: float, name: str, figures: dict[str, Any], bold: bool = False) -> str:
    """One line of a server's table: rate, share of the floor, latencies, server CPU per request."""
    star = "**" if bold else ""
    return (
        f"| {connections} | {star}{name}{star} | {figures['requests']} | "
        f"{star}{figures['rate']:.0f}{star} | {figures['rate'] / floor_rate:.2f} | "
        f"{figures['p50_ms']:.1f} | {star}{figures['p99_ms']:.1f}{star} | "
        f"{cpu_ms(figures):.2f} ({figures.get('app_cpu_ms', float('nan')):.2f} + "
        f"{figures.get('pg_cpu_ms', float('nan')):.2f}) |"
    )


def floor_targets(levels: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    """Issue 17's rows (figure, value, target, verdict): each kind's rate ÷ the floor's at the most
    connections, p99 at 8 connections, and the server CPU and capacity beside them."""
    top = levels[-1]
    eight = next((level for level in levels if level["connections"] == 8), top)
    floor = top["floor"]
    rate = floor["rate"] or float("nan")
    conns = top["connections"]
    rows = [
        (
            f"whole flow ÷ floor at {conns} connections",
            f"{top['total']['rate'] / rate:.2f} ({top['total']['rate']:.0f} ÷ {floor['rate']:.0f}/s)",
            f"≥ {TARGET_FLOW_FLOOR}",
            verdict(top["total"]["rate"] / rate >= TARGET_FLOW_FLOOR),
        )
    ]
    for kind, figures in top["kinds"].items():
        wanted = TARGET_POSTCODE_FLOOR if kind == "voice.postcode" else TARGET_KIND_FLOOR
        share = figures["rate"] / rate
        rows.append((f"{kind} ÷ floor at {conns} connections", f"{share:.2f}", f"≥ {wanted}", verdict(share >= wanted)))
    slowest = max(eight["kinds"].items(), key=lambda item: item[1]["p99_ms"])
    rows.append(
        (
            f"p99 of every kind at {eight['connections']} connections (slowest: {slowest[0]})",
            f"{slowest[1]['p99_ms']:.1f} ms",
            f"< {TARGET_P99_MS:.0f} ms",
            verdict(slowest[1]["p99_ms"] < TARGET_P99_MS),
        )
    )
    flow_cpu, floor_cpu = cpu_ms(top["total"]), cpu_ms(floor)
    rows.append(
        (
            "server CPU per webhook, whole flow (gunicorn + PostgreSQL)",
            f"{flow_cpu:.2f} ms ({top['total']['app_cpu_ms']:.2f} + {top['total']['pg_cpu_ms']:.2f})",
            "",
            "",
        )
    )
    rows.append(
        (
            "server CPU per webhook, floor (gunicorn + PostgreSQL)",
            f"{floor_cpu:.2f} ms ({floor['app_cpu_ms']:.2f} + {floor['pg_cpu_ms']:.2f}); flow ÷ floor "
            f"{flow_cpu / floor_cpu:.2f}",
            "",
            "",
        )
    )
    rows.append(
        (
            f"calls in progress one {CORES}-core instance sustains (one webhook every {SECONDS_PER_WEBHOOK} s a "
            "call), from the CPU per webhook",
            f"≈ {CORES * 1000 / flow_cpu * SECONDS_PER_WEBHOOK:,.0f}",
            "",
            "",
        )
    )
    rows.append(
        (
            f"calls in progress, from the measured rate at {conns} connections (rate × {SECONDS_PER_WEBHOOK} s)",
            f"≈ {top['total']['rate'] * SECONDS_PER_WEBHOOK:,.0f}",
            "",
            "",
        )
    )
    return rows


def markdown(results: dict[str, Any], sizes: Sizes) -> str:
    """The "Webhooks under load" section of BENCHMARKS.md."""
    out = ["## Webhooks under load", ""]
    out.append(
        f"gunicorn, 2 workers, `orientation:create_app()` on 127.0.0.1 against PostgreSQL "
        f"{results['versions']['postgresql']} (fresh database, `orientation db upgrade`, one 24/7 territory with "
        f"{sizes.volunteers} volunteers on shift, each with a year of weekly patterns); TWILIO_AUTH_TOKEN set, "
        "every request signed with twilio's RequestValidator. wrk "
        f"{results['versions']['wrk']} (`-t1`) replays the calls one webhook kind at a time through "
        "`bench/replay.lua`, each request once (distinct CallSids) on a connection of its own, as the nginx of "
        "`deploy/` proxies them (HTTP/1.0, no upstream keep-alive); latencies are wrk's, from request to "
        "answer, connection included. Baselines, under the same gunicorn "
        "settings and replayed the same requests in the same run (repeated with fresh CallSids, signed again): "
        "the minimal endpoint, `bench/minimal_app.py` (one fixed TwiML), and the floor, `bench/floor_app.py`, "
        "the least every real webhook must do (X-Twilio-Signature checked with twilio's RequestValidator, one "
        "INSERT of the callback's event row through a pooled SQLAlchemy Core connection and its commit, the "
        "same fixed TwiML)."
    )
    out.append("")
    for server, data in results["servers"].items():
        out.append(f"### {server} workers (`{' '.join(SERVERS[server])}`)")
        out.append("")
        out.append(
            "| connections | webhook | requests | webhooks/s | ÷ floor | p50 ms | p99 ms | server CPU ms (app + PG) |"
        )
        out.append("|---|---|---:|---:|---:|---:|---:|---:|")
        for level in data["levels"]:
            floor_rate = level.get("floor", {}).get("rate") or float("nan")
            row = partial(table_row, level["connections"], floor_rate)

            for kind, figures in level["kinds"].items():
                out.append(row(kind, figures))
            out.append(row("whole flow", level["total"], bold=True))
            out.append(row("minimal endpoint", level["minimal"]))
            if level.get("floor"):
                out.append(row("floor (signature, one INSERT, commit)", level["floor"]))
        out.append("")
        if data["levels"][-1].get("floor"):
            out.append("| issue 17 | figure | target | |")
            out.append("|---|---:|---|---|")
            out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in floor_targets(data["levels"])]
            out.append("")
        top = data["levels"][-1]
        share = top["total"]["rate"] / top["minimal"]["rate"] if top["minimal"]["rate"] else 0.0
        worst_kind = max(top["kinds"].items(), key=lambda item: item[1]["p99_ms"])
        out.append("| at 32 connections | figure | target | |")
        out.append("|---|---:|---|---|")
        out.append(
            f"| whole flow ÷ minimal endpoint | {share:.2f} ({top['total']['rate']:.0f} ÷ "
            f"{top['minimal']['rate']:.0f} webhooks/s) | ≥ {TARGET_SHARE} | {verdict(share >= TARGET_SHARE)} |"
        )
        out.append(
            f"| p99, every webhook of the flow | {top['total']['p99_ms']:.1f} ms | < {TARGET_P99_MS:.0f} ms | "
            f"{verdict(top['total']['p99_ms'] < TARGET_P99_MS)} |"
        )
        out.append(
            f"| p99, slowest kind ({worst_kind[0]}) | {worst_kind[1]['p99_ms']:.1f} ms | < {TARGET_P99_MS:.0f} ms | "
            f"{verdict(worst_kind[1]['p99_ms'] < TARGET_P99_MS)} |"
        )
        floor = top.get("floor")
        if floor:
            floor_share = floor["rate"] / top["minimal"]["rate"] if top["minimal"]["rate"] else 0.0
            out.append(
                f"| floor ÷ minimal endpoint (the most the whole flow could reach) | {floor_share:.2f} "
                f"({floor['rate']:.0f} ÷ {top['minimal']['rate']:.0f} webhooks/s) | ≥ {TARGET_SHARE} for the "
                f"target to be reachable | {'reachable' if floor_share >= TARGET_SHARE else 'not reachable'} |"
            )
            out.append(f"| floor p99 | {floor['p99_ms']:.1f} ms | < {TARGET_P99_MS:.0f} ms | |")
            flow_share = top["total"]["rate"] / floor["rate"] if floor["rate"] else 0.0
            out.append(f"| whole flow ÷ floor | {flow_share:.2f} | | |")
        capacity = top["total"]["rate"] * SECONDS_PER_WEBHOOK
        out.append(
            f"| calls in progress this sustains (one webhook every {SECONDS_PER_WEBHOOK} s a call) | "
            f"≈ {capacity:,.0f} | | |"
        )
        out.append("")
        checks = [
            f"{level['calls']} calls at {level['connections']} connection(s): "
            f"{level['unrouted']} not routed to a volunteer, {level['double_rung']} volunteer(s) rung for two "
            f"calls at once, {level['problems']} failed answers, {level.get('socket_errors', 0)} socket errors "
            f"(wrk reconnected), {level.get('floor_problems', 0)} failed answers of the floor"
            for level in data["levels"]
        ]
        out.append("Checks: " + "; ".join(checks) + ".")
        out.append("")
    routing = results.get("routing")
    if routing:
        out.append(
            f"Routing from the database, in process, {sizes.volunteers} volunteers on shift (median of 15): "
            f"`ring_candidates` (rota stamp, who is free, order; the built rota comes from the process's cache "
            f"while the territory's rota stamp is unchanged) {routing['ring_candidates']:.1f} ms; rebuilding "
            f"the rota after a change (`load_rota`) {routing['load_rota']:.1f} ms, which every decision paid "
            "before the cache. Earlier fix made for this benchmark: the rota's exceptions "
            f"query, {routing['before']:.1f} ms with the IN list of every pattern id it sent before, "
            f"{routing['after']:.1f} ms with the subquery it sends now."
        )
        out.append("")
    if results.get("profile"):
        out += webhook_profile.markdown(results["profile"])
    out.append(
        "Before the first round of fixes (BENCHMARKS.md at f776d70, sync workers, 32 connections, on a machine "
        "whose minimal endpoint served 2,945/s: compare shares of the minimal endpoint, not rates): "
        + "; ".join(f"{what}: {figure}" for what, figure in EARLIER.items())
        + "."
    )
    out.append("")
    if results.get("load"):
        start, end = results["load"][0], results["load"][-1]
        out.append(
            f"Load average (1 min) at the start and the end of the run: {start:.1f} and {end:.1f} on "
            f"{os.cpu_count()} CPU(s). Above the number of CPUs the machine is shared: rates and latencies stretch "
            "with the neighbours' work, the floor's as much as the flow's, which is why the figures to compare are "
            "shares of the floor measured in the same run and the server CPU per webhook."
        )
        out.append("")
    out.append(
        "Notes: the benchmark's PostgreSQL runs with the test script's settings (fsync=off, "
        "synchronous_commit=off), so a commit costs no disk flush here; webhooks of one kind run together, "
        "so the table is per kind, and the whole-flow rate is all webhooks ÷ the sum of their phases' times."
    )
    out.append("")
    return "\n".join(out)


def summarize(histogram: Histogram) -> dict[str, float]:
    """Requests, rate and percentiles of a histogram."""
    return {
        "requests": histogram.requests,
        "rate": histogram.rate,
        "p50_ms": histogram.percentile_ms(50),
        "p99_ms": histogram.percentile_ms(99),
        "app_cpu_ms": 1000 * histogram.app_cpu / histogram.requests if histogram.requests else float("nan"),
        "pg_cpu_ms": 1000 * histogram.pg_cpu / histogram.requests if histogram.requests else float("nan"),
    }


def main(argv: list[str] | None = None) -> None:
    """Run every server variant at every number of connections and print the markdown section."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="national sizes (more calls, more volunteers)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON there")
    parser.add_argument("--servers", default="sync,gthread", help="worker classes to run, comma-separated")
    args = parser.parse_args(argv)
    sizes = FULL if args.full else SMALL
    wrk = ensure_wrk()
    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True)
    database_url = start_postgres()
    results: dict[str, Any] = {"servers": {}, "load": [os.getloadavg()[0]]}
    for server in args.servers.split(","):
        worker_args = SERVERS[server]
        fresh_database(database_url)
        territory_id = seed(database_url, sizes.volunteers, datetime.now(UTC), random.Random(8))
        if "routing" not in results:
            results["routing"] = routing_in_process(database_url, territory_id)
        env = server_env(database_url)
        levels: list[dict[str, Any]] = []
        flows: list[LevelResult] = []
        with gunicorn("orientation:create_app()", worker_args, env, f"{server}-app.log") as app:
            for connections in LEVELS:
                started = time.monotonic()
                flow = run_flow(wrk, app, database_url, connections, sizes.calls[connections], sizes.volunteers, server)
                flows.append(flow)
                print(
                    f"[{server}] {connections} connection(s): {flow.calls} calls, "
                    f"{flow.total().rate:.0f} webhooks/s, {time.monotonic() - started:.0f} s",
                    file=sys.stderr,
                )
        files = {
            flow.connections: combined_file(
                flow, WORK / f"{server}-c{flow.connections}-all.txt", sizes.minimal_requests
            )
            for flow in flows
        }
        minimal: dict[int, Histogram] = {}
        floor: dict[int, tuple[Histogram, int]] = {}
        with gunicorn("bench.minimal_app:create_app()", worker_args, env, f"{server}-minimal.log") as base:
            for flow in flows:
                minimal[flow.connections] = run_baseline(wrk, base, files[flow.connections], flow.connections)[0]
        with gunicorn("bench.floor_app:create_app()", worker_args, env, f"{server}-floor.log") as base:
            for flow in flows:
                floor[flow.connections] = run_baseline(wrk, base, files[flow.connections], flow.connections)
        for flow in flows:
            levels.append(
                {
                    "connections": flow.connections,
                    "calls": flow.calls,
                    "unrouted": flow.unrouted,
                    "double_rung": flow.double_rung,
                    "problems": flow.problems,
                    "socket_errors": flow.socket_errors,
                    "kinds": {kind: summarize(h) for kind, h in flow.kinds.items()},
                    "total": summarize(flow.total()),
                    "minimal": summarize(minimal[flow.connections]),
                    "floor": summarize(floor[flow.connections][0]),
                    "floor_problems": floor[flow.connections][1],
                }
            )
        results["servers"][server] = {"levels": levels}
        if "profile" not in results:
            results["profile"] = webhook_profile.profile_flow(database_url, sizes.profile_calls, env)
    results["versions"] = versions(wrk, database_url)
    results["load"].append(os.getloadavg()[0])
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    print(markdown(results, sizes))


if __name__ == "__main__":
    main()
