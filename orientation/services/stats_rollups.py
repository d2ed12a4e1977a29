"""Stored stats tallies per UTC day and month, so a year of a busy territory is not counted row by row.

`tally(session, territory, since, until)` adds up, for the period, the stored month and day tallies that
`orientation.core.stats_plan` allows and counts the rest (the period's partial end days, the last half day or
more) from the requests. Stored tallies are kept current without the application having to remember it:
database triggers (migration 0009) bump `stats_day_versions` for a day whenever one of its requests older
than six hours is inserted, changed in a stats field or deleted, by any code or by hand; a day tally is
current while it was counted at its day's version, a month tally while it was built at the sum of its
days' versions. Versions only grow, and a stored tally is replaced only by one counted at a version at
least as high, so two processes recounting at once can never leave an out-of-date tally looking current.

Only days that end `MARGIN` before the earlier of the caller's clock and the database's are stored. The
triggers leave younger requests alone (live calls never wait on a version row); the margin over their six
hours covers a transaction that changed an old request and commits up to six hours later.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from orientation.core import stats_plan
from orientation.core.db import transaction
from orientation.core.models import Request, StatsDayVersion, StatsRollup, Territory
from orientation.core.runtime import Runtime
from orientation.core.stats_tally import Tally
from orientation.services.stats_sql import raw_tallies

MARGIN = timedelta(hours=12)
# How far back the clock job stores tallies ahead of any look (older periods are stored when first looked at).
STORED_DAYS = timedelta(days=400)
DAY, MONTH = "day", "month"


def database_now(session: Session) -> datetime:
    """The database server's clock, which the triggers use (aware, UTC)."""
    if session.get_bind().dialect.name == "postgresql":
        value = session.execute(text("SELECT clock_timestamp()")).scalar_one()
        return value.astimezone(UTC)
    value = session.execute(text("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')")).scalar_one()
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _clock(session: Session, now: datetime | None) -> datetime:
    """The earlier of the caller's clock and the database's."""
    moment = database_now(session)
    return moment if now is None else min(moment, now)


def cutoff(session: Session, now: datetime | None = None) -> date:
    """The first UTC day that is not stored: days before it ended at least MARGIN ago on both clocks."""
    return _cutoff_at(_clock(session, now))


def _cutoff_at(moment: datetime) -> date:
    return (moment - MARGIN).astimezone(UTC).date()


def tally(
    session: Session, territory_id: int, since: datetime | None, until: datetime | None, now: datetime | None = None
) -> Tally:
    """The tally of the territory's requests created in [since, until), from stored tallies where allowed.

    May write day and month tallies, and then commits the session.
    """
    # Nothing before the territory's first request: a period from year 2000 stores no empty days.
    first = session.execute(
        select(func.min(Request.created_at)).where(Request.territory_id == territory_id)
    ).scalar_one_or_none()
    if first is None:
        return Tally()
    since = first if since is None else max(since, first)
    if until is not None and until <= since:
        return Tally()
    moment = _clock(session, now)
    plan = stats_plan.plan(since, until, _cutoff_at(moment))
    total = Tally()
    if plan.days or plan.months:
        for stored in _stored(session, territory_id, plan, moment)[0]:
            total.merge(stored)
    for start, end in plan.raw:
        total.merge(raw_tallies(session, territory_id, start, end).get(None, Tally()))
    return total


def refresh(session: Session, territory_id: int, first: date, end: date, now: datetime) -> int:
    """Bring the stored tallies of the days in [first, end) and their whole months up to date; commits.

    Returns how many day tallies were counted again. The clock process runs it so that the first look at
    a long period does not pay the counting.
    """
    stored_end = min(end, cutoff(session, now))
    if first >= stored_end:
        return 0
    plan = stats_plan.plan(stats_plan.midnight(first), stats_plan.midnight(stored_end), stored_end)
    _, counted = _stored(session, territory_id, plan, now)
    return counted


def store_tallies(rt: Runtime, now: datetime) -> int:
    """Clock job: store every territory's tallies of the last STORED_DAYS days that are over; returns days counted."""
    counted = 0
    with transaction(rt.sessions) as session:
        territories = session.execute(select(Territory.id).order_by(Territory.id)).scalars().all()
    for territory_id in territories:
        with transaction(rt.sessions) as session:
            first = session.execute(
                select(func.min(Request.created_at)).where(Request.territory_id == territory_id)
            ).scalar_one_or_none()
            if first is None:
                continue
            start = max(first.astimezone(UTC).date(), (now - STORED_DAYS).astimezone(UTC).date())
            # refresh stops at the cutoff itself.
            counted += refresh(session, territory_id, start, now.astimezone(UTC).date(), now)
    return counted


