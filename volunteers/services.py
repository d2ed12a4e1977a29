"""Volunteer services: building the rota from the database and choosing whom to ring."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Protocol, cast
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Exists, Select, Table, and_, bindparam, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from orientation.core.calendar import FrenchPublicHolidays, french_public_holidays
from orientation.core.lifecycle import MOTIVES
from orientation.core.models import Attempt, Territory
from orientation.core.opening_hours import OpeningHoursError, open_intervals, parse_opening_hours
from volunteers import coverage
from volunteers import rota as rota_mod
from volunteers import shifts as shifts_mod
from volunteers.models import RotaVersion, Shift, ShiftException, ShiftPattern, Volunteer
from volunteers.on_duty import OnDuty, next_change
from volunteers.rota_cache import CACHE, RotaSnapshot
from volunteers.routing import Load, load_per_volunteer, speakers_first

# A volunteer whose phone rang for another request this recently, without an answer yet, is not rung again.
RINGING_WINDOW = timedelta(seconds=60)
_ATTEMPTS = cast(Table, Attempt.__table__)
_VOLUNTEERS = cast(Table, Volunteer.__table__)


class RotaZone(Protocol):
    """Where a rota is read: the territory's id, time zone and holiday calendar (a Territory, or those columns)."""

    @property
    def id(self) -> int: ...

    @property
    def timezone(self) -> str: ...

    @property
    def holiday_subdivision(self) -> str | None: ...


def _hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def build_rota(
    patterns: Iterable[ShiftPattern], shifts: Iterable[Shift], exceptions: Iterable[ShiftException]
) -> rota_mod.Rota:
    """The pure Rota of a set of pattern, shift and exception rows."""
    pure_patterns = [
        shifts_mod.WeeklyPattern(
            id=p.id,
            volunteer_id=p.volunteer_id,
            weekdays=frozenset(p.weekdays),
            start=_hhmm(p.start_time),
            end=_hhmm(p.end_time),
            valid_from=p.valid_from,
            valid_until=p.valid_until,
            motives=frozenset(p.motives or ()),
            holidays=p.holidays,
        )
        for p in patterns
    ]
    pure_shifts = [
        shifts_mod.OneOffShift(
            id=s.id,
            volunteer_id=s.volunteer_id,
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            motives=frozenset(s.motives or ()),
        )
        for s in shifts
    ]
    cancellations = []
    replacements = []
    for e in exceptions:
        if e.replacement_volunteer_id is None:
            cancellations.append(shifts_mod.Cancellation(pattern_id=e.pattern_id, on_date=e.on_date))
        else:
            replacements.append(
                shifts_mod.Replacement(
                    pattern_id=e.pattern_id, on_date=e.on_date, volunteer_id=e.replacement_volunteer_id
                )
            )
    return rota_mod.Rota(pure_patterns, pure_shifts, cancellations, replacements)


def load_rota(session: Session, territory_id: int, around: datetime) -> rota_mod.Rota:
    """The territory's rota, with one-off shifts near `around` (patterns are all loaded)."""
    volunteer_ids = select(Volunteer.id).where(Volunteer.territory_id == territory_id)
    patterns = session.scalars(select(ShiftPattern).where(ShiftPattern.volunteer_id.in_(volunteer_ids))).all()
    day = around.date()
    window_start = datetime.combine(day - timedelta(days=2), time(), tzinfo=around.tzinfo)
    window_end = datetime.combine(day + timedelta(days=2), time(), tzinfo=around.tzinfo)
    shifts = session.scalars(
        select(Shift).where(
            Shift.volunteer_id.in_(volunteer_ids), Shift.ends_at > window_start, Shift.starts_at < window_end
        )
    ).all()
    # A subquery, not the list of ids: a territory's hundreds of pattern ids made a new, uncached
    # statement of hundreds of parameters on every routing decision.
    pattern_ids = select(ShiftPattern.id).where(ShiftPattern.volunteer_id.in_(volunteer_ids))
    exceptions = (
        session.scalars(
            select(ShiftException).where(
                ShiftException.pattern_id.in_(pattern_ids),
                ShiftException.on_date >= date.fromordinal(day.toordinal() - 2),
                ShiftException.on_date <= date.fromordinal(day.toordinal() + 2),
            )
        ).all()
        if patterns
        else []
    )
    return build_rota(patterns, shifts, exceptions)


