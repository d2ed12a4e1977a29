"""The fallback always speaks French: unsigned posts included, calls the product places included."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from orientation import create_app
from orientation.core import journal
from orientation.core.clock import FrozenClock
from orientation.core.config import Config
from orientation.core.models import Event, Request
from orientation.core.prompts import text
from orientation.services import callback_jobs
from tests import factories
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.fakes.twilio_rest import FakeTwilioRest
from tests.functional.twilio_client import call, transport

PARAMS = {"CallSid": "CA" + "9" * 32, "From": "+33611223344", "To": factories.LINE_NUMBER, "ErrorCode": "11200"}


def _verbs(body: str) -> list[str]:
    return [element.tag for element in ET.fromstring(body)]


def _said(body: str) -> str:
    return " ".join(element.text or "" for element in ET.fromstring(body).iter("Say"))


def _journaled(config: Config) -> list[journal.Entry]:
    return list(journal.read(config.journal_dir))


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Twilio-Signature": "not-a-signature"},  # wrong token, or PUBLIC_BASE_URL not the URL Twilio called
        {},  # no signature at all
    ],
)
def test_an_unsigned_post_to_the_fallback_hears_the_french_message_and_nothing_is_kept(
    app: Flask, session: Session, config: Config, headers: dict[str, str]
) -> None:
    response = app.test_client().post("/twilio/fallback", data=PARAMS, headers=headers, base_url=PUBLIC_BASE_URL)

    assert response.status_code == 200 and response.mimetype == "text/xml"
    body = response.get_data(as_text=True)
    assert _said(body) == text("technical_problem")
    assert 'language="fr-FR"' in body and _verbs(body) == ["Say", "Hangup"]
    assert _journaled(config) == []
    assert session.scalar(select(func.count()).select_from(Event)) == 0


def test_a_fallback_post_that_is_not_a_form_still_hears_french(app: Flask, config: Config) -> None:
    response = app.test_client().post("/twilio/fallback", json=PARAMS, base_url=PUBLIC_BASE_URL)

    assert response.status_code == 200
    assert _said(response.get_data(as_text=True)) == text("technical_problem")
    assert _journaled(config) == []


def test_other_webhooks_still_refuse_an_unsigned_post(app: Flask, config: Config) -> None:
    for path in ("/twilio/voice", "/twilio/fallback/recorded", "/twilio/status"):
        response = app.test_client().post(path, data=PARAMS, base_url=PUBLIC_BASE_URL)
        assert response.status_code == 403, path
    assert _journaled(config) == []


def test_a_signed_fallback_post_is_journaled_and_offers_a_message(app: Flask, config: Config) -> None:
    status, body = transport(app).post(f"{PUBLIC_BASE_URL}/twilio/fallback", PARAMS)

    assert status == 200 and _verbs(body) == ["Say", "Say", "Record", "Hangup"]
    assert [(e.path, e.params["CallSid"]) for e in _journaled(config)] == [("/twilio/fallback", PARAMS["CallSid"])]


def test_the_fallback_of_a_call_the_line_placed_tells_the_volunteer_in_french_and_records_nothing(
    app: Flask, config: Config
) -> None:
    placed = {"CallSid": "CA" + "8" * 32, "From": factories.LINE_NUMBER, "To": "+33612121212", "ErrorCode": "11200"}

    status, body = transport(app).post(f"{PUBLIC_BASE_URL}/twilio/fallback?call=placed", placed)

    assert status == 200 and _verbs(body) == ["Say", "Hangup"]
    assert _said(body) == text("fallback_placed_call") and 'language="fr-FR"' in body
    assert [e.path for e in _journaled(config)] == ["/twilio/fallback"]


@pytest.fixture
def fake() -> Iterator[FakeTwilioRest]:
    # The account's token both opens the REST API and signs the webhooks, as at Twilio.
    with FakeTwilioRest(auth_token=AUTH_TOKEN) as server:
        yield server


@pytest.fixture
def twilio_app(config: Config, clock: FrozenClock, engine: Engine, fake: FakeTwilioRest) -> Iterator[Flask]:
    """The app as deployed with a Twilio account: create_app builds the REST client itself."""
    live = config.with_overrides(
        twilio_account_sid=fake.account_sid, twilio_auth_token=fake.auth_token, twilio_api_base_url=fake.base_url
    )
    app = create_app(live, clock=clock)
    app.config["TESTING"] = True
    yield app
    app.extensions["orientation"].engine.dispose()


def test_a_call_back_offer_the_line_places_carries_the_french_fallback_url(
    twilio_app: Flask, fake: FakeTwilioRest, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock(), motives=["visite_domicile"])
    patient = call(twilio_app)
    patient.start()
    patient.press("2")
    patient.press("75020")
    while patient.state == "dial_leg":
        patient.leg_no_answer()
    patient.record(duration=10)
    assert session.scalars(select(Request.status)).one() == "callback_pending"

    clock.advance(minutes=5)
    assert callback_jobs.work_callbacks(twilio_app.extensions["orientation"], clock()) == 1

    [offer] = fake.requests_to("/Calls.json", "POST")
    assert offer.form["FallbackUrl"] == f"{PUBLIC_BASE_URL}/twilio/fallback?call=placed"
    assert offer.form["FallbackMethod"] == "POST"
    # Twilio would post there, signed, if the offer's own URL failed: the volunteer hears French.
    status, body = transport(twilio_app).post(
        offer.form["FallbackUrl"], {"CallSid": "CA" + "4" * 32, "From": offer.form["From"], "To": offer.form["To"]}
    )
    assert status == 200 and _said(body) == text("fallback_placed_call")
