"""The line's figures (answer rate, time to answer, match rate…), pure over plain rows.

These are the figures the CPTS reports to the Assurance Maladie in its ACI report, so every one of them is
defined here once, in words as well as in code, and nothing else in the application computes them.

Conventions, decided once for every figure:

* A request belongs to a period, a week, a month, an hour by its ``created_at`` (when the call reached the
  line), read in the territory's time zone (Europe/Paris).
* Rows carry the *current* state of a request: a request whose outcome was changed counts once, with its
  current outcome.
* A request without a motive (the caller hung up before choosing in the menu) counts in ``"all"`` and in
  its own ``"unknown"`` bucket, never in a real motive: putting it under ``"orientation"`` would lower that
  motive's figures with calls that never asked for an orientation. The five buckets add up to ``"all"``.
* "Connected" means connected *live* by the line: ``connected_at`` is set and is not the product of a
  call-back (a connection at or after ``callback_requested_at``). Otherwise a call-back made hours later
  would be counted as an answer and its delay as a time to answer.
* Rates are ``None``, never 0 and never a division by zero, when their denominator is 0.
* Median: :func:`statistics.median` (the mean of the two middle values when their number is even).
  90th percentile: the nearest-rank method, so the figure is always a delay that a patient really had:
  the value of rank ⌈0.9 × n⌉ in ascending order ("90 % of answered calls were answered within X s").
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, NamedTuple

from orientation.core import lifecycle
from orientation.core.lifecycle import MOTIVES as MOTIVES

UNKNOWN_MOTIVE = "unknown"
ALL = "all"
STATUSES: frozenset[str] = frozenset(lifecycle.STATUSES)
OUTCOMES: frozenset[str] = frozenset(lifecycle.OUTCOMES)

MATCH_RATE_DEFINITION_FR = (
    "Taux de prise en charge d'un motif sur une période = nombre de demandes « pris en charge » "
    "÷ nombre de demandes ayant reçu une issue (pris en charge, orienté ailleurs, sans suite, injoignable, "
    "redirigé vers les urgences, hors territoire, abandon). Les demandes encore sans issue ne sont pas "
    "comptées ; une demande dont l'issue a changé compte une fois, avec son issue actuelle. "
    "Une demande appartient à la période de son appel (heure de Paris)."
)
MATCH_RATE_DEFINITION_EN = (
    "Match rate of a motive over a period = requests with the outcome “matched” ÷ requests with a final "
    "outcome (matched, oriented, no solution, unreachable, emergency redirect, out of territory, abandoned). "
    "Requests still without an outcome are not counted; a request whose outcome changed counts once, with "
    "its current outcome. A request belongs to the period of its call (Paris time)."
)

_P90 = 90


def _require_aware(name: str, value: datetime | None) -> None:
    # A naive datetime would be read in the server's local zone by astimezone(): a silently wrong week.
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{name} must be timezone-aware")


@dataclass(frozen=True, slots=True)
class RequestRow:
    """The current state of one request, as much of it as the figures need."""

    motive: str | None
    status: str
    outcome: str | None
    created_at: datetime
    connected_at: datetime | None = None
    callback_requested_at: datetime | None = None
    callback_done_at: datetime | None = None
    commune: str | None = None
    postcode: str | None = None

    def __post_init__(self) -> None:
        # Rows are checked once here so that a typo ("match") or a corrupt timestamp fails loudly
        # instead of quietly lowering a rate that is reported to the Assurance Maladie.
        if self.motive is not None and self.motive not in MOTIVES:
            raise ValueError(f"unknown motive {self.motive!r}")
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")
        if self.outcome is not None and self.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {self.outcome!r}")
        _require_aware("created_at", self.created_at)
        _require_aware("connected_at", self.connected_at)
        _require_aware("callback_requested_at", self.callback_requested_at)
        _require_aware("callback_done_at", self.callback_done_at)
        if self.connected_at is not None and self.connected_at < self.created_at:
            raise ValueError("connected_at is before created_at")
        if self.callback_requested_at is not None and self.callback_requested_at < self.created_at:
            raise ValueError("callback_requested_at is before created_at")
        if self.callback_done_at is not None and (
            self.callback_requested_at is None or self.callback_done_at < self.callback_requested_at
        ):
            raise ValueError("callback_done_at without an earlier callback_requested_at")


@dataclass(frozen=True, slots=True)
class MotiveFigures:
    """The figures of one motive (or of all requests) over the rows given."""

    requests: int
    connected: int  # connected live by the line, see the module docstring
    answer_rate: float | None  # connected / requests
    median_seconds_to_answer: float | None  # connected_at - created_at, over connected requests
    p90_seconds_to_answer: float | None  # nearest rank
    abandoned: int  # status abandoned or outcome abandoned, counted once
    abandon_rate: float | None  # abandoned / requests
    callbacks_pending: int  # status callback_pending now
    median_callback_delay_seconds: float | None  # callback_done_at - callback_requested_at
    with_outcome: int  # outcome is set: every outcome is final
    matched: int
    oriented: int
    no_solution: int
    match_rate: float | None  # matched / with_outcome


class WeeklyPoint(NamedTuple):
    """One motive's counts over one ISO week (Monday to Sunday, local time)."""

    week_start: date
    motive: str
    requests: int
    matched: int
    with_outcome: int


