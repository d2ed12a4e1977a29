"""Benchmark the directory: a full RPPS import (parse + upsert) and search on 100,000 entries.

Usage: python -m bench.bench_directory [--full] [--lines N] [--database-url URL] [--write BENCHMARKS.md]

1. Writes an RPPS extract in the real 56-column layout with bench.gen_rpps: 300,000 lines by default, the
   national size (2,300,000 lines, ~870 MB) with --full.
2. Imports it into a fresh database, each run in its own process so that its peak RSS is its own:
   - "department": a territory of one department's postcodes (~1 % of the rows, a large CPTS), first
     import then a re-import (everything unchanged);
   - "every row": a territory holding every postcode, so every line becomes an entry (the upsert's worst
     case), first import then re-import, on a 300,000-line file even with --full.
   On SQLite always; on PostgreSQL too when --database-url or TEST_DATABASE_URL names a server (a
   database of its own is created there and dropped after).
3. Search: 100,000 entries with varied names (a vocabulary of ~25,000 name words, generated) in one
   territory; the index is built once (cold), then each query is timed 30 times through the service
   (index lookup + the page's rows from the database).

Prints markdown and, with --write, replaces the "## Directory" section of that file.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import make_url, text

from bench.gen_rpps import DEPARTMENTS, generate, postcodes

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
DEFAULT_LINES = 300_000
NATIONAL_LINES = 2_300_000
SEARCH_ENTRIES = 100_000
SEARCH_RUNS = 30


# --- child process: one import, its own peak RSS --------------------------------------------------------------


def child_import(database_url: str, territory_id: int, path: Path) -> dict[str, Any]:
    """Import the file into the territory and report counts, seconds and peak RSS (run in a child process)."""
    from directory.importing import import_file
    from orientation.core.db import make_engine, make_session_factory

    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    started, cpu_started = time.perf_counter(), time.process_time()
    with path.open("rb") as stream:
        report = import_file(sessions, territory_id, "rpps", stream, NOW, filename=path.name)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    engine.dispose()
    return {
        "lines": report.lines,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "added": report.added,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "gone": report.gone,
        "skipped": report.skipped,
        "peak_rss_mb": peak_rss_mb(),
    }


def peak_rss_mb() -> float:
    """This process's peak resident memory since it started.

    VmHWM belongs to the process image, whereas getrusage's ru_maxrss survives exec: a child started by a
    parent holding 200 MB would report the parent's peak, not its own.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)