def is_paused(volunteer: Volunteer, now: datetime) -> bool:
    """A pause lasts until DISPO, or until the end of the shift it was taken in."""
    return _paused(volunteer.paused, volunteer.paused_until, now)


def _paused(paused: bool, paused_until: datetime | None, now: datetime) -> bool:
    return paused and (paused_until is None or paused_until > now)


# Read on every routing decision: built once, the territory bound each time.
_STAMP = select(RotaVersion.stamp).where(RotaVersion.territory_id == bindparam("territory_id"))


def rota_snapshot(session: Session, territory_id: int, around: datetime) -> RotaSnapshot:
    """The territory's rota around that instant and its volunteers' motives, from the cache when current."""
    # The stamp is read before the rows: a change committed in between makes the next decision rebuild,
    # never leaves older rows under a newer stamp.
    return _snapshot_for_stamp(session, territory_id, around, session.scalar(_STAMP, {"territory_id": territory_id}))


def _snapshot_for_stamp(session: Session, territory_id: int, around: datetime, stamp: str | None) -> RotaSnapshot:
    """The rota snapshot of a stamp read before (None: no stamp, never cached)."""
    if stamp is None:
        return _build_snapshot(session, territory_id, around)
    return CACHE.get_or_build(
        territory_id, around.date(), stamp, lambda: _build_snapshot(session, territory_id, around)
    )


def _build_snapshot(session: Session, territory_id: int, around: datetime) -> RotaSnapshot:
    """The rota around that instant and the active volunteers' motives and languages, from the database."""
    rows = session.execute(
        select(Volunteer.id, Volunteer.motives, Volunteer.languages).where(
            Volunteer.territory_id == territory_id, Volunteer.active.is_(True)
        )
    ).all()
    return RotaSnapshot(
        rota=load_rota(session, territory_id, around),
        motives={row.id: frozenset(row.motives or ()) for row in rows},
        languages={row.id: frozenset(row.languages or ("fr",)) for row in rows},
    )


def _on_duty_ids(snapshot: RotaSnapshot, territory: RotaZone, motive: str | None, now: datetime) -> OnDuty:
    """The active volunteers on shift at `now` who accept the motive (any if None), in the rota's order.

    Remembered in the snapshot until the rota's next boundary: a decision stops rebuilding the occurrences.
    """
    holidays = french_public_holidays(territory.holiday_subdivision)
    tz = ZoneInfo(territory.timezone)

    def compute() -> list[int]:
        if motive is None:
            occurrences = snapshot.rota.on_duty(now, holidays, tz)
        else:
            occurrences = rota_mod.on_duty_for_motive(snapshot.rota, now, motive, snapshot.motives, holidays, tz)
        return list(dict.fromkeys(o.volunteer_id for o in occurrences if o.volunteer_id in snapshot.motives))

    key = (territory.timezone, territory.holiday_subdivision, motive)
    return snapshot.on_duty.get(key, now, compute, lambda: next_change(snapshot.rota, now, holidays, tz))


def on_duty_ids(snapshot: RotaSnapshot, territory: Territory, motive: str | None, now: datetime) -> list[int]:
    """The ids of the active volunteers on shift at `now` accepting the motive (any if None), rota order."""
    return list(_on_duty_ids(snapshot, territory, motive, now).ids)


def on_duty_volunteers(session: Session, territory: Territory, motive: str | None, now: datetime) -> list[Volunteer]:
    """The territory's active volunteers on shift at `now` who accept the motive (any motive if None)."""
    ids = _on_duty_ids(rota_snapshot(session, territory.id, now), territory, motive, now).ids
    if not ids:
        return []
    found = {v.id: v for v in session.scalars(select(Volunteer).where(Volunteer.id.in_(ids)))}
    return [found[i] for i in ids if i in found and found[i].active]


def ringing(volunteer_id: ColumnElement[int]) -> Exists:
    """SQL: the volunteer's phone is ringing for a request (an attempt without result offered after the bound
    parameter `ringing_since`, which the caller sets to now - RINGING_WINDOW)."""
    return (
        select(_ATTEMPTS.c.id)
        .where(
            _ATTEMPTS.c.volunteer_id == volunteer_id,
            _ATTEMPTS.c.result.is_(None),
            _ATTEMPTS.c.offered_at > bindparam("ringing_since", type_=_ATTEMPTS.c.offered_at.type),
        )
        .exists()
    )


