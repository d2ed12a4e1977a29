"""Spoofed or not, an SMS command cannot empty the rota: bounded pauses, the coordinator told, all audited."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import AuditEntry, OutboxMessage, Request
from tests import factories
from tests.functional.twilio_client import call, send_sms
from volunteers.models import Shift, Volunteer

COORDINATOR = "+33698765432"
PATIENT = "+33611223344"


def _volunteer(session: Session, volunteer_id: int) -> Volunteer:
    session.expire_all()
    found = session.get(Volunteer, volunteer_id)
    assert found is not None
    return found


def _alerts(session: Session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "pause_alert")))


def _audit(session: Session) -> list[AuditEntry]:
    session.expire_all()
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_a_deactivated_volunteer_is_answered_like_a_stranger_and_nothing_changes(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    volunteer.active = False
    session.commit()
    for body in ("PAUSE", "DISPO"):
        reply = send_sms(app, volunteer.phone, body)
        assert "ligne d'orientation" in reply and "plus d'appels" not in reply
    gone = _volunteer(session, volunteer.id)
    assert not gone.paused and gone.paused_until is None
    assert _audit(session) == []


def test_a_pause_during_a_shift_ends_with_it_and_the_volunteer_is_rung_on_the_next_one(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    tomorrow = clock() + timedelta(days=1)
    session.add(
        Shift(
            volunteer_id=volunteer.id,
            starts_at=tomorrow,
            ends_at=tomorrow + timedelta(hours=4),
            motives=[],
            created_at=clock(),
        )
    )
    session.commit()
    reply = send_sms(app, volunteer.phone, "pause")
    paused = _volunteer(session, volunteer.id)
    assert paused.paused and paused.paused_until == clock() + timedelta(hours=6)
    assert "jusqu'à" in reply and "DISPO" in reply
    clock.set(tomorrow + timedelta(hours=1))
    patient = call(app, from_=PATIENT)
    patient.start()
    patient.press("2")
    patient.press("75020")
    assert patient.state != "record"  # rung: the pause did not outlive the shift it was taken in


def test_a_volunteer_off_shift_pauses_their_next_shift_only(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock(), on_shift=False)
    later = clock() + timedelta(hours=3)
    session.add(
        Shift(
            volunteer_id=volunteer.id,
            starts_at=later,
            ends_at=later + timedelta(hours=2),
            motives=[],
            created_at=clock(),
        )
    )
    session.commit()
    reply = send_sms(app, volunteer.phone, "PAUSE")
    assert "prochaine permanence" in reply
    assert _volunteer(session, volunteer.id).paused_until == later + timedelta(hours=2)


def test_a_volunteer_without_any_shift_is_never_paused_for_ever(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock(), on_shift=False)
    reply = send_sms(app, volunteer.phone, "PAUSE")
    assert "rien à suspendre" in reply
    unchanged = _volunteer(session, volunteer.id)
    assert not unchanged.paused and unchanged.paused_until is None
    assert [e.action for e in _audit(session)] == []


def test_pauses_from_every_volunteers_number_text_the_coordinator_when_the_last_one_goes(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock(), coordinator_phone=COORDINATOR)
    first = factories.volunteer(session, territory, clock(), motives=["visite_domicile"])
    second = factories.volunteer(session, territory, clock())
    _connected = call(app, from_=PATIENT)  # a patient's call on record: their number must reach no alert
    _connected.start()
    send_sms(app, first.phone, "PAUSE")
    assert _alerts(session) == []  # the colleague still takes home visits
    send_sms(app, second.phone, "PAUSE")
    alerts = _alerts(session)
    assert [a.to_number for a in alerts] == [COORDINATOR]
    body = alerts[0].body or ""
    assert "Dr Volunteer" in body and "visite à domicile" in body and "par SMS" in body
    assert PATIENT not in body and PATIENT[-8:] not in body


def test_a_pause_leaving_motives_bare_while_the_line_is_closed_texts_nobody(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock(), coordinator_phone=COORDINATOR, opening_hours="off")
    volunteer = factories.volunteer(session, territory, clock())
    send_sms(app, volunteer.phone, "PAUSE")
    assert _volunteer(session, volunteer.id).paused
    assert _alerts(session) == []


def test_pause_dispo_and_an_outcome_reply_are_in_the_audit_log_with_their_message_sid(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    patient = call(app, from_=PATIENT)
    patient.start()
    patient.press("2")
    patient.press("75020")
    patient.leg_answer()
    patient.leg_press("1")
    patient.end_bridge(duration=60)
    send_sms(app, volunteer.phone, "1", sid="SM" + "1" * 32)
    send_sms(app, volunteer.phone, "PAUSE", sid="SM" + "2" * 32)
    send_sms(app, volunteer.phone, "DISPO", sid="SM" + "3" * 32)
    entries = _audit(session)
    actor = f"volunteer:{volunteer.id}"
    request = session.scalars(select(Request)).one()
    assert [(e.actor, e.action, e.details.get("via"), e.details.get("message_sid")) for e in entries] == [
        (actor, "outcome", "sms", "SM" + "1" * 32),
        (actor, "pause", "sms", "SM" + "2" * 32),
        (actor, "available", "sms", "SM" + "3" * 32),
    ]
    assert entries[0].reference == request.reference and entries[0].details["outcome"] == "matched"
    assert all(e.territory_id == territory.id for e in entries)
    assert PATIENT not in str([e.details for e in entries])