@dataclass(slots=True)
class _Tally:
    """Running counts for one bucket; turned into MotiveFigures once all rows are seen."""

    requests: int = 0
    connected: int = 0
    abandoned: int = 0
    callbacks_pending: int = 0
    with_outcome: int = 0
    matched: int = 0
    oriented: int = 0
    no_solution: int = 0
    answer_seconds: list[float] = field(default_factory=list)
    callback_seconds: list[float] = field(default_factory=list)

    def add(self, row: RequestRow) -> None:
        self.requests += 1
        connected_at = row.connected_at
        callback_requested_at = row.callback_requested_at
        if connected_at is not None and (callback_requested_at is None or connected_at < callback_requested_at):
            self.connected += 1
            self.answer_seconds.append((connected_at - row.created_at).total_seconds())
        outcome = row.outcome
        if row.status == "abandoned" or outcome == "abandoned":
            self.abandoned += 1
        if row.status == "callback_pending":
            self.callbacks_pending += 1
        if row.callback_done_at is not None and callback_requested_at is not None:
            self.callback_seconds.append((row.callback_done_at - callback_requested_at).total_seconds())
        if outcome is not None:
            self.with_outcome += 1
            if outcome == "matched":
                self.matched += 1
            elif outcome == "oriented":
                self.oriented += 1
            elif outcome == "no_solution":
                self.no_solution += 1

    def merge(self, other: _Tally) -> None:
        self.requests += other.requests
        self.connected += other.connected
        self.abandoned += other.abandoned
        self.callbacks_pending += other.callbacks_pending
        self.with_outcome += other.with_outcome
        self.matched += other.matched
        self.oriented += other.oriented
        self.no_solution += other.no_solution
        self.answer_seconds.extend(other.answer_seconds)
        self.callback_seconds.extend(other.callback_seconds)

    def figures(self) -> MotiveFigures:
        self.answer_seconds.sort()
        self.callback_seconds.sort()
        return MotiveFigures(
            requests=self.requests,
            connected=self.connected,
            answer_rate=_ratio(self.connected, self.requests),
            median_seconds_to_answer=_median(self.answer_seconds),
            p90_seconds_to_answer=nearest_rank_percentile(self.answer_seconds, _P90),
            abandoned=self.abandoned,
            abandon_rate=_ratio(self.abandoned, self.requests),
            callbacks_pending=self.callbacks_pending,
            median_callback_delay_seconds=_median(self.callback_seconds),
            with_outcome=self.with_outcome,
            matched=self.matched,
            oriented=self.oriented,
            no_solution=self.no_solution,
            match_rate=_ratio(self.matched, self.with_outcome),
        )