def _free_volunteers() -> Select[int, bool]:
    """The territory's free volunteers' ids (and whether their phone rings), least recently offered first.

    Built once, its parameters bound at each execution: no statement built per routing decision.
    """
    v = _VOLUNTEERS.c
    now = bindparam("now", type_=v.paused_until.type)
    return (
        select(v.id, ringing(v.id).label("busy"), v.last_offered_at)
        .where(
            v.territory_id == bindparam("territory_id"),
            v.active.is_(True),
            or_(v.paused.is_not(True), and_(v.paused_until.is_not(None), v.paused_until <= now)),
            v.on_call_request_id.is_(None),
        )
        .order_by(v.last_offered_at.asc().nulls_first(), v.id)
    )


_FREE_VOLUNTEERS = _free_volunteers()
# The same rows, each with the territory's rota stamp: a routing decision reads both in one round trip.
_FREE_VOLUNTEERS_AND_STAMP = _FREE_VOLUNTEERS.add_columns(_STAMP.scalar_subquery().label("stamp"))


def _free_ids_and_stamp() -> Select[list[int] | None, str | None]:
    """PostgreSQL: the ids of the free volunteers whose phone does not ring, in fairness order, as ONE array, and
    the rota stamp: always one row (the stamp even when nobody is free).

    The same rule as _FREE_VOLUNTEERS, but one row instead of one per free volunteer: with hundreds on shift, a
    row object per volunteer was most of the routing decision's own CPU (1.4 M of the postcode webhook's 10.4 M
    instructions). Ringing is still computed per volunteer as a column (see ring_candidates) and filtered by
    the aggregate. OFFSET 0 keeps the subquery a scan of its own: pulled up into the aggregate, the ringing
    test became one index probe per volunteer (0.39 ms) instead of one scan of the ringing attempts hashed (0.14 ms).
    """
    free = _FREE_VOLUNTEERS.order_by(None).offset(literal_column("0")).subquery("free")
    order = aggregate_order_by(free.c.id, free.c.last_offered_at.asc().nulls_first(), free.c.id)
    ids = func.array_agg(order).filter(free.c.busy.is_(False))
    return select(ids.label("ids"), _STAMP.scalar_subquery().label("stamp")).select_from(free)


_FREE_IDS_AND_STAMP = _free_ids_and_stamp()


def _free_and_stamp(session: Session, territory_id: int, now: datetime) -> tuple[list[int], str | None]:
    """The ids of the free volunteers not ringing, fairness order, and the rota stamp: one statement."""
    connection = session.connection()
    params = {"territory_id": territory_id, "now": now, "ringing_since": now - RINGING_WINDOW}
    if connection.dialect.name == "postgresql":
        ids, stamp = connection.execute(_FREE_IDS_AND_STAMP, params).one()
        return list(ids or ()), stamp
    rows = connection.execute(_FREE_VOLUNTEERS_AND_STAMP, params).all()
    return [vid for vid, busy, _, _ in rows if not busy], rows[0].stamp if rows else None


def ring_candidates(
    session: Session,
    territory: RotaZone,
    motive: str,
    language: str,
    now: datetime,
    exclude: Collection[int],
) -> list[int]:
    """Whom to ring, in order (volunteer ids): on shift, accepting the motive, free; language first, then fairness."""
    # Who is free now, read fresh, filtered and put in fairness order (least recently offered first, never
    # offered before anyone, then by id) by the database: only the ids of the free volunteers come back, not
    # the state of every volunteer of the territory. routing.ring_order states the same rule over plain
    # values, and the tests hold this query to it. Each row also carries the rota stamp (one round trip
    # instead of two); it is still read before the rota's rows, which the cache rebuilds after it if needed.
    # A Core statement through the session's connection: Session.execute's ORM layer costs ~0.3 ms for a
    # plain SELECT. The flush it would do first is kept (live routing turns autoflush off, call backs do not).
    if session.autoflush:
        session.flush()
    # "Ringing" stays a column, as it was, not a NOT EXISTS filter: PostgreSQL would plan that as an anti
    # join, and on tables not yet analysed it chose a nested loop over every attempt per volunteer (2.6 ms).
    not_ringing, stamp = _free_and_stamp(session, territory.id, now)
    if not not_ringing:
        return []  # nobody free: who is on shift does not matter
    snapshot = _snapshot_for_stamp(session, territory.id, now, stamp)
    on_duty = _on_duty_ids(snapshot, territory, motive, now).members
    if not exclude and on_duty.issuperset(not_ringing):
        free = not_ringing  # everyone free is on duty (a first ring, the whole roster on shift): one C loop
    else:
        free = [vid for vid in not_ringing if vid in on_duty and vid not in exclude]
    return speakers_first(free, snapshot.speakers(language))


