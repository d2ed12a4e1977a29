"""The figures of `orientation.core.stats`, computed in the database instead of over rows read into Python.

The definitions are those of `orientation.core.stats` (read its docstring), and the results are *equal* to
`stats.figures_by_motive(request_rows(...))`, value for value — tests/integration/test_stats_sql.py
compares the two on random data on SQLite and PostgreSQL. How, without moving every row to Python:

* Counts: one GROUP BY motive with conditional sums.
* Delays (time to answer, call-back delay) are the generated columns ``answer_micros`` and
  ``callback_micros`` (migration 0009): an exact integer number of *microseconds* computed by the database
  under the conditions of `orientation.core.stats` (PostgreSQL's ``EXTRACT(EPOCH FROM interval)`` is numeric; on
  SQLite the stored text ``YYYY-MM-DD HH:MM:SS.ffffff`` is read as whole seconds plus its six digits).
  ``micro / 1_000_000`` in Python is then the very float that ``timedelta.total_seconds()`` gives, and
  integers sort like those floats.
* Order statistics (median, nearest-rank 90th percentile) in two passes, so that no backend sorts a year of
  delays: a count per slot of delay first (each whole second up to ten minutes, then wider: see
  `orientation.core.stats_tally.slot`; the histograms ride on the counts), then only the delays of the few slots
  that hold a wanted rank are read back, through the delay's covering index, and sorted here.
* Counts and histograms add up over disjoint sets of requests (`orientation.core.stats_tally.Tally`): a
  territory's long period comes from stored day and month tallies (`stats_rollups`) plus the rows of the
  rest; the second pass always reads the whole period's delays of the wanted slots.

Rows that `stats.RequestRow` refuses (an unknown motive, status or outcome) raise ValueError here too; the
order of the timestamps, which RequestRow also checks, is not checked again here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from orientation.core import stats
from orientation.core.db import UTCDateTime
from orientation.core.stats_tally import COUNTS, Tally, slot, slot_micros, slot_sql, whole_second

MICROS = 1_000_000


def _where(territory_id: int | None, since: datetime | None, until: datetime | None) -> tuple[str, dict[str, Any]]:
    """The WHERE clause of request_rows (territory, created in [since, until)) and its parameters."""
    clauses: list[str] = ["1 = 1"]
    params: dict[str, Any] = {}
    if territory_id is not None:
        clauses.append("territory_id = :territory_id")
        params["territory_id"] = territory_id
    if since is not None:
        clauses.append("created_at >= :since")
        params["since"] = since
    if until is not None:
        clauses.append("created_at < :until")
        params["until"] = until
    return " AND ".join(clauses), params


def _statement(sql: str, params: Mapping[str, Any]) -> Any:
    """A text statement whose datetimes are bound as the models bind them (UTC, SQLite's text format)."""
    statement = text(sql)
    moments = [bindparam(name, type_=UTCDateTime()) for name in ("since", "until") if name in params]
    return statement.bindparams(*moments) if moments else statement


def _bucket(motive: str | None) -> str:
    if motive is None:
        return stats.UNKNOWN_MOTIVE
    if motive not in stats.MOTIVES:
        raise ValueError(f"unknown motive {motive!r}")
    return motive


def _median_ranks(n: int) -> list[int]:
    return [(n + 1) // 2] if n % 2 else [n // 2, n // 2 + 1]


def _p90_rank(n: int) -> int:
    # The integer ceiling of orientation.core.stats.nearest_rank_percentile, never a float product.
    return (90 * n + 99) // 100


def _locate(histogram: Mapping[int, int], rank: int) -> tuple[int, int]:
    """The slot holding the value of `rank` (1-based) and its 0-based position in that slot."""
    seen = 0
    for second in sorted(histogram):
        if seen + histogram[second] >= rank:
            return second, rank - seen - 1
        seen += histogram[second]
    raise ValueError("rank beyond the histogram")


class _Delays:
    """One delay's histograms per bucket (motives, unknown, all) and the ranks wanted in each."""

    def __init__(self, per_bucket: Mapping[str, Mapping[int, int]]) -> None:
        """The tally's histograms of one delay (slot start → count per bucket), and their sum as "all"."""
        self.histograms: dict[str, dict[int, int]] = {bucket: dict(h) for bucket, h in per_bucket.items()}
        every: dict[int, int] = {}
        for histogram in per_bucket.values():
            for second, count in histogram.items():
                every[second] = every.get(second, 0) + count
        if every:
            self.histograms[stats.ALL] = every
        self.wanted: dict[str, list[tuple[int, int]]] = {}

    def want(self, ranks_of: Callable[[int], list[int]]) -> set[int]:
        """Note the (slot, position) of each wanted rank per bucket; return the slots to read."""
        seconds: set[int] = set()
        for key, histogram in self.histograms.items():
            n = sum(histogram.values())
            self.wanted[key] = [_locate(histogram, rank) for rank in ranks_of(n)]
            seconds.update(second for second, _ in self.wanted[key])
        return seconds

    def values(self, rows: Iterable[tuple[str, int]]) -> dict[str, list[float]]:
        """From the delays of the wanted slots (bucket, microseconds), each bucket's wanted values in rank order."""
        by_second: dict[tuple[str, int], list[int]] = defaultdict(list)
        for bucket, micro in rows:
            for key in (bucket, stats.ALL):
                by_second[(key, slot(whole_second(micro)))].append(micro)
        for values in by_second.values():
            values.sort()
        return {
            key: [by_second[(key, second)][position] / MICROS for second, position in wanted]
            for key, wanted in self.wanted.items()
        }


def _median(values: list[float]) -> float | None:
    """statistics.median over the one or two middle values given, with the same arithmetic."""
    if not values:
        return None
    return float(values[0]) if len(values) == 1 else float((values[0] + values[1]) / 2)


def raw_tallies(
    session: Session, territory_id: int | None, since: datetime | None, until: datetime | None, by_day: bool = False
) -> dict[date | None, Tally]:
    """The tally of the requests created in [since, until), counted from the rows: one, or one per UTC day."""
    dialect = session.get_bind().dialect.name
    where, params = _where(territory_id, since, until)
    day = "CAST(created_at AT TIME ZONE 'UTC' AS DATE)" if dialect == "postgresql" else "substr(created_at, 1, 10)"
    day_column = f"{day} AS day" if by_day else "NULL AS day"
    statuses = ", ".join(f"'{s}'" for s in sorted(stats.STATUSES))
    outcomes = ", ".join(f"'{o}'" for o in sorted(stats.OUTCOMES))
    # The slots of both delays ride on the counts: one pass gives counts and both histograms (a
    # request is answered live or called back, rarely both, so the groups stay few). Integer division
    # truncates toward zero on both backends (and in _Delays.values). answer_micros and callback_micros are
    # generated columns (migration 0009): the delays of _micro, under the conditions of stats.
    counts_sql = f"""
        SELECT day, motive, answer_second, callback_second, count(*),
          sum(CASE WHEN status = 'abandoned' OR outcome = 'abandoned' THEN 1 ELSE 0 END),
          sum(CASE WHEN status = 'callback_pending' THEN 1 ELSE 0 END),
          sum(CASE WHEN outcome IS NOT NULL THEN 1 ELSE 0 END),
          sum(CASE WHEN outcome = 'matched' THEN 1 ELSE 0 END),
          sum(CASE WHEN outcome = 'oriented' THEN 1 ELSE 0 END),
          sum(CASE WHEN outcome = 'no_solution' THEN 1 ELSE 0 END),
          sum(CASE WHEN status NOT IN ({statuses}) OR outcome NOT IN ({outcomes}) THEN 1 ELSE 0 END)
        FROM (
          SELECT {day_column}, motive, status, outcome,
            {slot_sql(f"answer_micros / {MICROS}")} AS answer_second,
            {slot_sql(f"callback_micros / {MICROS}")} AS callback_second
          FROM requests WHERE {where}
        ) AS period
        GROUP BY day, motive, answer_second, callback_second
    """  # noqa: S608 - only fixed SQL fragments and constants are formatted in; values are bound
    tallies: dict[date | None, Tally] = {}
    for day_value, motive, answer_second, callback_second, count, *sums in session.execute(
        _statement(counts_sql, params), params
    ):
        if sums[-1]:
            raise ValueError("a request has an unknown status or outcome")
        key = day_value if day_value is None or isinstance(day_value, date) else date.fromisoformat(day_value)
        tallies.setdefault(key, Tally()).add_group(
            _bucket(motive),
            None if answer_second is None else int(answer_second),
            None if callback_second is None else int(callback_second),
            int(count),
            [int(value or 0) for value in sums[:-1]],
        )
    return tallies


def figures_by_motive(
    session: Session,
    territory_id: int | None,
    since: datetime | None,
    until: datetime | None,
    now: datetime | None = None,
) -> dict[str, stats.MotiveFigures]:
    """What `stats.figures_by_motive(request_rows(session, territory_id, since, until))` returns, computed in SQL.

    A territory's figures add up stored day and month totals and count only the rest from the rows
    (`stats_rollups`, which may write and commit those totals); every territory's at once are counted from
    the rows. `now` (the caller's clock) can only make fewer days count as stored.
    """
    from orientation.services import stats_rollups

    if territory_id is None:
        tally = raw_tallies(session, None, since, until).get(None, Tally())
    else:
        tally = stats_rollups.tally(session, territory_id, since, until, now)
    answers, callbacks = _Delays(tally.answers), _Delays(tally.callbacks)
    answer_seconds = answers.want(_answer_ranks)
    callback_seconds = callbacks.want(_median_ranks)
    where, params = _where(territory_id, since, until)
    answer_rows = _delays_in(session, "answer_micros", answer_seconds, where, params)
    callback_rows = _delays_in(session, "callback_micros", callback_seconds, where, params)
    answer_values = answers.values(answer_rows)
    callback_values = callbacks.values(callback_rows)

    result: dict[str, stats.MotiveFigures] = {}
    total = [0] * len(COUNTS)
    for key in (*stats.MOTIVES, stats.UNKNOWN_MOTIVE):
        counts = tally.counts.get(key, [0] * len(COUNTS))
        result[key] = _figures(counts, answer_values.get(key, []), callback_values.get(key, []))
        total = [a + b for a, b in zip(total, counts, strict=True)]
    result[stats.ALL] = _figures(total, answer_values.get(stats.ALL, []), callback_values.get(stats.ALL, []))
    return result


def _delays_in(
    session: Session, column: str, seconds: set[int], where: str, params: Mapping[str, Any]
) -> list[tuple[str, int]]:
    # `column` is answer_micros or callback_micros, never outside input.
    """Second pass: (bucket, microseconds) of the period's delays that lie in the given slots.

    One range per second over the column's index (territory, delay, created_at, motive), so a year of a busy
    territory is not read again: only the requests of those few slots, and without touching the table.
    """
    rows: list[tuple[str, int]] = []
    # SQLite's planner prefers the (territory, created_at) index, a scan of the whole period: 37 ms
    # instead of 0.2 ms for one second of a year of 20,000 requests.
    table = f"requests INDEXED BY ix_requests_{column}" if session.get_bind().dialect.name == "sqlite" else "requests"
    for second in sorted(seconds):
        low, high = slot_micros(second)
        values_sql = f"SELECT motive, {column} FROM {table} WHERE {where} AND {column} BETWEEN :low AND :high"  # noqa: S608 - fixed names
        bound = {**params, "low": low, "high": high}
        found = session.execute(_statement(values_sql, bound), bound)
        rows.extend((_bucket(motive), int(micro)) for motive, micro in found)
    return rows


def _answer_ranks(n: int) -> list[int]:
    return [*_median_ranks(n), _p90_rank(n)]


def _figures(tally: list[int], answer: list[float], callback: list[float]) -> stats.MotiveFigures:
    """MotiveFigures from counts and the delays at the wanted ranks (median one or two values, then p90)."""
    requests, connected, abandoned, pending, with_outcome, matched, oriented, no_solution = tally
    return stats.MotiveFigures(
        requests=requests,
        connected=connected,
        answer_rate=_ratio(connected, requests),
        median_seconds_to_answer=_median(answer[:-1]),
        p90_seconds_to_answer=float(answer[-1]) if answer else None,
        abandoned=abandoned,
        abandon_rate=_ratio(abandoned, requests),
        callbacks_pending=pending,
        median_callback_delay_seconds=_median(callback),
        with_outcome=with_outcome,
        matched=matched,
        oriented=oriented,
        no_solution=no_solution,
        match_rate=_ratio(matched, with_outcome),
    )


def _ratio(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator
