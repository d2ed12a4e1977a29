"""What every response gets at the edge: the security headers once each, a view's own value kept; and no cookie
session on Twilio's posts, while the console's session still works."""

from __future__ import annotations

from flask import Flask, Response, session
from twilio.request_validator import RequestValidator

from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL

SECURITY = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy")


def _signed_status(app: Flask, cookie: str | None = None) -> Response:
    path = "/twilio/status"
    params = {"CallSid": "CA" + "8" * 32, "CallStatus": "completed", "To": "+33140000020"}
    headers = {"X-Twilio-Signature": RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE_URL + path, params)}
    if cookie:
        headers["Cookie"] = cookie
    return app.test_client().post(path, data=params, headers=headers)


def test_a_webhook_answer_has_each_security_header_once_and_sets_no_cookie(app: Flask) -> None:
    answer = _signed_status(app, cookie="session=forged.value.here")
    assert answer.status_code == 200
    for name in SECURITY:
        assert len(answer.headers.getlist(name)) == 1, name
    assert "Set-Cookie" not in answer.headers


def test_a_header_a_view_set_itself_is_kept_and_not_doubled(app: Flask) -> None:

    @app.get("/__framed")
    def framed() -> Response:
        return Response("ok", headers={"X-Frame-Options": "SAMEORIGIN"})

    answer = app.test_client().get("/__framed")
    assert answer.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert len(answer.headers.getlist("Content-Security-Policy")) == 1


def test_pages_outside_the_webhooks_still_keep_a_cookie_session(app: Flask) -> None:

    @app.get("/__remember")
    def remember() -> str:
        session["seen"] = session.get("seen", 0) + 1
        return str(session["seen"])

    client = app.test_client()
    assert client.get("/__remember").get_data(as_text=True) == "1"
    assert client.get("/__remember").get_data(as_text=True) == "2"
