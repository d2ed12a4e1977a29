"""The rota as the router sees it, through real calls: replacements, overlaps, pauses and DST nights."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import Attempt, Request
from orientation.simulator.engine import VoiceCall
from tests import factories
from tests.conftest import PARIS
from tests.functional.twilio_client import call_to_postcode, send_sms
from volunteers.models import Shift, ShiftException, ShiftPattern, Volunteer


def _weekly(session: Session, volunteer: Volunteer, weekday: int, start: str, end: str, now: datetime) -> ShiftPattern:
    return factories.pattern(session, volunteer, now, [weekday], start, end, valid_from=date(2026, 1, 1))


def _home_visit_call(app: Flask) -> VoiceCall:
    patient = call_to_postcode(app)
    return patient


def _rung(patient: VoiceCall) -> list[str]:
    return [e.text for e in patient.events if e.kind == "leg_ringing"]


def test_the_replacement_is_rung_and_not_the_volunteer_they_replace(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    martin = factories.volunteer(session, territory, clock(), on_shift=False, name="Dr Martin")
    durand = factories.volunteer(session, territory, clock(), on_shift=False, name="Dr Durand")
    pattern = _weekly(session, martin, 1, "08:00", "12:00", clock())
    session.add(ShiftException(pattern_id=pattern.id, on_date=date(2026, 11, 24), replacement_volunteer_id=durand.id,
                               created_at=clock()))  # fmt: skip
    session.commit()

    patient = _home_visit_call(app)
    assert _rung(patient) == [durand.phone]
    patient.leg_answer()
    patient.leg_press("1")
    assert patient.state == "bridged"
    patient.end_bridge(duration=60)
    session.expire_all()
    assert session.scalars(select(Request)).one().volunteer_id == durand.id
    assert [a.volunteer_id for a in session.scalars(select(Attempt))] == [durand.id]

    # The next Tuesday the pattern's own volunteer is back.
    clock.set(datetime(2026, 12, 1, 10, 0, tzinfo=PARIS))
    assert _rung(_home_visit_call(app)) == [martin.phone]


def test_overlapping_shifts_ring_each_volunteer_once_in_turn(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    first = factories.volunteer(session, territory, clock(), on_shift=False)
    second = factories.volunteer(session, territory, clock(), on_shift=False)
    _weekly(session, first, 1, "08:00", "12:00", clock())
    _weekly(session, second, 1, "10:00", "14:00", clock())
    # The first volunteer also has a one-off shift over the same hour: still one phone, rung once.
    session.add(Shift(volunteer_id=first.id, starts_at=clock() - timedelta(minutes=30),
                      ends_at=clock() + timedelta(minutes=30), motives=[], created_at=clock()))  # fmt: skip
    session.commit()

    patient = _home_visit_call(app)
    patient.leg_no_answer()
    patient.leg_no_answer()
    assert _rung(patient) == [first.phone, second.phone]
    assert patient.state == "record"


def test_a_pause_lasts_until_the_end_of_the_shift_and_the_next_shift_rings_again(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock(), on_shift=False)
    _weekly(session, volunteer, 1, "08:00", "12:00", clock())
    assert "plus d'appels" in send_sms(app, volunteer.phone, "PAUSE")
    session.expire_all()
    paused = session.get(Volunteer, volunteer.id)
    assert paused is not None and paused.paused_until == datetime(2026, 11, 24, 12, 0, tzinfo=PARIS)

    clock.advance(minutes=30)
    paused_call = _home_visit_call(app)
    assert _rung(paused_call) == [] and paused_call.state == "record"

    # No DISPO needed: the pause ended with that shift.
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=PARIS))
    assert _rung(_home_visit_call(app)) == [volunteer.phone]


def test_a_replacement_pausing_is_paused_until_the_end_of_the_shift_they_took_and_rota_lists_it(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    martin = factories.volunteer(session, territory, clock(), on_shift=False)
    durand = factories.volunteer(session, territory, clock(), on_shift=False)
    pattern = _weekly(session, martin, 2, "14:00", "18:00", clock())
    session.add(ShiftException(pattern_id=pattern.id, on_date=date(2026, 11, 25), replacement_volunteer_id=durand.id,
                               created_at=clock()))  # fmt: skip
    session.commit()

    assert "mer. 25/11 14:00–18:00" in send_sms(app, durand.phone, "ROTA")
    martin_rota = send_sms(app, martin.phone, "ROTA")
    assert "25/11" not in martin_rota and "mer. 2/12 14:00–18:00" in martin_rota

    clock.set(datetime(2026, 11, 25, 15, 0, tzinfo=PARIS))
    send_sms(app, durand.phone, "PAUSE")
    session.expire_all()
    paused = session.get(Volunteer, durand.id)
    assert paused is not None and paused.paused_until == datetime(2026, 11, 25, 18, 0, tzinfo=PARIS)
    assert _rung(_home_visit_call(app)) == []


def test_a_night_shift_rings_until_eight_on_both_dst_mornings_and_not_after(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    night = factories.volunteer(session, territory, clock(), on_shift=False)
    _weekly(session, night, 5, "20:00", "08:00", clock())
    # In time order: a call left ringing keeps its volunteer busy for a minute.
    rung_at = {}
    for at in (
        datetime(2026, 3, 29, 7, 50, tzinfo=PARIS),
        datetime(2026, 3, 29, 8, 5, tzinfo=PARIS),
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # 02:30 CEST, the first pass of the repeated hour
        datetime(2026, 10, 25, 1, 30, tzinfo=UTC),  # 02:30 CET, the second pass
        datetime(2026, 10, 25, 7, 50, tzinfo=PARIS),
        datetime(2026, 10, 25, 8, 5, tzinfo=PARIS),
    ):
        clock.set(at)
        rung_at[at.astimezone(PARIS).isoformat()] = _rung(_home_visit_call(app)) == [night.phone]
    assert rung_at == {
        "2026-03-29T07:50:00+02:00": True,
        "2026-03-29T08:05:00+02:00": False,
        "2026-10-25T02:30:00+02:00": True,
        "2026-10-25T02:30:00+01:00": True,
        "2026-10-25T07:50:00+01:00": True,
        "2026-10-25T08:05:00+01:00": False,
    }