def run_child(database_url: str, territory_id: int, path: Path) -> dict[str, Any]:
    """Run one import in a fresh interpreter and return what it measured."""
    output = subprocess.run(
        [sys.executable, "-m", "bench.bench_directory", "--child-import", database_url, str(territory_id), str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


# --- databases ------------------------------------------------------------------------------------------------


def sqlite_database(folder: Path, name: str) -> str:
    """A fresh, migrated SQLite file."""
    from orientation.core import migrate

    url = f"sqlite:///{folder / (name + '.sqlite3')}"
    migrate.upgrade(url)
    return url


def postgres_database(server_url: str, name: str) -> str:
    """A fresh, migrated PostgreSQL database on the server (dropped by drop_postgres)."""
    from orientation.core import migrate
    from orientation.core.db import make_engine

    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    return url


def drop_postgres(server_url: str, name: str) -> None:
    """Drop a benchmark database."""
    from orientation.core.db import make_engine

    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def make_territory(database_url: str, name: str, codes: list[str]) -> int:
    """A territory covering the given postcodes; returns its id."""
    from orientation.core.db import make_engine, make_session_factory, transaction
    from orientation.services.territories import create_territory

    engine = make_engine(database_url)
    with transaction(make_session_factory(engine)) as session:
        prefix = "".join(c for c in name.upper() if c.isalnum())[:6] or "BENCH"
        number = f"+3319900{random.Random(name).randrange(10**4):04d}"
        territory = create_territory(
            session,
            {
                "name": name,
                "reference_prefix": prefix,
                "phone_numbers": [number],
                "postcodes": sorted(codes),
                "opening_hours": "24/7",
            },
            NOW,
        )
        session.flush()
        territory_id = territory.id
    engine.dispose()
    return territory_id


# --- import benchmark -----------------------------------------------------------------------------------------


def bench_imports(database_url: str, label: str, department_file: Path, every_row_file: Path) -> list[dict[str, Any]]:
    """First import and re-import, for a department (of the big file) and for every row (of the small one)."""
    department = [code for code in postcodes() if code.startswith(DEPARTMENTS[0])]
    rows: list[dict[str, Any]] = []
    for scenario, codes, path in (
        ("department", department, department_file),
        ("every row", postcodes(), every_row_file),
    ):
        territory_id = make_territory(database_url, f"Bench {scenario}", codes)
        for run in ("first import", "re-import"):
            measured = run_child(database_url, territory_id, path)
            measured.update(database=label, scenario=scenario, run=run)
            print(
                f"  {label:10} {scenario:10} {run:12} {measured['lines']:>9,} lines {measured['seconds']:7.1f} s "
                f"{measured['lines'] / measured['seconds']:>9,.0f} lines/s "
                f"({measured['lines'] / measured['cpu_seconds']:,.0f} per CPU s) "
                f"peak {measured['peak_rss_mb']:.0f} MB  "
                f"(+{measured['added']} ~{measured['updated']} ={measured['unchanged']} -{measured['gone']})",
                flush=True,
            )
            rows.append(measured)
    return rows


# --- search benchmark -----------------------------------------------------------------------------------------

_SYLLABLES = [
    "ma",
    "ri",
    "tin",
    "ber",
    "nard",
    "do",
    "lu",
    "ca",
    "mo",
    "reau",
    "le",
    "fe",
    "vre",
    "ga",
    "ro",
    "si",
    "mon",
    "du",
    "pont",
    "che",
    "val",
    "lier",
    "bo",
    "nne",
    "ti",
    "er",
    "an",
    "dre",
    "sa",
    "bi",
    "ne",
    "gi",
    "rard",
    "fon",
    "taine",
    "rous",
    "seau",
    "vin",
    "cent",
    "mu",
    "ller",
    "fau",
    "re",
    "lam",
    "bert",
    "pe",
]
_PROFESSIONS = (
    ["medecin"] * 30
    + ["infirmier"] * 30
    + ["masseur_kinesitherapeute"] * 10
    + ["pharmacien"] * 8
    + ["chirurgien_dentiste"] * 5
    + ["sage_femme"] * 3
    + ["psychologue"] * 5
    + ["orthophoniste"] * 3
)


def _word(rng: random.Random, syllables: int) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(syllables))


def search_records(count: int, seed: int = 4) -> Iterator[Any]:
    """Professionals with varied names (accents included) over one department's postcodes."""
    from directory.records import DirectoryRecord

    yield DirectoryRecord(
        source="rpps",
        external_id="00000000000/known",
        kind="professional",
        name="Dr Hélène Lefèvre",
        profession="medecin",
        general_practice=True,
        category="liberal_professionals",
        category_code="SA07",
        category_label="Cabinet individuel",
        address="3 Rue Pasteur",
        postcode=postcodes()[0],
        commune="Commune",
        insee_code=None,
        phone=None,
        email=None,
    )
    rng = random.Random(seed)
    firsts = [_word(rng, rng.randint(2, 3)).capitalize() for _ in range(3_000)] + ["Hélène", "Jérôme", "Anaïs"]
    lasts = [_word(rng, rng.randint(2, 4)).upper() for _ in range(40_000)] + ["LEFÈVRE", "N'DIAYE"]
    codes = [code for code in postcodes() if code.startswith(DEPARTMENTS[0])]
    for number in range(1, count):
        profession = rng.choice(_PROFESSIONS)
        postcode = rng.choice(codes)
        yield DirectoryRecord(
            source="rpps",
            external_id=f"{number:011d}/site",
            kind="professional",
            name=f"{'Dr ' if profession == 'medecin' else ''}{rng.choice(firsts)} {rng.choice(lasts).title()}",
            profession=profession,
            general_practice=profession == "medecin" and rng.random() < 0.6,
            category="liberal_professionals",
            category_code="SA07",
            category_label="Cabinet individuel",
            address=f"{rng.randrange(1, 200)} Rue {rng.choice(lasts).title()}",
            postcode=postcode,
            commune=f"Commune {postcode}",
            insee_code=None,
            phone=f"+3347{rng.randrange(10**7, 10**8)}",
            email=None,
        )


def bench_search(database_url: str, label: str) -> list[dict[str, Any]]:
    """Load 100,000 entries, then time queries through the search service."""
    from sqlalchemy import select, update

    from directory.importing import import_records
    from directory.models import DirectoryEntry
    from directory.search import Query
    from directory.services import bump_version, search_entries
    from orientation.core.db import make_engine, make_session_factory

    territory_id = make_territory(database_url, "Bench search", [c for c in postcodes() if c.startswith("01")])
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    import_records(sessions, territory_id, "rpps", search_records(SEARCH_ENTRIES), NOW, filename="generated")
    with sessions() as session:
        # A third of the entries said whether they take new patients, as a CPTS would have recorded.
        session.execute(
            update(DirectoryEntry)
            .where(DirectoryEntry.territory_id == territory_id, DirectoryEntry.id % 3 == 0)
            .values(accepting_new_patients=DirectoryEntry.id % 2 == 0)
        )
        bump_version(session, territory_id)
        session.commit()
        sample = session.execute(
            select(DirectoryEntry.name, DirectoryEntry.postcode, DirectoryEntry.profession)
            .where(DirectoryEntry.territory_id == territory_id)
            .order_by(DirectoryEntry.id)
            .limit(1000)
        ).all()
    last_name = sample[10].name.split()[-1]
    first_last = " ".join(sample[20].name.split()[-2:])
    typo = last_name[:2] + last_name[3] + last_name[2] + last_name[4:]  # two letters swapped
    queries: list[tuple[str, Query]] = [
        ("a last name", Query(text=last_name)),
        ("first and last name", Query(text=first_last)),
        ("last name, two letters swapped", Query(text=typo)),
        ("accented name typed without accents", Query(text="helene lefevre")),
        ("3-letter prefix", Query(text=last_name[:3])),
        (
            "name + profession + postcode",
            Query(text=last_name, profession=sample[10].profession, postcode=sample[10].postcode),
        ),
        (
            "GPs accepting, one postcode",
            Query(profession="medecin", general_practice=True, accepting=True, postcode=sample[30].postcode),
        ),
        ("every GP accepting (no words)", Query(profession="medecin", general_practice=True, accepting=True)),
        ("'dr' (half the entries match)", Query(text="dr")),
    ]
    rows: list[dict[str, Any]] = []
    with sessions() as session:
        started = time.perf_counter()
        search_entries(session, territory_id, Query(text="warm up"))
        cold = time.perf_counter() - started
        print(f"  {label:10} index build (first search) {cold * 1000:.0f} ms", flush=True)
        rows.append(
            {
                "database": label,
                "query": "first search (builds the index)",
                "p50": cold * 1000,
                "p95": cold * 1000,
                "max": cold * 1000,
                "total": SEARCH_ENTRIES,
                "cpu_p50": float("nan"),
            }
        )
        for name, query in queries:
            times = []
            cpu_times = []
            total = 0
            for _ in range(SEARCH_RUNS):
                started, cpu_started = time.perf_counter(), time.process_time()
                _, total = search_entries(session, territory_id, query)
                times.append((time.perf_counter() - started) * 1000)
                cpu_times.append((time.process_time() - cpu_started) * 1000)
            times.sort()
            row = {
                "database": label,
                "query": name,
                "p50": statistics.median(times),
                "p95": times[int(0.95 * (len(times) - 1))],
                "max": times[-1],
                "total": total,
                "cpu_p50": statistics.median(cpu_times),
            }
            print(
                f"  {label:10} {name:38} {row['p50']:6.1f} ms p50 {row['p95']:6.1f} ms p95 "
                f"{row['cpu_p50']:6.1f} ms CPU p50  ({total} matches)",
                flush=True,
            )
            rows.append(row)
    engine.dispose()
    return rows


# --- report ---------------------------------------------------------------------------------------------------


def markdown(
    lines: int,
    size_mb: float,
    every_row_lines: int,
    imports: list[dict[str, Any]],
    searches: list[dict[str, Any]],
    load: tuple[float, float],
) -> str:
    """The "## Directory" section."""
    cpu = _cpu()
    out = [
        "## Directory",
        "",
        f"`python -m bench.bench_directory{' --full' if lines >= NATIONAL_LINES else ''}` on {cpu}, "
        f"{os.cpu_count()} cores. RPPS extract from `bench.gen_rpps` in the real 56-column layout: "
        f"{lines:,} lines, {size_mb:,.0f} MB. Each import runs in its own process (peak RSS is the whole "
        "process: Python, SQLAlchemy, the driver); lines/s counts every line of the file, kept or not. "
        "Targets: ≥ 50,000 lines/s and < 200 MB whatever the file size; search < 50 ms on 100,000 entries.",
        "",
        f"Load average (1 min) at the start and the end of the run: {load[0]:.1f} and {load[1]:.1f}. The "
        'machine is shared: above 2 on 2 cores, wall-clock times stretch; "per CPU s" (lines per second of '
        "the import process's own CPU time, the database server's excluded for PostgreSQL) is what the code "
        "costs whatever the neighbours do.",
        "",
        "| database | territory | run | entries (+added ~updated =unchanged) | seconds | lines/s | lines per CPU s "
        "| peak RSS |",
        "|---|---|---|---|---:|---:|---:|---:|",
    ]
    for row in imports:
        entries = f"+{row['added']:,} ~{row['updated']:,} ={row['unchanged']:,}"
        out.append(
            f"| {row['database']} | {row['scenario']} | {row['run']} | {entries} | {row['seconds']:.1f} | "
            f"{row['lines'] / row['seconds']:,.0f} | {row['lines'] / row['cpu_seconds']:,.0f} | "
            f"{row['peak_rss_mb']:.0f} MB |"
        )
    out += ["", *verdicts(imports, searches)]
    out += [
        "",
        f'"department" imports the {lines:,}-line file into a territory of one department\'s postcodes (~1 % '
        f'of the rows, more than a large CPTS); "every row" imports a {every_row_lines:,}-line file into a '
        "territory holding every postcode, so every line becomes an entry: the upsert's worst case (the "
        "parse builds every record, each one is written). The parser filters a row by its postcode "
        "and INSEE code before building anything, so a territory import costs the scan of the file; "
        "memory is bounded by one professional's rows and one batch of 1,000 records.",
        "",
        f"Search: {SEARCH_ENTRIES:,} generated professionals in one territory (varied names: ~25,000 distinct "
        f"name words), {SEARCH_RUNS} runs of each query through `directory.services.search_entries` (index "
        "lookup, ranking, then the page's 50 rows read from the database).",
        "",
        "| database | query | matches | p50 ms | p95 ms | max ms | CPU p50 ms |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for row in searches:
        cpu_p50 = "" if row["cpu_p50"] != row["cpu_p50"] else f"{row['cpu_p50']:.1f}"  # NaN: not measured
        out.append(
            f"| {row['database']} | {row['query']} | {row['total']:,} | {row['p50']:.1f} | {row['p95']:.1f} | "
            f"{row['max']:.1f} | {cpu_p50} |"
        )
    out += [
        "",
        "The index lives in each process, per territory, and is rebuilt when the territory's stamp "
        "(`directory_versions`, renewed by every directory write) changes: the first search after an import "
        "or an edit pays the build above; a real CPTS directory (a few thousand entries) builds in "
        "milliseconds.",
        "",
    ]
    return "\n".join(out)


def verdicts(imports: list[dict[str, Any]], searches: list[dict[str, Any]]) -> list[str]:
    """The issue's targets against this run's figures."""
    out = ["| target | figure | |", "|---|---|---|"]
    firsts = [r for r in imports if r["scenario"] == "department" and r["run"] == "first import"]
    if firsts:
        wall = min(r["lines"] / r["seconds"] for r in firsts)
        cpu = min(r["lines"] / r["cpu_seconds"] for r in firsts)
        figure = "; ".join(
            f"{r['database']} {r['lines'] / r['seconds']:,.0f} ({r['lines'] / r['cpu_seconds']:,.0f} per CPU s)"
            for r in firsts
        )
        verdict = "PASS" if wall >= 50_000 else "MISS"
        if wall < 50_000 <= cpu:
            verdict = "MISS on the wall clock of this loaded run; PASS per CPU s"
        out.append(f"| territory import ≥ 50,000 lines/s (first import, department) | {figure} | {verdict} |")
    if imports:
        peak = max(r["peak_rss_mb"] for r in imports)
        out.append(
            f"| peak RSS < 200 MB, any file, any territory | {peak:.0f} MB at most | "
            f"{'PASS' if peak < 200 else 'MISS'} |"
        )
    timed = [r for r in searches if r["cpu_p50"] == r["cpu_p50"]]  # the index build has no CPU figure
    if timed:
        worst_p50 = max(r["p50"] for r in timed)
        worst_p95 = max(r["p95"] for r in timed)
        out.append(
            f"| search < 50 ms on 100,000 entries | p50 ≤ {worst_p50:.1f} ms, p95 ≤ {worst_p95:.1f} ms over "
            f"every query | {'PASS' if worst_p95 < 50 else 'MISS'} |"
        )
    return out


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "this machine"


def write_section(path: Path, section: str) -> None:
    """Replace (or append) the "## Directory" section of a markdown file, leaving the others alone."""
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    lines = current.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == "## Directory"), None)
    if start is None:
        updated = current.rstrip("\n") + "\n\n" + section
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        updated = "".join(lines[:start]) + section + ("\n" if end < len(lines) else "") + "".join(lines[end:])
    path.write_text(updated.rstrip("\n") + "\n", encoding="utf-8")


