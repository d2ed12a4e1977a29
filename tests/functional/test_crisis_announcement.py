"""The crisis announcement at the start of every call, through the signed /twilio/voice webhook (issue 19)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

from flask import Flask
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import Territory
from tests import factories
from tests.conftest import PARIS, PUBLIC_BASE_URL
from tests.factories import LINE_NUMBER
from tests.functional.twilio_client import call, said, transport

ANNOUNCEMENT = "Épidémie en cours : l'attente peut être longue, restez en ligne & merci <de> votre patience."


def _crisis(session: Session, territory: Territory, enabled: bool, text: str | None) -> None:
    territory.crisis_enabled = enabled
    territory.crisis_announcement = text
    session.commit()


def _voice_twiml(app: Flask, call_sid: str = "CA" + "1" * 32) -> ET.Element:
    params = {"CallSid": call_sid, "AccountSid": "AC" + "1" * 32, "From": "+33611223344", "To": LINE_NUMBER}
    status, body = transport(app).post(f"{PUBLIC_BASE_URL}/twilio/voice", params)
    assert status == 200, body
    return ET.fromstring(body)


def test_in_crisis_mode_the_announcement_is_said_in_french_right_after_the_welcome(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    _crisis(session, territory, True, ANNOUNCEMENT)

    twiml = _voice_twiml(app)

    says = [e for e in twiml if e.tag == "Say"]
    assert "ligne d'orientation" in (says[0].text or "")
    assert says[1].text == ANNOUNCEMENT  # escaped in the XML, said as written
    assert says[1].get("language") == "fr-FR"
    assert twiml[2].tag == "Gather"  # then the menu, as without crisis mode


def test_the_caller_hears_welcome_announcement_then_menu_and_the_call_goes_on(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    _crisis(session, territory, True, ANNOUNCEMENT)
    patient = call(app)

    patient.start()

    words = said(patient)
    assert words.index("urgence vitale") < words.index(ANNOUNCEMENT) < words.index("tapez 1")
    patient.press("2")
    assert "code postal" in said(patient)


def test_nothing_is_announced_when_crisis_mode_is_off_even_with_a_text(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    _crisis(session, territory, False, ANNOUNCEMENT)

    twiml = _voice_twiml(app)

    assert [e.tag for e in twiml][:2] == ["Say", "Gather"]
    assert ANNOUNCEMENT not in ET.tostring(twiml, encoding="unicode")


def test_nothing_is_announced_in_crisis_mode_without_a_text(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    _crisis(session, territory, True, None)

    twiml = _voice_twiml(app)

    assert [e.tag for e in twiml][:2] == ["Say", "Gather"]


def test_a_closed_line_in_crisis_mode_also_announces_before_saying_when_it_opens(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock(), opening_hours="Mo-Fr 08:00-20:00; PH off")
    _crisis(session, territory, True, ANNOUNCEMENT)
    clock.set(datetime(2026, 11, 28, 15, 0, tzinfo=PARIS))  # a Saturday afternoon
    patient = call(app)

    patient.start()

    words = said(patient)
    assert words.index("urgence vitale") < words.index(ANNOUNCEMENT) < words.index("fermée")
    assert patient.state == "record"


def test_a_changed_announcement_or_welcome_is_heard_from_the_next_call_on(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    _crisis(session, territory, True, ANNOUNCEMENT)
    first = _voice_twiml(app, "CA" + "1" * 32)
    _crisis(session, territory, True, "Nouvelle consigne : restez en ligne.")
    second = _voice_twiml(app, "CA" + "2" * 32)
    territory.settings = {**(territory.settings or {}), "prompts": {"welcome": "Bienvenue à la {territory}."}}
    _crisis(session, territory, False, None)
    third = _voice_twiml(app, "CA" + "3" * 32)

    assert [e.text for e in first if e.tag == "Say"][1] == ANNOUNCEMENT
    assert [e.text for e in second if e.tag == "Say"][1] == "Nouvelle consigne : restez en ligne."
    assert [e.text for e in third if e.tag == "Say"] == [f"Bienvenue à la {territory.name}."]
    assert [e.tag for e in third][:2] == ["Say", "Gather"]