def _ratio(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator


def _median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def nearest_rank_percentile(sorted_values: Sequence[float], percent: int) -> float | None:
    """Return the nearest-rank percentile (value of rank ⌈percent × n / 100⌉) of ascending values."""
    if not 0 < percent <= 100:
        raise ValueError("percent must be in (0, 100]")
    n = len(sorted_values)
    if n == 0:
        return None
    # Integer ceiling: 0.9 * n in floating point can land a hair above an integer and skip a rank.
    rank = (percent * n + 99) // 100
    return float(sorted_values[rank - 1])


def motive_key(row: RequestRow) -> str:
    """Return the bucket a row counts in: its motive, or ``"unknown"`` when it has none."""
    return row.motive if row.motive is not None else UNKNOWN_MOTIVE


def _buckets() -> tuple[str, ...]:
    return (*MOTIVES, UNKNOWN_MOTIVE)


def _tally(rows: Iterable[RequestRow]) -> dict[str, _Tally]:
    tallies = {key: _Tally() for key in _buckets()}
    for row in rows:
        tallies[row.motive if row.motive is not None else UNKNOWN_MOTIVE].add(row)
    return tallies


def _with_total(tallies: dict[str, _Tally]) -> dict[str, MotiveFigures]:
    total = _Tally()
    for tally in tallies.values():
        total.merge(tally)
    result = {key: tally.figures() for key, tally in tallies.items()}
    result[ALL] = total.figures()
    return result


def figures_by_motive(rows: Iterable[RequestRow]) -> dict[str, MotiveFigures]:
    """Return figures for each motive, for ``"unknown"`` (no motive chosen) and for ``"all"``."""
    return _with_total(_tally(rows))


def _local_date(moment: datetime, tz: tzinfo) -> date:
    return moment.astimezone(tz).date()


def week_start(moment: datetime, tz: tzinfo) -> date:
    """Return the Monday of the ISO week that contains ``moment`` in ``tz``."""
    local = _local_date(moment, tz)
    return local - timedelta(days=local.weekday())


def weekly_series(rows: Iterable[RequestRow], tz: tzinfo) -> list[WeeklyPoint]:
    """Return per-week, per-motive counts from the first to the last week that has a request.

    Weeks without requests are present with zeros (a chart must show the gap, not hide it); each of the
    four motives has a point every week; ``"unknown"`` only in weeks where it has requests.
    """
    counts: dict[tuple[date, str], list[int]] = {}
    for row in rows:
        key = (week_start(row.created_at, tz), motive_key(row))
        entry = counts.get(key)
        if entry is None:
            entry = counts[key] = [0, 0, 0]
        entry[0] += 1
        if row.outcome is not None:
            entry[2] += 1
            if row.outcome == "matched":
                entry[1] += 1
    if not counts:
        return []
    weeks = [week for week, _ in counts]
    first, last = min(weeks), max(weeks)
    series: list[WeeklyPoint] = []
    week = first
    while week <= last:
        for motive in _buckets():
            entry = counts.get((week, motive))
            if entry is None and motive == UNKNOWN_MOTIVE:
                continue
            requests, matched, with_outcome = entry or (0, 0, 0)
            series.append(WeeklyPoint(week, motive, requests, matched, with_outcome))
        week += timedelta(days=7)
    return series


def hour_weekday_matrix(rows: Iterable[RequestRow], tz: tzinfo) -> list[list[int]]:
    """Return request counts as ``matrix[weekday][hour]`` in ``tz`` (Monday = 0, hours 0–23)."""
    matrix = [[0] * 24 for _ in range(7)]
    for row in rows:
        local = row.created_at.astimezone(tz)
        matrix[local.weekday()][local.hour] += 1
    return matrix


def aci_rows(rows: Iterable[RequestRow], tz: tzinfo) -> list[dict[str, Any]]:
    """Return one dict per month × commune × motive that has requests, with its figures, for the ACI CSV.

    Keys: ``month`` ("YYYY-MM", local time), ``commune`` (None when unknown), ``motive`` (a motive code or
    ``"unknown"``), then every field of :class:`MotiveFigures`. Rates are left unrounded for the exporter.
    """
    groups: dict[tuple[tuple[int, int], str | None, str], _Tally] = {}
    for row in rows:
        local = row.created_at.astimezone(tz)
        # (year, month) rather than strftime per row: formatting once per group is several times faster.
        key = ((local.year, local.month), row.commune, motive_key(row))
        tally = groups.get(key)
        if tally is None:
            tally = groups[key] = _Tally()
        tally.add(row)
    order = {motive: index for index, motive in enumerate(_buckets())}

    def sort_key(key: tuple[tuple[int, int], str | None, str]) -> tuple[tuple[int, int], bool, str, int]:
        month, commune, motive = key
        return (month, commune is None, commune or "", order[motive])

    result: list[dict[str, Any]] = []
    for key in sorted(groups, key=sort_key):
        (year, month), commune, motive = key
        figures = asdict(groups[key].figures())
        result.append({"month": f"{year:04d}-{month:02d}", "commune": commune, "motive": motive, **figures})
    return result