def create_volunteer(session: Session, territory: Territory, data: dict[str, object], now: datetime) -> Volunteer:
    """A new volunteer of the territory from validated data (phone already in E.164)."""
    import secrets

    volunteer = Volunteer(
        territory_id=territory.id,
        name=data["name"],
        phone=data["phone"],
        profession=data["profession"],
        motives=list(data.get("motives") or []),  # type: ignore[call-overload]
        languages=list(data.get("languages") or ["fr"]),  # type: ignore[call-overload]
        directory_entry_id=data.get("directory_entry_id"),
        active=bool(data.get("active", True)),
        paused=False,
        ical_secret=secrets.token_urlsafe(24),
        created_at=now,
    )
    session.add(volunteer)
    session.flush()
    return volunteer


def phone_in_use(session: Session, territory_id: int, phone: str, exclude_id: int | None = None) -> bool:
    """True when another volunteer of the territory has that number."""
    query = select(Volunteer.id).where(Volunteer.territory_id == territory_id, Volunteer.phone == phone)
    if exclude_id is not None:
        query = query.where(Volunteer.id != exclude_id)
    return session.scalar(query) is not None


# ---------------------------------------------------------------- the rota over a period


def territory_calendar(territory: Territory) -> tuple[FrenchPublicHolidays, ZoneInfo]:
    """The public holidays (with the territory's subdivision) and the wall clock of a territory."""
    return french_public_holidays(territory.holiday_subdivision), ZoneInfo(territory.timezone)


def load_rota_between(session: Session, territory_id: int, start: datetime, end: datetime) -> rota_mod.Rota:
    """The territory's rota with every row that can give an occurrence overlapping ``[start, end)``."""
    volunteer_ids = select(Volunteer.id).where(Volunteer.territory_id == territory_id)
    # Local dates reach one day either side of the UTC bounds: overnight shifts, and any UTC offset.
    first_day = start.date() - timedelta(days=2)
    last_day = end.date() + timedelta(days=1)
    patterns = session.scalars(
        select(ShiftPattern).where(
            ShiftPattern.volunteer_id.in_(volunteer_ids),
            ShiftPattern.valid_from <= last_day,
            (ShiftPattern.valid_until.is_(None)) | (ShiftPattern.valid_until >= first_day),
        )
    ).all()
    shifts = session.scalars(
        select(Shift).where(Shift.volunteer_id.in_(volunteer_ids), Shift.ends_at > start, Shift.starts_at < end)
    ).all()
    pattern_ids = [p.id for p in patterns]
    exceptions = (
        session.scalars(
            select(ShiftException).where(
                ShiftException.pattern_id.in_(pattern_ids),
                ShiftException.on_date >= first_day,
                ShiftException.on_date <= last_day,
            )
        ).all()
        if pattern_ids
        else []
    )
    return build_rota(patterns, shifts, exceptions)


def volunteer_rota(session: Session, volunteer: Volunteer) -> rota_mod.Rota:
    """The rows that give a volunteer's own shifts: their patterns, and the patterns they replace someone on."""
    replaced_ids = select(ShiftException.pattern_id).where(ShiftException.replacement_volunteer_id == volunteer.id)
    patterns = session.scalars(
        select(ShiftPattern).where((ShiftPattern.volunteer_id == volunteer.id) | ShiftPattern.id.in_(replaced_ids))
    ).all()
    pattern_ids = [p.id for p in patterns]
    exceptions = (
        session.scalars(select(ShiftException).where(ShiftException.pattern_id.in_(pattern_ids))).all()
        if pattern_ids
        else []
    )
    shifts = session.scalars(select(Shift).where(Shift.volunteer_id == volunteer.id)).all()
    return build_rota(patterns, shifts, exceptions)


