"""The SQL figures (orientation.services.stats_sql) equal the pure ones (orientation.core.stats), on both databases."""

from __future__ import annotations

import random
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from orientation.core import stats
from orientation.core.models import Request, Territory
from orientation.services import stats_sql
from orientation.services.stats import figures_for, request_rows
from orientation.services.stats_wait import wait_figures_for
from tests import factories

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
START = datetime(2026, 1, 1, tzinfo=UTC)
MOTIVES: list[str | None] = [*stats.MOTIVES, None]
_references = iter(range(1, 10**9))


def _territories(session: Session) -> tuple[Territory, Territory]:
    first = factories.territory(session, NOW)
    second = factories.territory(session, NOW, name="CPTS Lilas", reference_prefix="L", phone_numbers=["+33199000002"])
    return first, second


def _delay(rng: random.Random) -> timedelta:
    # Few distinct whole seconds and microsecond differences inside them: ranks fall among ties.
    return timedelta(seconds=rng.choice([0, 1, 1, 2, 7, 59, 3600, 90_000]), microseconds=rng.randrange(0, 4) * 250_001)


def _request(rng: random.Random, territory: Territory) -> Request:
    created = START + timedelta(seconds=rng.randrange(365 * 86_400), microseconds=rng.randrange(10**6))
    status = rng.choice(sorted(stats.STATUSES))
    connected = requested = done = None
    shape = rng.random()
    if shape < 0.5:
        connected = created + _delay(rng)
    elif shape < 0.8:
        requested = created + _delay(rng)
        if rng.random() < 0.6:
            done = requested + _delay(rng)
            # Connected by the call-back (not counted as an answer), or live before it was asked (counted).
            connected = done if rng.random() < 0.7 else created + (requested - created) / 2
    outcome = rng.choice([None, None, *sorted(stats.OUTCOMES)])
    return Request(
        territory_id=territory.id,
        reference=f"T-{next(_references)}",
        status=status,
        motive=rng.choice(MOTIVES),
        outcome=outcome,
        created_at=created,
        updated_at=created,
        connected_at=connected,
        callback_requested_at=requested,
        callback_done_at=done,
    )


def _pure(session: Session, territory_id: int | None, since: datetime | None, until: datetime | None) -> dict:
    return stats.figures_by_motive(request_rows(session, territory_id, since, until))


def test_the_sql_figures_equal_the_pure_figures_on_random_requests(session: Session) -> None:
    first, second = _territories(session)
    for seed in range(25):
        rng = random.Random(seed)
        session.execute(delete(Request))
        session.add_all(_request(rng, rng.choice([first, first, second])) for _ in range(rng.randrange(0, 90)))
        session.commit()
        since = START + timedelta(days=rng.randrange(200))
        periods = [(None, None), (since, None), (None, since), (since, since + timedelta(days=rng.randrange(1, 200)))]
        for territory_id in (first.id, second.id, None):
            for begin, end in periods:
                expected = _pure(session, territory_id, begin, end)
                assert stats_sql.figures_by_motive(session, territory_id, begin, end) == expected, (seed, begin, end)


def test_the_p90_is_the_exact_nearest_rank_where_a_float_product_would_skip_one(session: Session) -> None:
    first, _ = _territories(session)
    # 0.9 × 70 is 63.00000000000001 in floating point: a float ceiling would answer rank 64.
    for second in range(70):
        created = START + timedelta(hours=second)
        session.add(
            Request(
                territory_id=first.id,
                reference=f"P-{second}",
                status="closed",
                motive="orientation",
                created_at=created,
                updated_at=created,
                connected_at=created + timedelta(seconds=second + 1, microseconds=1),
            )
        )
    session.commit()
    figures = stats_sql.figures_by_motive(session, first.id, None, None)
    assert figures["orientation"].p90_seconds_to_answer == 63.000001
    assert figures["orientation"].median_seconds_to_answer == (35.000001 + 36.000001) / 2
    assert figures == _pure(session, first.id, None, None)


def test_delays_one_microsecond_apart_keep_their_order_and_their_value(session: Session) -> None:
    first, _ = _territories(session)
    delays = [timedelta(seconds=5, microseconds=micro) for micro in (3, 1, 2)]
    for number, delay in enumerate(delays):
        session.add(
            Request(
                territory_id=first.id,
                reference=f"M-{number}",
                status="closed",
                motive="visite_domicile",
                created_at=START,
                updated_at=START,
                connected_at=START + delay,
            )
        )
    session.commit()
    figures = stats_sql.figures_by_motive(session, first.id, None, None)["visite_domicile"]
    assert figures.median_seconds_to_answer == timedelta(seconds=5, microseconds=2).total_seconds()
    assert figures.p90_seconds_to_answer == timedelta(seconds=5, microseconds=3).total_seconds()


def test_an_empty_period_gives_zero_counts_and_no_rates(session: Session) -> None:
    first, _ = _territories(session)
    figures = stats_sql.figures_by_motive(session, first.id, START, START + timedelta(days=1))
    assert set(figures) == {*stats.MOTIVES, stats.UNKNOWN_MOTIVE, stats.ALL}
    assert figures[stats.ALL].requests == 0
    assert figures[stats.ALL].answer_rate is None
    assert figures[stats.ALL].median_seconds_to_answer is None
    assert figures == _pure(session, first.id, START, START + timedelta(days=1))


def test_a_request_with_an_unknown_motive_is_refused_as_the_pure_figures_refuse_it(session: Session) -> None:
    first, _ = _territories(session)
    session.add(
        Request(
            territory_id=first.id, reference="U-1", status="closed", motive="match", created_at=START, updated_at=START
        )
    )
    session.commit()
    with pytest.raises(ValueError, match="motive"):
        _pure(session, first.id, None, None)
    with pytest.raises(ValueError, match="motive"):
        stats_sql.figures_by_motive(session, first.id, None, None)


def test_the_stats_api_answer_is_computed_by_the_sql_figures(session: Session) -> None:
    first, _ = _territories(session)
    rng = random.Random(7)
    session.add_all(_request(rng, first) for _ in range(40))
    session.commit()
    answer = figures_for(session, first.id, None, None)
    expected = _pure(session, first.id, None, None)
    # Each motive also carries its waiting-line figures (issue 19), computed apart from the SQL tally.
    waits = {motive: figures.pop("waiting_line") for motive, figures in answer["motives"].items()}
    assert answer["motives"] == {motive: asdict(values) for motive, values in expected.items()}
    assert waits == wait_figures_for(session, first.id, None, None)
