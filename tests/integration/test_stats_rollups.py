"""Stored day and month tallies (orientation.services.stats_rollups): used, kept current, never passed off stale."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from flask import Flask
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from orientation.core import stats
from orientation.core.models import Request, StatsDayVersion, StatsRollup, Territory
from orientation.core.stats_plan import midnight
from orientation.core.stats_tally import Tally
from orientation.services import stats_rollups, stats_sql
from orientation.services.stats import request_rows
from tests import factories

# The stored tallies follow the database's clock too (its triggers do): every instant here is long past.
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
START = datetime(2026, 1, 1, tzinfo=UTC)
SINCE = datetime(2026, 2, 10, 13, 30, tzinfo=UTC)
UNTIL = datetime(2026, 6, 3, 8, 15, tzinfo=UTC)
MOTIVES: list[str | None] = [*stats.MOTIVES, None]


def _pure(session: Session, territory_id: int, since: datetime | None, until: datetime | None) -> dict:
    return stats.figures_by_motive(request_rows(session, territory_id, since, until))


def _requests(session: Session, territory: Territory, count: int, seed: int) -> None:
    rng = random.Random(seed)
    for number in range(count):
        created = START + timedelta(seconds=rng.randrange(200 * 86_400), microseconds=rng.randrange(10**6))
        connected = created + timedelta(seconds=rng.choice([3, 3, 4, 20]), microseconds=rng.randrange(10**6))
        requested = done = None
        if rng.random() < 0.3:
            requested, connected = created + timedelta(seconds=40), None
            done = requested + timedelta(seconds=rng.randrange(600, 4000)) if rng.random() < 0.5 else None
        session.add(
            Request(
                territory_id=territory.id,
                reference=f"R-{seed}-{number}",
                status=rng.choice(["closed", "connected", "abandoned", "callback_pending"]),
                motive=rng.choice(MOTIVES),
                outcome=rng.choice([None, "matched", "oriented", "no_solution", "abandoned"]),
                created_at=created,
                updated_at=created,
                connected_at=connected,
                callback_requested_at=requested,
                callback_done_at=done,
            )
        )
    session.commit()


def _stored(session: Session, territory_id: int, kind: str) -> int:
    return session.execute(
        select(func.count())
        .select_from(StatsRollup)
        .where(StatsRollup.territory_id == territory_id, StatsRollup.kind == kind)
    ).scalar_one()


def test_a_long_period_adds_stored_months_and_days_and_equals_the_pure_figures(session: Session) -> None:
    territory = factories.territory(session, NOW)
    _requests(session, territory, 300, seed=1)
    expected = _pure(session, territory.id, SINCE, UNTIL)
    assert stats_sql.figures_by_motive(session, territory.id, SINCE, UNTIL, NOW) == expected
    # March, April and May whole; 18 days of February and 2 of June.
    assert _stored(session, territory.id, "month") == 3
    assert _stored(session, territory.id, "day") == 31 + 30 + 31 + 18 + 2
    assert stats_sql.figures_by_motive(session, territory.id, SINCE, UNTIL, NOW) == expected


def test_a_stored_tally_is_what_the_figures_read_until_its_day_changes(session: Session) -> None:
    territory = factories.territory(session, NOW)
    _requests(session, territory, 120, seed=2)
    day = date(2026, 3, 1)
    one_day = (midnight(day), midnight(day + timedelta(days=1)))
    stats_sql.figures_by_motive(session, territory.id, *one_day, NOW)
    # Tamper with the stored tally: the figures of that day now show it, proof that it is read.
    forged = Tally()
    forged.add_group("orientation", None, None, 1000, [0, 0, 0, 0, 0, 0])
    session.execute(
        update(StatsRollup)
        .where(StatsRollup.territory_id == territory.id, StatsRollup.kind == "day", StatsRollup.start == day)
        .values(tally=forged.to_json())
    )
    session.commit()
    assert stats_sql.figures_by_motive(session, territory.id, *one_day, NOW)["orientation"].requests == 1000
    # Any change of a request of that day, even by hand in SQL, bumps its version: the day is counted again.
    session.execute(
        text(
            "UPDATE requests SET outcome = 'matched' WHERE territory_id = :t AND created_at >= :a AND created_at < :b"
        ),
        {"t": territory.id, "a": _db_moment(session, one_day[0]), "b": _db_moment(session, one_day[1])},
    )
    session.commit()
    assert stats_sql.figures_by_motive(session, territory.id, *one_day, NOW) == _pure(session, territory.id, *one_day)


def test_figures_stay_equal_to_the_pure_ones_through_changes_inserts_and_deletes(session: Session) -> None:
    territory = factories.territory(session, NOW)
    _requests(session, territory, 200, seed=3)
    rng = random.Random(3)
    for round_ in range(6):
        assert stats_sql.figures_by_motive(session, territory.id, None, None, NOW) == _pure(
            session, territory.id, None, None
        ), round_
        assert stats_sql.figures_by_motive(session, territory.id, SINCE, UNTIL, NOW) == _pure(
            session, territory.id, SINCE, UNTIL
        ), round_
        requests = session.execute(select(Request).where(Request.territory_id == territory.id)).scalars().all()
        for changed in rng.sample(requests, 10):
            changed.outcome = rng.choice(["matched", "unreachable", None])
            changed.status = rng.choice(["closed", "abandoned"])
        session.delete(rng.choice(requests))
        session.commit()
        _requests(session, territory, 5, seed=100 + round_)


def test_days_younger_than_the_margin_are_counted_from_the_rows_and_never_stored(session: Session) -> None:
    territory = factories.territory(session, NOW)
    _requests(session, territory, 100, seed=4)
    now = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)  # the caller's clock: 12 h before is 9 March, 18:00
    assert stats_rollups.cutoff(session, now) == date(2026, 3, 9)
    figures = stats_sql.figures_by_motive(session, territory.id, START, UNTIL, now)
    assert figures == _pure(session, territory.id, START, UNTIL)
    latest = session.execute(
        select(func.max(StatsRollup.start)).where(StatsRollup.territory_id == territory.id, StatsRollup.kind == "day")
    ).scalar_one()
    assert latest == date(2026, 3, 8)


def test_a_recount_at_an_older_version_never_replaces_a_newer_tally(session: Session) -> None:
    territory = factories.territory(session, NOW)
    _requests(session, territory, 50, seed=5)
    day = date(2026, 2, 1)
    newer, older = Tally(), Tally()
    newer.add_group("orientation", None, None, 7, [0, 0, 0, 0, 0, 0])
    older.add_group("orientation", None, None, 3, [0, 0, 0, 0, 0, 0])
    stats_rollups._upsert(session, [stats_rollups._row(territory.id, "day", day, newer, 5, NOW)])
    stats_rollups._upsert(session, [stats_rollups._row(territory.id, "day", day, older, 4, NOW)])
    session.commit()
    stored = session.execute(
        select(StatsRollup.tally, StatsRollup.version).where(
            StatsRollup.territory_id == territory.id, StatsRollup.start == day
        )
    ).one()
    assert (Tally.from_json(stored.tally).counts["orientation"][0], stored.version) == (7, 5)


def test_the_triggers_bump_old_days_and_leave_live_calls_alone(session: Session) -> None:
    territory = factories.territory(session, NOW)
    live = stats_rollups.database_now(session)
    session.add_all(
        [
            Request(territory_id=territory.id, reference="OLD-1", status="routing", created_at=START, updated_at=START),
            Request(territory_id=territory.id, reference="LIVE-1", status="routing", created_at=live, updated_at=live),
        ]
    )
    session.commit()
    session.execute(update(Request).where(Request.territory_id == territory.id).values(status="connected"))
    session.execute(update(Request).where(Request.territory_id == territory.id).values(caller_is_mobile=True))
    session.commit()
    versions = dict(
        session.execute(
            select(StatsDayVersion.day, StatsDayVersion.version).where(StatsDayVersion.territory_id == territory.id)
        ).all()
    )
    # The old request: inserted, then its status changed (its mobile flag is not a stats field).
    assert versions == {START.date(): 2}


def test_the_clock_job_stores_every_whole_day_so_the_first_look_counts_nothing(session: Session) -> None:
    territory = factories.territory(session, NOW)
    _requests(session, territory, 80, seed=6)
    counted = stats_rollups.refresh(session, territory.id, date(2026, 1, 1), date(2026, 8, 1), NOW)
    assert counted == 212  # January to July
    assert stats_rollups.refresh(session, territory.id, date(2026, 1, 1), date(2026, 8, 1), NOW) == 0
    assert _stored(session, territory.id, "month") == 7


def _db_moment(session: Session, moment: datetime) -> object:
    # Bound as the models bind datetimes: aware on PostgreSQL, SQLAlchemy's text on SQLite.
    if session.get_bind().dialect.name == "postgresql":
        return moment
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def test_the_nightly_job_stores_each_territorys_days_and_the_next_look_counts_only_the_rest(
    app: Flask, session: Session
) -> None:
    rt = app.extensions["orientation"]
    territory = factories.territory(session, NOW)
    factories.territory(session, NOW, name="CPTS vide", reference_prefix="V", phone_numbers=["+33199000003"])
    _requests(session, territory, 60, seed=7)
    first_day = session.execute(
        select(func.min(Request.created_at)).where(Request.territory_id == territory.id)
    ).scalar_one()
    counted = stats_rollups.store_tallies(rt, NOW)
    days = (stats_rollups.cutoff(session, NOW) - first_day.date()).days
    assert counted == days
    assert stats_rollups.store_tallies(rt, NOW) == 0
    expected = _pure(session, territory.id, START, NOW)
    assert stats_sql.figures_by_motive(session, territory.id, START, NOW, NOW) == expected


def test_a_period_from_long_before_the_first_request_stores_no_empty_days(session: Session) -> None:
    territory = factories.territory(session, NOW)
    _requests(session, territory, 30, seed=8)
    since = datetime(2001, 1, 1, tzinfo=UTC)
    assert stats_sql.figures_by_motive(session, territory.id, since, NOW, NOW) == _pure(
        session, territory.id, since, NOW
    )
    earliest = session.execute(
        select(func.min(StatsRollup.start)).where(StatsRollup.territory_id == territory.id)
    ).scalar_one()
    assert earliest is not None and earliest >= START.date()
