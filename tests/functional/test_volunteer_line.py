"""A volunteer calling the line from their registered mobile: 1 pause, 2 available, 3 shifts, 9 patient path."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import AuditEntry, OutboxMessage, Request
from tests import factories
from tests.functional.twilio_client import call, said
from volunteers.models import Shift, Volunteer

COORDINATOR = "+33698765432"


def _fresh(session: Session, volunteer: Volunteer) -> Volunteer:
    session.expire_all()
    found = session.get(Volunteer, volunteer.id)
    assert found is not None
    return found


def test_a_volunteer_calling_hears_their_menu_before_anything_and_no_request_is_opened(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    line = call(app, from_=volunteer.phone)
    line.start()
    heard = said(line)
    assert "portable d'un bénévole" in heard and "tapez 9" in heard
    assert volunteer.name not in heard  # caller ID can be forged: the menu never says who
    assert "urgence vitale" not in heard
    assert session.scalars(select(Request)).all() == []


def test_one_pauses_until_the_end_of_the_shift_and_tells_the_coordinator_when_motives_go_bare(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock(), coordinator_phone=COORDINATOR)
    volunteer = factories.volunteer(session, territory, clock())
    line = call(app, from_=volunteer.phone)
    line.start()
    line.press("1")
    assert "suspendus jusqu'à" in said(line) and line.state == "ended"
    paused = _fresh(session, volunteer)
    assert paused.paused and paused.paused_until == clock() + timedelta(hours=6)
    alerts = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "pause_alert")).all()
    assert [(a.to_number, "par téléphone" in (a.body or "")) for a in alerts] == [(COORDINATOR, True)]
    entries = session.scalars(select(AuditEntry)).all()
    assert [(e.actor, e.action, e.details["via"]) for e in entries] == [(f"volunteer:{volunteer.id}", "pause", "voice")]
    assert session.scalars(select(Request)).all() == []


def test_two_makes_a_paused_volunteer_available_again(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    volunteer.paused, volunteer.paused_until = True, clock() + timedelta(hours=1)
    session.commit()
    line = call(app, from_=volunteer.phone)
    line.start()
    line.press("2")
    assert "à nouveau les appels" in said(line)
    assert not _fresh(session, volunteer).paused


def test_three_reads_the_next_shifts_aloud(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock(), on_shift=False)
    tomorrow = clock() + timedelta(days=1)
    session.add(Shift(volunteer_id=volunteer.id, starts_at=tomorrow, ends_at=tomorrow + timedelta(hours=4),
                      motives=[], created_at=clock()))  # fmt: skip
    session.commit()
    line = call(app, from_=volunteer.phone)
    line.start()
    line.press("3")
    assert "Vos prochaines permanences : demain de 10 heures à 14 heures." in said(line)
    assert not _fresh(session, volunteer).paused


def test_one_without_any_shift_pauses_nothing(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock(), on_shift=False)
    line = call(app, from_=volunteer.phone)
    line.start()
    line.press("1")
    assert "rien à suspendre" in said(line)
    assert not _fresh(session, volunteer).paused


def test_nine_or_silence_continue_exactly_as_a_patient_would(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    for how in ("9", None):
        line = call(app, from_=volunteer.phone)
        line.start()
        if how is None:
            line.silence()
        else:
            line.press(how)
        assert "urgence vitale" in said(line) and "médecin traitant, tapez 1" in said(line)
        line.press("4")
        assert "code postal" in said(line)
        line.hangup()
    session.expire_all()
    assert len(session.scalars(select(Request)).all()) == 2
    assert not _fresh(session, volunteer).paused


def test_a_wrong_key_asks_once_more_then_goes_on_as_a_patient(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    line = call(app, from_=volunteer.phone)
    line.start()
    line.press("5")
    assert "pas compris" in said(line)
    line.press("7")
    assert "urgence vitale" in said(line)


def test_a_deactivated_volunteer_hears_the_patients_line_and_changes_nothing(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    gone = factories.volunteer(session, territory, clock(), active=False)
    line = call(app, from_=gone.phone)
    line.start()
    assert "bénévole" not in said(line) and "urgence vitale" in said(line)
    assert not _fresh(session, gone).paused


def test_a_volunteer_whose_number_comes_in_national_spelling_still_hears_their_menu(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    # The one look-up of the inbound call asks about international spellings only; a national one is read
    # with the line's region, by a statement of its own.
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    line = call(app, from_="0" + volunteer.phone.removeprefix("+33"))
    line.start()
    assert "portable d'un bénévole" in said(line)
    assert session.scalars(select(Request)).all() == []


def test_an_inactive_volunteer_or_a_hidden_number_goes_the_patients_way(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock(), active=False)
    for caller in (volunteer.phone, ""):
        line = call(app, from_=caller)
        line.start()
        assert "portable d'un bénévole" not in said(line)
    assert len(session.scalars(select(Request)).all()) == 2
