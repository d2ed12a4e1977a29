"""Console pages with a year of requests: python -m bench.bench_console [--requests 100000].

One territory (created with the services, 60 volunteers with weekly patterns) holds N requests over the last
365 days (bulk-loaded as in bench.bench_stats_db), on SQLite and on PostgreSQL. An administrator logs in
through the login form with the Flask test client, then each main page is fetched REPEATS times after a
warm-up; the figures are the server's whole answer (routing, queries, template), without a network.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import bench_stats_db as data

WORK = Path("/tmp/orientation-bench-console")
DB_NAME = "orientation_bench_console"
REPEATS = 7
PASSWORD = "bench password not secret"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def seed(url: str, count: int, now: datetime) -> tuple[int, str]:
    """Migrate, create the territory, volunteers and an administrator, bulk-load the requests."""
    from orientation.core import migrate
    from orientation.core.db import make_engine, make_session_factory, transaction
    from orientation.core.models import Event
    from orientation.services.territories import create_territory
    from orientation.web.console.accounts import create_user
    from volunteers.models import ShiftPattern
    from volunteers.services import create_volunteer

    migrate.upgrade(url, "heads")
    engine = make_engine(url)
    rng = random.Random(3)
    with transaction(make_session_factory(engine)) as session:
        territory = create_territory(
            session,
            {"name": "CPTS Banc d'essai", "phone_numbers": ["+33180000001"], "postcodes": ["75020", "75019"]},
            now,
        )
        for number in range(60):
            volunteer = create_volunteer(
                session,
                territory,
                {
                    "name": f"Bénévole {number}",
                    "phone": f"+3362{number:07d}",
                    "profession": "medecin",
                    "motives": ["medecin_traitant", "visite_domicile", "soins_non_programmes", "orientation"],
                },
                now,
            )
            session.add(
                ShiftPattern(
                    volunteer_id=volunteer.id,
                    weekdays=sorted(rng.sample(range(7), 2)),
                    start_time="08:00",
                    end_time="12:00",
                    valid_from=date(now.year - 1, 1, 1),
                    valid_until=None,
                    motives=[],
                    holidays="include",
                    created_at=now,
                )
            )
        create_user(session, "admin@bench.invalid", PASSWORD, "admin", None, now)
        territory_id = territory.id
    start = now - timedelta(days=365)
    rows = data.requests(count, lambda n: territory_id, 1, seed=4, start=start, span_seconds=365 * 86_400 - 60)
    data.bulk_insert(url, [rows])
    # A timeline for the request whose page is measured.
    reference = f"B-{count:08d}"
    with transaction(make_session_factory(engine)) as session:
        kinds = ["voice.incoming", "voice.menu", "voice.postcode", "attempt.offered", "call.status"]
        for number, kind in enumerate(kinds):
            at = now - timedelta(seconds=60 - number)
            session.add(Event(request_id=count, kind=kind, payload={"Digits": "2"}, at=at))
    engine.dispose()
    return territory_id, reference


def login(app: Any) -> Any:
    """A test client logged in as the administrator through the login form."""
    client = app.test_client()
    page = client.get("/connexion").get_data(as_text=True)
    match = _TOKEN.search(page)
    if match is None:
        raise RuntimeError("no CSRF token on /connexion")
    answer = client.post(
        "/connexion", data={"email": "admin@bench.invalid", "password": PASSWORD, "csrf_token": match.group(1)}
    )
    if answer.status_code != 302:
        raise RuntimeError(f"login failed: {answer.status_code}")
    return client


def measure(url: str, count: int) -> list[tuple[str, int, float, float, int]]:
    """(page, status, median ms, worst ms, bytes) for each main page."""
    from orientation import create_app
    from orientation.core.config import Config

    now = datetime.now(UTC)
    territory_id, reference = seed(url, count, now)
    WORK.mkdir(parents=True, exist_ok=True)
    config = Config(
        database_url=url,
        secret_key="bench-secret-key-not-for-production",
        public_base_url="http://127.0.0.1:5000",
        journal_dir=str(WORK / "journal"),
    )
    app = create_app(config)
    client = login(app)
    base = f"/t/{territory_id}"
    pages = [
        ("home (territories)", "/"),
        ("dashboard", f"{base}/"),
        ("requests log, page 1", f"{base}/demandes"),
        ("requests log, filtered (motive, status)", f"{base}/demandes?motive=visite_domicile&status=closed"),
        ("requests log, page 500", f"{base}/demandes?page=500"),
        ("one request (timeline)", f"{base}/demandes/{reference}"),
        ("rota (this week)", f"{base}/rota"),
        ("volunteers", f"{base}/benevoles"),
        ("directory", f"{base}/annuaire"),
        ("settings", f"{base}/parametres"),
        ("requests CSV, whole log", f"{base}/demandes.csv"),
    ]
    results = []
    for label, path in pages:
        # The whole-log CSV takes seconds: fetched once, without a warm-up.
        csv = path.endswith(".csv")
        if not csv:
            client.get(path)
        times = []
        for _ in range(1 if csv else REPEATS):
            started = time.perf_counter()
            answer = client.get(path)
            answer.get_data()
            times.append((time.perf_counter() - started) * 1000)
        results.append((label, answer.status_code, statistics.median(times), max(times), len(answer.get_data())))
    app.extensions["orientation"].engine.dispose()
    return results


def main(argv: list[str] | None = None) -> None:
    """Measure on both backends and print the markdown section."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=100_000)
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    sqlite_path = WORK / "console.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
    backends = {"SQLite": f"sqlite:///{sqlite_path}", "PostgreSQL": data.start_postgres(DB_NAME)}
    results = {}
    for name, url in backends.items():
        results[name] = measure(url, args.requests)
        print(f"[console] {name} done", file=sys.stderr)
    print(f"## Console pages, {args.requests:,} requests in the territory")
    print()
    print(
        f"An administrator logged in through the login form (Flask test client, no network); one territory "
        f"with {args.requests:,} requests over the last 365 days and 60 volunteers. Median and worst of "
        f"{REPEATS} fetches after a warm-up (the CSV: one fetch). The issue sets no target for these pages."
    )
    print()
    print("| page | " + " | ".join(f"{name} median | {name} worst" for name in results) + " | status | size |")
    print("|---|" + "---:|---:|" * len(results) + "---|---:|")
    first = next(iter(results.values()))
    for index, (label, _status, _, _, size) in enumerate(first):
        cells = " | ".join(f"{rows[index][2]:,.0f} ms | {rows[index][3]:,.0f} ms" for rows in results.values())
        statuses = "/".join(str(rows[index][1]) for rows in results.values())
        print(f"| {label} | {cells} | {statuses} | {size / 1000:,.0f} kB |")
    print()


if __name__ == "__main__":
    main()
