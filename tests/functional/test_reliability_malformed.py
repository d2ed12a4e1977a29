"""Bad input to the webhooks, tried systematically: always a 4xx, never a 500, nothing half-written."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from orientation.core.clock import FrozenClock
from orientation.core.models import Event, Request
from tests import factories
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL

PATHS = [
    "/twilio/voice",
    "/twilio/voice/menu",
    "/twilio/voice/postcode",
    "/twilio/voice/dial?attempt=1",
    "/twilio/voice/screen?attempt=1",
    "/twilio/voice/screen/answer?attempt=1",
    "/twilio/voice/recorded?ref=X",
    "/twilio/status",
    "/twilio/recording?ref=X",
    "/twilio/sms",
]


def _signed(params: dict[str, str], path: str, token: str = AUTH_TOKEN) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(PUBLIC_BASE_URL + path, params)}


def _nothing_written(session: Session) -> None:
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Request)) == 0
    assert session.scalar(select(func.count()).select_from(Event)) == 0


@pytest.mark.parametrize("path", PATHS)
def test_a_missing_signature_is_refused_and_changes_nothing(
    app: Flask, session: Session, clock: FrozenClock, path: str
) -> None:
    factories.territory(session, clock())
    params = {"CallSid": "CA" + "1" * 32, "From": "+33611223344", "To": factories.LINE_NUMBER}
    assert app.test_client().post(path, data=params).status_code == 403
    _nothing_written(session)


@pytest.mark.parametrize("path", PATHS)
def test_a_signature_with_another_token_or_another_url_is_refused(
    app: Flask, session: Session, clock: FrozenClock, path: str
) -> None:
    factories.territory(session, clock())
    params = {"CallSid": "CA" + "1" * 32, "From": "+33611223344", "To": factories.LINE_NUMBER}
    client = app.test_client()
    assert client.post(path, data=params, headers=_signed(params, path, "another-token")).status_code == 403
    assert client.post(path, data=params, headers=_signed(params, path + "x")).status_code == 403
    tampered = {**params, "From": "+33699999999"}
    assert client.post(path, data=tampered, headers=_signed(params, path)).status_code == 403
    _nothing_written(session)


def test_unknown_and_empty_parameters_are_signed_and_accepted(app: Flask, session: Session, clock: FrozenClock) -> None:
    factories.territory(session, clock())
    params = {
        "CallSid": "CA" + "2" * 32,
        "From": "+33611223344",
        "To": factories.LINE_NUMBER,
        "CallerName": "",
        "StirVerstat": "TN-Validation-Passed-A",
        "SomethingTwilioAddsTomorrow": "x",
    }
    response = app.test_client().post("/twilio/voice", data=params, headers=_signed(params, "/twilio/voice"))
    assert response.status_code == 200 and b"<Gather" in response.data


@pytest.mark.parametrize("path", ["/twilio/voice", "/twilio/status", "/twilio/voice/menu", "/twilio/sms"])
def test_a_signed_post_without_the_call_or_message_id_is_a_bad_request(
    app: Flask, session: Session, clock: FrozenClock, path: str
) -> None:
    factories.territory(session, clock())
    params = {"From": "+33611223344", "To": factories.LINE_NUMBER}
    response = app.test_client().post(path, data=params, headers=_signed(params, path))
    assert response.status_code == 400
    _nothing_written(session)


def test_a_huge_body_is_refused(app: Flask, session: Session, clock: FrozenClock) -> None:
    factories.territory(session, clock())
    params = {"CallSid": "CA" + "3" * 32, "To": factories.LINE_NUMBER, "Digits": "1" * 1_000_000}
    response = app.test_client().post("/twilio/voice/menu", data=params, headers=_signed(params, "/twilio/voice/menu"))
    assert response.status_code == 413
    _nothing_written(session)


def test_a_huge_signed_value_within_the_size_limit_is_handled(app: Flask, session: Session, clock: FrozenClock) -> None:
    factories.territory(session, clock())
    params = {"CallSid": "CA" + "4" * 32, "From": "+33611223344", "To": factories.LINE_NUMBER}
    app.test_client().post("/twilio/voice", data=params, headers=_signed(params, "/twilio/voice"))
    huge = {**params, "SpeechResult": "médecin " * 20_000}
    response = app.test_client().post("/twilio/voice/menu", data=huge, headers=_signed(huge, "/twilio/voice/menu"))
    assert response.status_code == 200


def test_non_utf8_bytes_are_refused(app: Flask, session: Session, clock: FrozenClock) -> None:
    factories.territory(session, clock())
    body = b"CallSid=CA" + b"5" * 32 + b"&From=%2B33611223344&To=%2B33199000001&Digits=%FF%FE"
    response = app.test_client().post(
        "/twilio/voice/menu",
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": "not-computable-over-these-bytes"},
    )
    assert 400 <= response.status_code < 500
    _nothing_written(session)


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "multipart/form-data; boundary=x"])
def test_a_wrong_content_type_is_refused(app: Flask, session: Session, clock: FrozenClock, content_type: str) -> None:
    factories.territory(session, clock())
    response = app.test_client().post("/twilio/voice", data=b"{}", content_type=content_type)
    assert response.status_code == 415
    _nothing_written(session)


def test_a_get_is_not_a_webhook(app: Flask) -> None:
    assert app.test_client().get("/twilio/voice").status_code == 405


def test_responses_carry_security_headers(app: Flask) -> None:
    response = app.test_client().get("/healthz")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_texts_from_one_number_are_rate_limited(app: Flask, session: Session, clock: FrozenClock) -> None:
    factories.territory(session, clock())
    client = app.test_client()
    codes = []
    for n in range(25):
        params = {"MessageSid": f"SM{n:032d}", "From": "+33611223344", "To": factories.LINE_NUMBER, "Body": "?"}
        codes.append(client.post("/twilio/sms", data=params, headers=_signed(params, "/twilio/sms")).status_code)
    assert codes[:20] == [200] * 20 and set(codes[20:]) == {429}
    other = {"MessageSid": "SM" + "9" * 32, "From": "+33622222222", "To": factories.LINE_NUMBER, "Body": "?"}
    assert client.post("/twilio/sms", data=other, headers=_signed(other, "/twilio/sms")).status_code == 200


def test_console_logins_from_one_address_are_rate_limited(app: Flask, session: Session, clock: FrozenClock) -> None:
    from tests.functional.console_client import csrf_token

    client = app.test_client()
    codes = []
    for n in range(12):
        data = {"email": f"nobody{n}@example.org", "password": "wrong", "csrf_token": csrf_token(client)}
        codes.append(client.post("/connexion", data=data, environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code)
    assert 429 not in codes[:10] and codes[10:] == [429, 429]
    other = client.post(
        "/connexion",
        data={"email": "x@example.org", "password": "wrong", "csrf_token": csrf_token(client)},
        environ_base={"REMOTE_ADDR": "203.0.113.10"},
    )
    assert other.status_code != 429
