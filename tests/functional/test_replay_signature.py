"""A replay is a replay: a signed post changed only where Twilio's signature does not look runs nothing again."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from orientation.core.clock import FrozenClock
from orientation.core.models import Event, OutboxMessage
from tests import factories
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.functional.twilio_client import send_sms
from volunteers.models import Volunteer

SMS_URL = f"{PUBLIC_BASE_URL}/twilio/sms"


def _post_raw(app: Flask, body: str, signature: str) -> tuple[int, str]:
    response = app.test_client().post(
        "/twilio/sms",
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )
    return response.status_code, response.get_data(as_text=True)


def _pause_posted(app: Flask, phone: str) -> tuple[str, str, str]:
    """A volunteer's PAUSE as Twilio posts it: the form body, its signature, and the line's answer."""
    params = {
        "AccountSid": "AC" + "1" * 32,
        "Body": "PAUSE",
        "From": phone,
        "MessageSid": "SM" + "b" * 32,
        "NumMedia": "0",
        "To": factories.LINE_NUMBER,
    }
    body = urlencode(params)
    signature = RequestValidator(AUTH_TOKEN).compute_signature(SMS_URL, params)
    status, answer = _post_raw(app, body, signature)
    assert status == 200 and "plus d'appels" in answer
    return body, signature, answer


def _counts(session: Session) -> tuple[int, int]:
    events = session.scalar(select(func.count()).select_from(Event)) or 0
    outbox = session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
    return events, outbox


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda body: body + "&Body=PAUSE", id="a value repeated"),
        pytest.param(lambda body: body.replace("NumMedia=0", "NumMedia0="), id="a name/value boundary moved"),
    ],
)
def test_a_signed_pause_replayed_with_parameters_the_signature_ignores_gets_the_stored_answer_and_changes_nothing(
    app: Flask, session: Session, clock: FrozenClock, tamper: object
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    body, signature, first_answer = _pause_posted(app, volunteer.phone)
    send_sms(app, volunteer.phone, "DISPO")  # back on the rota since
    session.expire_all()
    assert session.get(Volunteer, volunteer.id).paused is False  # type: ignore[union-attr]
    before = _counts(session)
    assert callable(tamper)
    replayed = tamper(body)
    assert replayed != body
    # The tampered post still carries a valid signature: that is what makes it a replay.
    tampered = MultiDict(parse_qsl(replayed, keep_blank_values=True))
    assert RequestValidator(AUTH_TOKEN).validate(SMS_URL, tampered, signature)

    status, answer = _post_raw(app, replayed, signature)

    assert status == 200 and answer == first_answer
    session.expire_all()
    assert session.get(Volunteer, volunteer.id).paused is False  # type: ignore[union-attr]
    assert _counts(session) == before