def _versions(session: Session, territory_id: int, first: date, last: date) -> dict[date, int]:
    rows = session.execute(
        select(StatsDayVersion.day, StatsDayVersion.version).where(
            StatsDayVersion.territory_id == territory_id, StatsDayVersion.day.between(first, last)
        )
    )
    return {day: version for day, version in rows}


def _rollups(session: Session, territory_id: int, kind: str, starts: Iterable[date]) -> dict[date, tuple[int, str]]:
    wanted = sorted(set(starts))
    if not wanted:
        return {}
    rows = session.execute(
        select(StatsRollup.start, StatsRollup.version, StatsRollup.tally).where(
            StatsRollup.territory_id == territory_id, StatsRollup.kind == kind, StatsRollup.start.in_(wanted)
        )
    )
    return {start: (version, payload) for start, version, payload in rows}


def _stored(session: Session, territory_id: int, plan: stats_plan.Plan, now: datetime) -> tuple[list[Tally], int]:
    """The current tallies of the plan's months and days, counting and storing those out of date; and how many
    days were counted."""
    covered = plan.stored_days()
    # Versions first, then tallies and rows: a change committed after this read bumps a version past
    # what is stored below, so it is counted the next time.
    versions = _versions(session, territory_id, covered[0], covered[-1])
    month_versions = {m: sum(versions.get(d, 0) for d in stats_plan.month_days(m)) for m in plan.months}
    months = _rollups(session, territory_id, MONTH, plan.months)
    usable = {m: months[m][1] for m in plan.months if m in months and months[m][0] >= month_versions[m]}
    to_build = [m for m in plan.months if m not in usable]
    wanted_days = [*plan.days, *(d for m in to_build for d in stats_plan.month_days(m))]
    days = {
        d: Tally.from_json(payload)
        for d, (version, payload) in _rollups(session, territory_id, DAY, wanted_days).items()
        if version >= versions.get(d, 0)
    }
    stale = sorted(d for d in wanted_days if d not in days)
    rows: list[dict[str, object]] = []
    if stale:
        fresh = _count_days(session, territory_id, stale)
        for day in stale:
            days[day] = fresh.get(day, Tally())
            rows.append(_row(territory_id, DAY, day, days[day], versions.get(day, 0), now))
    built: dict[date, Tally] = {}
    for month in to_build:
        merged = Tally()
        for day in stats_plan.month_days(month):
            merged.merge(days[day])
        built[month] = merged
        rows.append(_row(territory_id, MONTH, month, merged, month_versions[month], now))
    if rows:
        _upsert(session, rows)
        session.commit()
    result = [Tally.from_json(usable[m]) if m in usable else built[m] for m in plan.months]
    result.extend(days[d] for d in plan.days)
    return result, len(stale)


def _count_days(session: Session, territory_id: int, days: list[date]) -> dict[date, Tally]:
    """The tallies of the given days, counted from the requests, one query per run of consecutive days."""
    tallies: dict[date, Tally] = {}
    run_start = previous = days[0]
    for day in [*days[1:], None]:
        if day is not None and day == previous + stats_plan.ONE_DAY:
            previous = day
            continue
        counted = raw_tallies(
            session,
            territory_id,
            stats_plan.midnight(run_start),
            stats_plan.midnight(previous + stats_plan.ONE_DAY),
            by_day=True,
        )
        tallies.update({d: t for d, t in counted.items() if d is not None})
        if day is not None:
            run_start = previous = day
    return tallies


def _row(territory_id: int, kind: str, start: date, counted: Tally, version: int, now: datetime) -> dict[str, object]:
    return {
        "territory_id": territory_id,
        "kind": kind,
        "start": start,
        "tally": counted.to_json(),
        "version": version,
        "computed_at": now,
    }


def _upsert(session: Session, rows: list[dict[str, object]]) -> None:
    """Store tallies; one already stored at a higher version (a later recount) is kept."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(StatsRollup)
    statement = statement.on_conflict_do_update(
        index_elements=["territory_id", "kind", "start"],
        set_={
            "tally": statement.excluded.tally,
            "version": statement.excluded.version,
            "computed_at": statement.excluded.computed_at,
        },
        where=StatsRollup.version <= statement.excluded.version,
    )
    for batch in range(0, len(rows), 500):
        session.execute(statement, rows[batch : batch + 500])
