"""Routing's cached rota is never stale: every rota change renews the territory's stamp, in its transaction."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.db import make_session_factory
from tests import factories
from volunteers.models import RotaVersion, Shift, ShiftException, ShiftPattern, Volunteer
from volunteers.services import ring_candidates


def _stamp(session: Session, territory_id: int) -> str | None:
    session.expire_all()
    return session.scalar(select(RotaVersion.stamp).where(RotaVersion.territory_id == territory_id))


def test_adding_a_volunteer_on_shift_renews_the_stamp_and_the_next_decision_rings_them(
    session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    first = factories.volunteer(session, territory, clock())
    assert ring_candidates(session, territory, "orientation", "fr", clock(), ()) == [first.id]
    before = _stamp(session, territory.id)
    second = factories.volunteer(session, territory, clock())
    assert _stamp(session, territory.id) not in (None, before)
    assert set(ring_candidates(session, territory, "orientation", "fr", clock(), ())) == {first.id, second.id}


def test_a_change_committed_by_another_process_is_seen_by_the_next_decision(
    engine: Engine, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    assert ring_candidates(session, territory, "orientation", "fr", clock(), ()) == [volunteer.id]
    session.commit()
    # Another worker (its own session on the same database) ends the volunteer's shift.
    with make_session_factory(engine)() as other:
        shift = other.scalars(select(Shift).where(Shift.volunteer_id == volunteer.id)).one()
        shift.ends_at = clock() - timedelta(minutes=1)
        other.commit()
    session.expire_all()
    assert ring_candidates(session, territory, "orientation", "fr", clock(), ()) == []


def test_motives_and_the_active_flag_renew_the_stamp_but_a_pause_or_a_ring_do_not(
    session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    stamp = _stamp(session, territory.id)

    volunteer.paused = True
    volunteer.last_offered_at = clock()
    session.commit()
    assert _stamp(session, territory.id) == stamp
    assert ring_candidates(session, territory, "orientation", "fr", clock(), ()) == []  # paused, read fresh

    volunteer.paused = False
    volunteer.motives = ["visite_domicile"]
    session.commit()
    renewed = _stamp(session, territory.id)
    assert renewed != stamp
    assert ring_candidates(session, territory, "orientation", "fr", clock(), ()) == []
    assert ring_candidates(session, territory, "visite_domicile", "fr", clock(), ()) == [volunteer.id]

    volunteer.active = False
    session.commit()
    assert _stamp(session, territory.id) != renewed
    assert ring_candidates(session, territory, "visite_domicile", "fr", clock(), ()) == []


def test_patterns_and_their_exceptions_renew_the_stamp_when_added_changed_or_deleted(
    session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock(), on_shift=False)
    now = clock()
    local = now.astimezone(ZoneInfo(territory.timezone))
    pattern = ShiftPattern(
        volunteer_id=volunteer.id,
        weekdays=list(range(7)),
        start_time="00:00",
        end_time="23:59",
        valid_from=local.date() - timedelta(days=7),
        valid_until=None,
        motives=[],
        holidays="include",
        created_at=now,
    )
    stamps = [_stamp(session, territory.id)]
    session.add(pattern)
    session.commit()
    stamps.append(_stamp(session, territory.id))
    assert ring_candidates(session, territory, "orientation", "fr", now, ()) == [volunteer.id]

    session.add(ShiftException(pattern_id=pattern.id, on_date=local.date(), created_at=now))
    session.commit()
    stamps.append(_stamp(session, territory.id))
    assert ring_candidates(session, territory, "orientation", "fr", now, ()) == []

    exception = session.scalars(select(ShiftException)).one()
    session.delete(exception)
    session.commit()
    stamps.append(_stamp(session, territory.id))
    assert ring_candidates(session, territory, "orientation", "fr", now, ()) == [volunteer.id]

    session.delete(pattern)
    session.commit()
    stamps.append(_stamp(session, territory.id))
    assert ring_candidates(session, territory, "orientation", "fr", now, ()) == []
    assert len(set(stamps)) == len(stamps)


def test_a_change_in_one_territory_leaves_the_others_stamp_alone(session: Session, clock: FrozenClock) -> None:
    one = factories.territory(session, clock())
    other = factories.territory(session, clock(), name="CPTS Voisine", phone_numbers=["+33180000099"])
    factories.volunteer(session, one, clock())
    factories.volunteer(session, other, clock())
    stamp = _stamp(session, other.id)
    factories.volunteer(session, one, clock())
    assert _stamp(session, other.id) == stamp
    assert session.scalar(select(Volunteer.id).where(Volunteer.territory_id == other.id)) is not None


def test_with_the_rota_unchanged_each_decision_sees_the_shifts_that_started_or_ended_since_the_last(
    session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    now = clock()
    leaving = factories.volunteer(session, territory, now, on_shift=False)
    arriving = factories.volunteer(session, territory, now, on_shift=False)
    factories.shift(session, leaving, now, now - timedelta(hours=1), now + timedelta(minutes=10))
    factories.shift(session, arriving, now, now + timedelta(minutes=5, seconds=30), now + timedelta(hours=2))
    stamp = _stamp(session, territory.id)

    def ring_at(at: timedelta) -> list[int]:
        return ring_candidates(session, territory, "orientation", "fr", now + at, ())

    # The on-duty list is remembered between decisions: it must give way exactly at each start and end.
    assert ring_at(timedelta(0)) == [leaving.id]
    assert ring_at(timedelta(minutes=5, seconds=29)) == [leaving.id]
    assert set(ring_at(timedelta(minutes=5, seconds=30))) == {leaving.id, arriving.id}
    assert set(ring_at(timedelta(minutes=9, seconds=59))) == {leaving.id, arriving.id}
    assert ring_at(timedelta(minutes=10)) == [arriving.id]
    assert ring_at(timedelta(hours=2)) == []
    # A clock read earlier than the last decision (another worker's) still gets the list of its own instant.
    assert ring_at(timedelta(minutes=1)) == [leaving.id]
    assert _stamp(session, territory.id) == stamp