def main() -> None:
    """Generate, import, search, report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help=f"a national-size file ({NATIONAL_LINES:,} lines)")
    parser.add_argument("--lines", type=int, default=None)
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL") or None)
    parser.add_argument("--folder", type=Path, default=None, help="where to write the file (a temporary one)")
    parser.add_argument("--write", type=Path, default=None, help="replace the Directory section of this file")
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--child-import", nargs=3, metavar=("URL", "TERRITORY", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child_import:
        url, territory_id, path = args.child_import
        print(json.dumps(child_import(url, int(territory_id), Path(path))))
        return

    lines = args.lines or (NATIONAL_LINES if args.full else DEFAULT_LINES)
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-directory-", dir=args.folder) as folder_name:
        folder = Path(folder_name)
        path = folder / "PS_LibreAcces_Personne_activite_bench.txt"
        started = time.perf_counter()
        generate(lines, path)
        size_mb = path.stat().st_size / 1e6
        print(f"generated {lines:,} lines, {size_mb:,.0f} MB in {time.perf_counter() - started:.0f} s", flush=True)
        # Every line an entry is the upsert's worst case, not the national use: measured on the small file.
        every_row = path
        if lines > DEFAULT_LINES:
            every_row = folder / "PS_LibreAcces_Personne_activite_small.txt"
            generate(DEFAULT_LINES, every_row)
        databases: list[tuple[str, str, str | None]] = [("SQLite", sqlite_database(folder, "bench"), None)]
        if args.database_url:
            name = f"orientation_bench_{os.getpid()}"
            databases.append(("PostgreSQL", postgres_database(args.database_url, name), name))
        imports: list[dict[str, Any]] = []
        searches: list[dict[str, Any]] = []
        try:
            for label, url, _ in databases:
                if not args.skip_import:
                    imports += bench_imports(url, label, path, every_row)
                searches += bench_search(url, label)
        finally:
            for _, _, pg_name in databases:
                if pg_name is not None and args.database_url:
                    drop_postgres(args.database_url, pg_name)
    section = markdown(lines, size_mb, min(lines, DEFAULT_LINES), imports, searches, (load_start, os.getloadavg()[0]))
    print()
    print(section)
    if args.write is not None:
        write_section(args.write, section)
        print(f"wrote the Directory section of {args.write}")


if __name__ == "__main__":
    main()
