"""Stats of a territory over a year from a database of N requests: python -m bench.bench_stats_db [--full].

Writes N requests (1,000,000 with --full) over the 365 days before the run into a migrated SQLite file and
a migrated PostgreSQL database (bulk: executemany on SQLite, where the stats triggers of migration 0009 fire
as for any insert; COPY on PostgreSQL, with them off), twice: spread over 100 territories, and the worst
case, all of them in one territory. Then times what `GET /api/v1/stats` runs for one territory over that year,
`orientation.services.stats.figures_for`: its first look (which counts and stores the day and month
tallies), then looks with the tallies stored, then looks each after a change of an old request (one day
counted again, its month rebuilt). Beside it, the two ways before: the rows read into Python for the pure
`orientation.core.stats`, and the SQL aggregation of every row of the year (`stats_sql` with nothing stored).
All must give the same figures: the bench checks it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from orientation.core.db import UTCDateTime

ROOT = Path(__file__).resolve().parent.parent
WORK = Path("/tmp/orientation-bench-stats")
PG_PORT = "54340"
PG_DATA = "/tmp/orientation-bench-pg"
DB_NAME = "orientation_bench_stats"
# The year before the run, to the second: tallies are stored only for days that are over.
YEAR_END = datetime.now(UTC).replace(microsecond=0)
YEAR_START = YEAR_END - timedelta(days=365)
YEAR_SECONDS = int((YEAR_END - YEAR_START).total_seconds())
TERRITORIES = 100
TARGET_MS = 200.0
REPEATS = 5
MOTIVES: list[str | None] = ["medecin_traitant", "visite_domicile", "soins_non_programmes", "orientation", None]
COLUMNS = (
    "id",
    "territory_id",
    "reference",
    "caller_is_mobile",
    "status",
    "motive",
    "postcode",
    "language",
    "menu_misses",
    "outcome",
    "created_at",
    "updated_at",
    "connected_at",
    "callback_requested_at",
    "callback_done_at",
    "closed_at",
    "had_message",
    "callback_attempts",
)


def requests(
    count: int,
    territory_of: Callable[[int], int],
    first_id: int,
    seed: int,
    start: datetime = YEAR_START,
    span_seconds: int = YEAR_SECONDS,
) -> Iterator[tuple[Any, ...]]:
    """`count` plausible requests created in [start, start + span), as rows of COLUMNS, reproducibly."""
    rng = random.Random(seed)
    for number in range(count):
        created = start + timedelta(seconds=rng.randrange(span_seconds), microseconds=rng.randrange(10**6))
        draw = rng.random()
        connected = requested = done = None
        outcome: str | None
        if draw < 0.6:
            status = "closed"
            connected = created + timedelta(seconds=rng.randrange(5, 180), microseconds=rng.randrange(10**6))
            outcome = rng.choice(["matched", "matched", "oriented", "no_solution", None])
        elif draw < 0.72:
            status = "abandoned"
            outcome = rng.choice(["abandoned", None])
        elif draw < 0.9:
            requested = created + timedelta(seconds=rng.randrange(30, 300))
            if rng.random() < 0.5:
                status, outcome = "callback_pending", None
            else:
                status = "closed"
                done = requested + timedelta(seconds=rng.randrange(600, 86_400), microseconds=rng.randrange(10**6))
                connected = done
                outcome = rng.choice(["matched", "oriented", "unreachable"])
        else:
            status = "closed"
            outcome = rng.choice(["emergency_redirect", "out_of_territory", None])
        identifier = first_id + number
        yield (
            identifier,
            territory_of(number),
            f"B-{identifier:08d}",
            rng.random() < 0.7,
            status,
            rng.choice(MOTIVES),
            rng.choice(["75020", "75019", "93170", None]),
            "fr",
            0,
            outcome,
            created,
            done or connected or created,
            connected,
            requested,
            done,
            None if status == "callback_pending" else (done or connected or created),
            requested is not None,
            0,
        )


def start_postgres(name: str = DB_NAME) -> str:
    """The URL of a fresh database on the benchmark's PostgreSQL server (scripts/test-postgres.sh)."""
    import psycopg

    env = {**os.environ, "ORIENTATION_TEST_PG_PORT": PG_PORT, "ORIENTATION_TEST_PG_DATA": PG_DATA}
    out = subprocess.run(
        [str(ROOT / "scripts" / "test-postgres.sh")], check=True, env=env, capture_output=True, text=True
    )
    server = out.stdout.strip().splitlines()[-1].rsplit("/", 1)[0]
    with psycopg.connect(server.replace("+psycopg", "") + "/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return f"{server}/{name}"


def territories_rows(count: int, now: datetime) -> list[dict[str, Any]]:
    """Territory rows for a bulk insert."""
    return [
        {
            "id": number,
            "name": f"CPTS {number}",
            "reference_prefix": f"T{number}",
            "region": "FR",
            "timezone": "Europe/Paris",
            "opening_hours": "24/7",
            "postcodes": ["75020"],
            "languages": ["fr"],
            "ring_seconds": 20,
            "max_wait_seconds": 240,
            "settings": {},
            "created_at": now,
        }
        for number in range(1, count + 1)
    ]


DATETIMES = slice(COLUMNS.index("created_at"), COLUMNS.index("closed_at") + 1)


def sqlite_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """The row with its (UTC) datetimes as the text SQLAlchemy's SQLite DateTime stores, without offset."""
    moments = tuple(None if v is None else v.isoformat(" ", "microseconds")[:26] for v in row[DATETIMES])
    return row[: DATETIMES.start] + moments + row[DATETIMES.stop :]


def load(url: str, count: int) -> float:
    """Migrate the database and write both data sets; return the seconds the bulk inserts took."""
    from orientation.core import migrate
    from orientation.core.db import make_engine
    from orientation.core.models import Territory

    migrate.upgrade(url, "heads")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(Territory.__table__.insert(), territories_rows(TERRITORIES + 1, YEAR_START))
    engine.dispose()
    spread = requests(count, lambda n: 1 + n % TERRITORIES, 1, seed=1)
    # The worst case: as many requests again, all in territory TERRITORIES + 1.
    single = requests(count, lambda n: TERRITORIES + 1, count + 1, seed=2)
    started = time.perf_counter()
    bulk_insert(url, [spread, single])
    return time.perf_counter() - started


def bulk_insert(url: str, batches: list[Iterator[tuple[Any, ...]]]) -> None:
    """Write rows of COLUMNS into `requests` (SQLite executemany, PostgreSQL COPY), then ANALYZE."""
    if url.startswith("sqlite"):
        conn_lite = sqlite3.connect(url.split("///", 1)[1])
        conn_lite.execute("PRAGMA synchronous=OFF")  # a bulk load of throw-away data: no fsync per page
        placeholders = ", ".join("?" for _ in COLUMNS)
        insert = f"INSERT INTO requests ({', '.join(COLUMNS)}) VALUES ({placeholders})"  # noqa: S608 - fixed names
        for rows in batches:
            conn_lite.executemany(insert, (sqlite_row(row) for row in rows))
        conn_lite.commit()
        conn_lite.execute("ANALYZE")
        conn_lite.close()
        return
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn_pg:
        # No stats triggers during the load (nothing is stored yet, so no version has anything to mark):
        # they would add ten minutes to a national-size COPY. A live call is too young to fire them.
        conn_pg.execute("SET session_replication_role = replica")
        copy_sql = f"COPY requests ({', '.join(COLUMNS)}) FROM STDIN"
        with conn_pg.cursor() as cursor, cursor.copy(copy_sql) as copy:
            for rows in batches:
                for row in rows:
                    copy.write_row(row)
        conn_pg.execute("SELECT setval('requests_id_seq', (SELECT max(id) FROM requests))")
        conn_pg.commit()
        conn_pg.autocommit = True
        conn_pg.execute("VACUUM ANALYZE")


def timed(session: Session, func: Callable[[], Any], repeats: int = REPEATS) -> tuple[float, Any]:
    """Median wall time in ms over `repeats` runs (after one warm-up when repeated), and the last result."""
    result = func() if repeats > 1 else None
    times = []
    for _ in range(repeats):
        session.expire_all()
        started = time.perf_counter()
        result = func()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def after_a_change(session: Session, territory: int, look: Callable[[], Any]) -> tuple[float, Any]:
    """Median ms of a look right after an old request's outcome changed (a day of last month counted again)."""
    times = []
    result = None
    for number in range(REPEATS):
        day = YEAR_END - timedelta(days=30 + 7 * number)
        session.execute(
            text(
                "UPDATE requests SET outcome = CASE WHEN outcome = 'matched' THEN 'oriented' ELSE 'matched' END "
                "WHERE id = (SELECT min(id) FROM requests WHERE territory_id = :t AND created_at >= :day)"
            ).bindparams(bindparam("day", type_=UTCDateTime())),
            {"t": territory, "day": day},
        )
        session.commit()
        started = time.perf_counter()
        result = look()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def measure(url: str) -> dict[str, dict[str, Any]]:
    """Time the ways of computing one territory's year, in both data sets."""
    from orientation.core import stats as pure
    from orientation.core.db import make_engine, make_session_factory
    from orientation.services import stats as service
    from orientation.services import stats_sql

    engine = make_engine(url)
    sessions = make_session_factory(engine)
    out: dict[str, dict[str, Any]] = {}
    for case, territory in (("spread", 1), ("one territory", TERRITORIES + 1)):
        with sessions() as session:
            count = session.execute(
                text("SELECT count(*) FROM requests WHERE territory_id = :t"), {"t": territory}
            ).scalar()

            def api(s: Session = session, t: int = territory) -> Any:
                return service.figures_for(s, t, YEAR_START, YEAR_END)

            first_ms, _ = timed(session, api, repeats=1)
            api_ms, _ = timed(session, api)
            changed_ms, by_changed = after_a_change(session, territory, api)
            rows_ms, by_rows = timed(
                session,
                lambda s=session, t=territory: pure.figures_by_motive(service.request_rows(s, t, YEAR_START, YEAR_END)),
                repeats=1,
            )
            # Nothing stored: a caller's clock at the start of the year leaves every day to the rows.
            sql_ms, by_sql = timed(
                session,
                lambda s=session, t=territory: stats_sql.figures_by_motive(s, t, YEAR_START, YEAR_END, YEAR_START),
                repeats=1,
            )
            stored = session.execute(
                text("SELECT count(*) FROM stats_rollups WHERE territory_id = :t"), {"t": territory}
            ).scalar()
        out[case] = {
            "requests": count,
            "rows_ms": rows_ms,
            "sql_ms": sql_ms,
            "first_ms": first_ms,
            "api_ms": api_ms,
            "changed_ms": changed_ms,
            "stored": stored,
            "equal": by_sql == by_rows and by_changed["motives"] == {m: asdict(f) for m, f in by_rows.items()},
        }
    engine.dispose()
    return out


def verdict(ms: float | None) -> str:
    """PASS or MISS against the target."""
    return "—" if ms is None else ("PASS" if ms < TARGET_MS else "MISS")


def fmt(ms: float | None) -> str:
    """Milliseconds, or a dash."""
    return "—" if ms is None else f"{ms:,.0f} ms"


def main(argv: list[str] | None = None) -> None:
    """Load both backends, time the stats, print the markdown section."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--full", action="store_true", help="1,000,000 requests (default 100,000)")
    parser.add_argument("--count", type=int, help="requests per data set (overrides --full)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON there")
    args = parser.parse_args(argv)
    count = args.count or (1_000_000 if args.full else 100_000)
    WORK.mkdir(parents=True, exist_ok=True)
    sqlite_path = WORK / "stats.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
    backends = {"SQLite": f"sqlite:///{sqlite_path}", "PostgreSQL": start_postgres()}
    results: dict[str, dict[str, dict[str, Any]]] = {}
    loads: dict[str, float] = {}
    for name, url in backends.items():
        loads[name] = load(url, count)
        results[name] = measure(url)
        print(f"[stats] {name}: loaded in {loads[name]:.0f} s, {results[name]}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps({"count": count, "loads": loads, "results": results}, indent=1))

    print(f"## Stats of a territory over a year, {count:,} requests in the database")
    print()
    print(
        f"{count:,} requests over the 365 days before the run ({YEAR_START:%Y-%m-%d %H:%M} to "
        f"{YEAR_END:%Y-%m-%d %H:%M} UTC) spread over {TERRITORIES} territories (one territory ≈ "
        f"{count // TERRITORIES:,}), and the worst case: {count:,} more, all in one territory — "
        f"{2 * count:,} rows in `requests`. Bulk-loaded (SQLite executemany, the stats triggers on; "
        "PostgreSQL COPY, triggers off: "
        + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in loads.items())
        + "), then `ANALYZE`. `figures_for` is what `GET /api/v1/stats?territory_id=…&since=…&until=…` runs, "
        "over that year: its **first look** counts every day once and stores the day and month tallies "
        "(the clock process's `stats_tallies` job does this each night, so users seldom pay it); "
        f"**stored** is the median of {REPEATS} looks after a warm-up; **after a change** the median of "
        f"{REPEATS} looks each right after an old request's outcome changed (its day counted again, its month "
        'rebuilt). Before: "rows into Python" (the pure `orientation.core.stats` over `request_rows`) and '
        '"every row in SQL" (`stats_sql` with nothing stored), one run each. The target is judged on '
        '*stored* and *after a change*; "same figures" compares every way\'s answer.'
    )
    print()
    print(
        "| backend | territory's requests | rows into Python | every row in SQL | first look | stored "
        "| after a change | target | | tallies stored | same figures |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|---|---:|---|")
    for name, cases in results.items():
        for case, figures in cases.items():
            same = {True: "yes", False: "**NO**", None: "—"}[figures["equal"]]
            judged = max(figures["api_ms"], figures["changed_ms"])
            print(
                f"| {name}, {case} | {figures['requests']:,} | {fmt(figures['rows_ms'])} | {fmt(figures['sql_ms'])} | "
                f"{fmt(figures['first_ms'])} | {fmt(figures['api_ms'])} | {fmt(figures['changed_ms'])} | "
                f"< {TARGET_MS:.0f} ms | {verdict(judged)} | {figures['stored']:,} | {same} |"
            )
    print()


if __name__ == "__main__":
    main()
