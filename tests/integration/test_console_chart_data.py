"""The dashboard's charts counted by the database equal the pure computations over the same requests."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from orientation.core import stats
from orientation.core.clock import FrozenClock
from orientation.core.models import Request
from orientation.services.stats import request_rows
from orientation.web.console import chart_data, charts
from tests import factories

PARIS = ZoneInfo("Europe/Paris")


def _random_requests(session: Session, territory_id: int, start: datetime, days: int, count: int) -> None:
    rng = random.Random(20261025)
    for number in range(count):
        created = start + timedelta(seconds=rng.randint(0, days * 86400), microseconds=rng.randint(0, 999_999))
        connected = None
        callback = None
        if rng.random() < 0.6:
            # Delays around every bucket edge, to the microsecond.
            edge = rng.choice([0, 15, 30, 60, 120, 240, 900])
            connected = created + timedelta(
                seconds=max(0, edge + rng.randint(-2, 2)), microseconds=rng.randint(0, 999_999)
            )
        if rng.random() < 0.2:
            callback = created + timedelta(seconds=rng.randint(1, 600))
        session.add(
            Request(
                territory_id=territory_id,
                reference=f"P20-2026-{number:06d}",
                call_sid=f"CA{number:032d}",
                status="closed",
                motive=rng.choice([*stats.MOTIVES, None]),
                outcome=rng.choice([None, "matched", "oriented", "no_solution"]),
                created_at=created,
                updated_at=created,
                connected_at=connected,
                callback_requested_at=callback,
            )
        )
    session.commit()


def test_chart_figures_from_sql_equal_the_pure_ones_across_the_autumn_clock_change(
    session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    monday = datetime(2026, 10, 5, tzinfo=PARIS)  # six weeks around the night of 25 October
    weeks = [datetime.combine(monday.date() + timedelta(days=7 * i), time(), tzinfo=PARIS) for i in range(6)]
    until = datetime.combine(monday.date() + timedelta(days=42), time(), tzinfo=PARIS)
    _random_requests(session, territory.id, monday.astimezone(UTC) - timedelta(days=2), 46, 600)
    rows = request_rows(session, territory.id, weeks[0], until)

    counted = chart_data.weekly_counts(session, territory.id, weeks, until)
    expected = {
        (weeks.index(datetime.combine(p.week_start, time(), tzinfo=PARIS)), p.motive): (
            p.requests,
            p.matched,
            p.with_outcome,
        )
        for p in stats.weekly_series(rows, PARIS)
        if p.requests
    }
    assert counted == expected

    assert chart_data.hour_weekday_matrix(session, territory.id, weeks[0], until, PARIS) == stats.hour_weekday_matrix(
        rows, PARIS
    )
    assert chart_data.answer_time_buckets(session, territory.id, weeks[0], until) == charts.answer_time_buckets(rows)
    assert sum(sum(row) for row in stats.hour_weekday_matrix(rows, PARIS)) == len(rows) > 400
