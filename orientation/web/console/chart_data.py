"""The dashboard charts' figures, aggregated by the database: a few dozen rows instead of every request.

Each function gives exactly what the pure functions of orientation.core.stats and orientation.web.console.charts give
over the same requests (tests compare them on both databases); only where the counting happens differs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from orientation.core import stats
from orientation.core.models import Request
from orientation.web.console.charts import ANSWER_BUCKETS

Counts = dict[tuple[int, str], tuple[int, int, int]]


def _window(territory_id: int, since: datetime, until: datetime) -> Any:
    return and_(Request.territory_id == territory_id, Request.created_at >= since, Request.created_at < until)


def weekly_counts(session: Session, territory_id: int, week_starts: Sequence[datetime], until: datetime) -> Counts:
    """(week index, motive or "unknown") → (requests, matched, with_outcome) for the weeks starting at week_starts."""
    week = case(
        *[(Request.created_at < start, index - 1) for index, start in enumerate(week_starts[1:], start=1)],
        else_=len(week_starts) - 1,
    )
    matched = func.sum(case((Request.outcome == "matched", 1), else_=0))
    with_outcome = func.count(Request.outcome)
    rows = session.execute(
        select(week, Request.motive, func.count(), matched, with_outcome)
        .where(_window(territory_id, week_starts[0], until))
        .group_by(week, Request.motive)
    )
    result: Counts = {}
    for index, motive, requests, matched_count, outcome_count in rows:
        key = (int(index), motive or stats.UNKNOWN_MOTIVE)
        before = result.get(key, (0, 0, 0))
        result[key] = (before[0] + requests, before[1] + int(matched_count or 0), before[2] + outcome_count)
    return result


def _hour(dialect: str) -> Any:
    if dialect == "postgresql":
        return func.date_trunc("hour", func.timezone("UTC", Request.created_at))
    return func.strftime("%Y-%m-%d %H:00:00", Request.created_at)


def hour_weekday_matrix(
    session: Session, territory_id: int, since: datetime, until: datetime, tz: tzinfo
) -> list[list[int]]:
    """matrix[weekday][hour] of requests in the zone: counted per UTC hour in SQL, placed on the local clock here.

    Every offset of Europe/Paris is a whole number of hours, so a UTC hour falls in exactly one local hour.
    """
    bucket = _hour(session.get_bind().dialect.name)
    matrix = [[0] * 24 for _ in range(7)]
    for hour, count in session.execute(
        select(bucket, func.count()).where(_window(territory_id, since, until)).group_by(bucket)
    ):
        moment = hour if isinstance(hour, datetime) else datetime.fromisoformat(str(hour))
        local = moment.replace(tzinfo=UTC).astimezone(tz)
        matrix[local.weekday()][local.hour] += count
    return matrix


def _seconds(dialect: str, later: Any, earlier: Any) -> Any:
    if dialect == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * literal(86400.0)


def answer_time_buckets(session: Session, territory_id: int, since: datetime, until: datetime) -> list[int]:
    """Live-connected requests per ANSWER_BUCKETS of time to answer (the stats' definition of connected)."""
    seconds = _seconds(session.get_bind().dialect.name, Request.connected_at, Request.created_at)
    bucket = case(
        *[(seconds < high, index) for index, (_, high, _) in enumerate(ANSWER_BUCKETS) if high is not None],
        else_=len(ANSWER_BUCKETS) - 1,
    )
    live = and_(
        Request.connected_at.is_not(None),
        or_(Request.callback_requested_at.is_(None), Request.connected_at < Request.callback_requested_at),
    )
    counts = [0] * len(ANSWER_BUCKETS)
    for index, count in session.execute(
        select(bucket, func.count()).where(_window(territory_id, since, until), live).group_by(bucket)
    ):
        counts[int(index)] += count
    return counts
