"""A line's SMS sender as France allows (issue 14.4): set by the API, the console and the CLI, used on every SMS
that really leaves through Twilio's REST API (a local fake), and SMS that ask for no answer when none can come."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from callflows.telephony import TelephonyError, TwilioTelephony
from orientation.core import prompts
from orientation.core.clock import FrozenClock
from orientation.core.config import Config
from orientation.core.models import OutboxMessage, Territory
from orientation.services.volunteer_reminders import send_shift_reminders
from tests import factories
from tests.conftest import PARIS, PUBLIC_BASE_URL
from tests.fakes.twilio_rest import FakeTwilioRest, RecordedRequest
from tests.functional.api_client import api
from tests.functional.console_client import account, login, post
from tests.functional.test_cli import run
from tests.functional.twilio_client import connected_call, send_sms

SERVICE = "MG" + "0123456789abcdef" * 2


def _sent_sms(fake: FakeTwilioRest) -> list[RecordedRequest]:
    return fake.requests_to("/Messages.json", "POST")


# ---------------------------------------------------------------------------------- the outcome request


def test_by_default_the_outcome_request_comes_from_the_line_and_asks_for_a_coded_reply(
    live_app: Flask, fake: FakeTwilioRest, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    connected_call(live_app)
    [sms] = _sent_sms(fake)
    assert sms.form["To"] == volunteer.phone and sms.form["From"] == factories.LINE_NUMBER
    assert "MessagingServiceSid" not in sms.form
    assert "répondez 1 pris en charge" in sms.form["Body"] and f"{PUBLIC_BASE_URL}/issue?t=" in sms.form["Body"]


def test_from_an_alphanumeric_sender_the_outcome_request_carries_the_form_link_only(
    live_app: Flask, fake: FakeTwilioRest, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock(), sms_sender="CPTS P20")
    factories.volunteer(session, territory, clock())
    connected_call(live_app)
    [sms] = _sent_sms(fake)
    assert sms.form["From"] == "CPTS P20"
    body = sms.form["Body"]
    assert "répondez" not in body.lower() and "1 pris en charge" not in body
    assert "indiquez la suite donnée" in body and f"{PUBLIC_BASE_URL}/issue?t=" in body
    # Twilio took it: the fake accepts an alphanumeric From as Twilio does.
    assert fake.state.messages and next(iter(fake.state.messages.values()))["from"] == "CPTS P20"


def test_from_a_messaging_service_the_sms_names_the_service_and_no_from(
    live_app: Flask, fake: FakeTwilioRest, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock(), sms_sender=SERVICE)
    factories.volunteer(session, territory, clock())
    connected_call(live_app)
    [sms] = _sent_sms(fake)
    assert sms.form["MessagingServiceSid"] == SERVICE and "From" not in sms.form
    assert "répondez" not in sms.form["Body"].lower()
    [message] = fake.state.messages.values()
    assert message["status"] == "accepted"  # Twilio's initial status with a Messaging Service


def test_a_territory_may_keep_coded_replies_with_a_sender_that_is_another_number(
    live_app: Flask, fake: FakeTwilioRest, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock(), sms_sender="+33199000077")
    factories.volunteer(session, territory, clock())
    connected_call(live_app)
    [sms] = _sent_sms(fake)
    assert sms.form["From"] == "+33199000077" and "répondez 1" in sms.form["Body"]


def test_replies_turned_off_on_the_line_number_also_drop_the_codes(
    live_app: Flask, fake: FakeTwilioRest, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock(), sms_replies=False)
    factories.volunteer(session, territory, clock())
    connected_call(live_app)
    [sms] = _sent_sms(fake)
    assert sms.form["From"] == factories.LINE_NUMBER and "répondez" not in sms.form["Body"].lower()


def test_with_replies_off_a_volunteer_texting_the_line_is_not_sent_a_list_of_sms_commands(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock(), sms_sender="CPTS P20")
    volunteer = factories.volunteer(session, territory, clock())
    answer = send_sms(app, volunteer.phone, "aide")
    assert answer == prompts.text("sms_replies_off")
    assert "PAUSE" not in answer and "ROTA" not in answer


def test_with_replies_off_shift_reminders_do_not_mention_the_pause_command(
    engine: Engine, session: Session, config: Config, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock(), sms_sender="CPTS P20")
    volunteer = factories.volunteer(session, territory, clock(), on_shift=False)
    factories.pattern(session, volunteer, clock(), [2])  # Wednesday mornings
    clock.set(datetime(2026, 11, 24, 18, 0, tzinfo=PARIS))
    rt = factories.runtime(config, engine, clock)
    assert send_shift_reminders(rt, clock()) == 1
    [reminder] = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "rota_shift")).all()
    assert reminder.from_number == "CPTS P20"
    assert "permanence demain de 09:00 à 12:00" in (reminder.body or "") and "PAUSE" not in (reminder.body or "")


# ---------------------------------------------------------------------------------- the fake, as Twilio


def test_the_fake_refuses_a_message_with_neither_from_nor_messaging_service_with_error_21603(
    fake: FakeTwilioRest,
) -> None:
    telephony = TwilioTelephony(fake.account_sid, fake.auth_token, fake.base_url)
    with pytest.raises(TelephonyError) as refused:
        telephony.send_sms("+33600000001", "", "Bonjour")
    assert refused.value.code == 21603 and refused.value.status == 400
    with pytest.raises(TelephonyError) as bad_service:
        telephony.send_sms("+33600000001", "MG" + "0" * 32 + "z", "Bonjour")
    # Not a valid SID pattern: sent as From, which is neither a number nor an 11-character name.
    assert bad_service.value.code == 21606
    assert fake.state.messages == {}


# ---------------------------------------------------------------------------------- API, console, CLI


def test_the_api_sets_and_shows_the_sms_sender_with_its_replies_default(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    client = api(app, session, clock())
    created = client.post(
        "/territories", {"name": "CPTS Est", "phone_numbers": ["+33199000031"], "sms_sender": " CPTS  Est "}
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["sms_sender"] == "CPTS Est" and body["sms_replies"] is False
    path = f"/territories/{body['id']}"

    to_number = client.patch(path, {"sms_sender": "01 99 00 00 32"}).get_json()
    assert to_number["sms_sender"] == "+33199000032" and to_number["sms_replies"] is True
    service = client.patch(path, {"sms_sender": SERVICE, "sms_replies": True}).get_json()
    assert service["sms_sender"] == SERVICE and service["sms_replies"] is True
    back = client.patch(path, {"sms_sender": None, "sms_replies": None}).get_json()
    assert back["sms_sender"] is None and back["sms_replies"] is True


@pytest.mark.parametrize("bad", ["CPTS-Est!", "AB", "CPTS EST PARIS", "12345", 12])
def test_a_bad_sms_sender_is_refused_with_a_422_and_changes_nothing(
    app: Flask, session: Session, clock: FrozenClock, bad: object
) -> None:
    territory = factories.territory(session, clock(), sms_sender="CPTS P20")
    client = api(app, session, clock())
    response = client.patch(f"/territories/{territory.id}", {"sms_sender": bad, "ring_seconds": 30})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"sms_sender"}
    session.expire_all()
    kept = session.get(Territory, territory.id)
    assert kept is not None and kept.sms_sender == "CPTS P20" and kept.ring_seconds == 20


def test_the_openapi_document_describes_the_sms_sender(app: Flask) -> None:
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    assert {"sms_sender", "sms_replies"} <= set(schemas["Territory"]["properties"])
    assert {"sms_sender", "sms_replies"} <= set(schemas["TerritoryPatch"]["properties"])


def test_the_console_settings_save_the_sender_and_explain_a_bad_one_in_french(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    user = account(session, clock())
    client = login(app, user.email)
    territory_id = user.territory_id
    page = f"/t/{territory_id}/parametres"
    line = {"numbers": factories.LINE_NUMBER, "postcodes": "75020", "opening_hours": "24/7"}

    status, body, _ = post(client, f"{page}/ligne", {**line, "sms_sender": "CPTS-P20", "sms_replies": "auto"}, page)
    assert status == 422 and "Expéditeur invalide" in body

    status, _, _ = post(client, f"{page}/ligne", {**line, "sms_sender": "CPTS P20", "sms_replies": "auto"}, page)
    assert status == 302
    session.expire_all()
    territory = session.get(Territory, territory_id)
    assert territory is not None and territory.sms_sender == "CPTS P20" and territory.sms_replies is None
    assert not territory.replies_by_sms
    shown = client.get(page).get_data(as_text=True)
    assert 'value="CPTS P20"' in shown and "actuellement : non" in shown

    post(client, f"{page}/ligne", {**line, "sms_sender": "", "sms_replies": "non"}, page)
    session.expire_all()
    territory = session.get(Territory, territory_id)
    assert territory is not None and territory.sms_sender is None and territory.sms_replies is False


def test_configure_number_sets_the_lines_sms_sender_and_says_what_the_sms_will_be_like(
    fake: FakeTwilioRest, session: Session, database_url: str, clock: FrozenClock, tmp_path: Path
) -> None:
    territory = factories.territory(session, clock())
    fake.add_number(factories.LINE_NUMBER)
    env = {
        "TWILIO_ACCOUNT_SID": fake.account_sid,
        "TWILIO_AUTH_TOKEN": fake.auth_token,
        "TWILIO_API_BASE_URL": fake.base_url,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
    }
    args = ["twilio", "configure-number", factories.LINE_NUMBER]

    result = run([*args, "--sms-sender", "CPTS P20"], tmp_path, database_url, **env)
    assert result.exit_code == 0, result.output
    assert "SMS from CPTS P20" in result.output and "form link only" in result.output
    session.expire_all()
    saved = session.get(Territory, territory.id)
    assert saved is not None and saved.sms_sender == "CPTS P20" and saved.sms_replies is None

    result = run([*args, "--sms-sender", "", "--no-sms-replies"], tmp_path, database_url, **env)
    assert result.exit_code == 0, result.output
    session.expire_all()
    saved = session.get(Territory, territory.id)
    assert saved is not None and saved.sms_sender is None and saved.sms_replies is False


def test_configure_number_refuses_a_bad_sender_before_touching_twilio(
    fake: FakeTwilioRest, session: Session, database_url: str, clock: FrozenClock, tmp_path: Path
) -> None:
    factories.territory(session, clock())
    env = {
        "TWILIO_ACCOUNT_SID": fake.account_sid,
        "TWILIO_AUTH_TOKEN": fake.auth_token,
        "TWILIO_API_BASE_URL": fake.base_url,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
    }
    bad = run(
        ["twilio", "configure-number", factories.LINE_NUMBER, "--sms-sender", "CPTS-P20"], tmp_path, database_url, **env
    )
    assert bad.exit_code != 0 and "--sms-sender" in bad.output and "Traceback" not in bad.output
    unknown = run(
        ["twilio", "configure-number", "+33199000088", "--sms-sender", "CPTS P20"], tmp_path, database_url, **env
    )
    assert unknown.exit_code != 0 and "no line's number" in unknown.output
    assert fake.requests == []