def volunteer_occurrences(
    session: Session, volunteer: Volunteer, territory: Territory, start: datetime, end: datetime
) -> list[shifts_mod.Occurrence]:
    """The volunteer's own occurrences overlapping ``[start, end)`` (replacements they take included)."""
    holidays, tz = territory_calendar(territory)
    rota = volunteer_rota(session, volunteer)
    return rota.occurrences(start, end, holidays, tz, volunteer_id=volunteer.id)


def _available_part(
    occurrence: shifts_mod.Occurrence, volunteer: Volunteer | None, now: datetime
) -> shifts_mod.Occurrence | None:
    """The part of an occurrence its volunteer can really be rung in, as far as we know at `now`."""
    if volunteer is None or not volunteer.active:
        return None
    if not is_paused(volunteer, now):
        return occurrence
    if volunteer.paused_until is None:
        return None  # out until they text DISPO: nothing of theirs can be counted on
    if volunteer.paused_until >= occurrence.ends_at:
        return None
    return replace(occurrence, starts_at=max(occurrence.starts_at, volunteer.paused_until))


def coverage_gaps_by_motive(
    session: Session, territory: Territory, start: datetime, end: datetime, now: datetime
) -> dict[str, list[tuple[datetime, datetime]]]:
    """Per motive, the parts of the opening hours in ``[start, end)`` that no available volunteer covers."""
    holidays, tz = territory_calendar(territory)
    try:
        hours = parse_opening_hours(territory.opening_hours)
    except OpeningHoursError:
        # Hours are validated when saved; the line then stays open (callflows does the same), so must the gaps.
        hours = parse_opening_hours("24/7")
    opened = open_intervals(hours, start, end, holidays, tz)
    volunteers = {v.id: v for v in session.scalars(select(Volunteer).where(Volunteer.territory_id == territory.id))}
    motives = {v.id: frozenset(v.motives or ()) for v in volunteers.values()}
    rota = load_rota_between(session, territory.id, start, end)
    occurrences = [
        part
        for occurrence in rota.occurrences(start, end, holidays, tz)
        if (part := _available_part(occurrence, volunteers.get(occurrence.volunteer_id), now)) is not None
    ]
    return {motive: coverage.coverage_gaps(occurrences, opened, motive, motives) for motive in MOTIVES}


def volunteer_loads(
    session: Session, territory_id: int, since: datetime, until: datetime, volunteer_id: int | None = None
) -> list[tuple[Volunteer, Load, float]]:
    """Each volunteer's offered and accepted requests over ``[since, until)``, with their hours on shift then."""
    query = select(Volunteer).where(Volunteer.territory_id == territory_id).order_by(Volunteer.id)
    if volunteer_id is not None:
        query = query.where(Volunteer.id == volunteer_id)
    volunteers = session.scalars(query).all()
    ids = [v.id for v in volunteers]
    rows = (
        session.execute(
            select(Attempt.volunteer_id, Attempt.result).where(
                Attempt.volunteer_id.in_(ids),
                Attempt.result.is_not(None),
                Attempt.offered_at >= since,
                Attempt.offered_at < until,
            )
        ).all()
        if ids
        else []
    )
    loads = {load.volunteer_id: load for load in load_per_volunteer((v, str(r)) for v, r in rows)}
    territory = session.get(Territory, territory_id)
    hours: dict[int, float] = dict.fromkeys(ids, 0.0)
    if territory is not None and ids:
        holidays, tz = territory_calendar(territory)
        rota = load_rota_between(session, territory_id, since, until)
        for occurrence in rota.occurrences(since, until, holidays, tz):
            if occurrence.volunteer_id in hours:
                overlap = min(occurrence.ends_at, until) - max(occurrence.starts_at, since)
                hours[occurrence.volunteer_id] += overlap.total_seconds() / 3600
    return [(v, loads.get(v.id, Load(v.id, 0, 0)), hours[v.id]) for v in volunteers]
