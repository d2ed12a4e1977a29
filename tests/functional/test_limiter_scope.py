"""flask-limiter runs where a limit may apply: texts to the line, logins, the API; never on the calls' webhooks."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from flask import Flask
from flask_limiter import Limiter
from sqlalchemy.engine import Engine
from twilio.request_validator import RequestValidator

from orientation import create_app
from orientation.core.clock import FrozenClock
from orientation.core.config import Config
from orientation.web import protection
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.functional.console_client import csrf_token
from tests.functional.twilio_client import send_sms


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times the limiter looked for limits, per endpoint (patched before the app hooks it)."""
    seen: Counter[str] = Counter()
    original = Limiter._check_request_limit

    def check(self: Limiter, *args: Any, **kwargs: Any) -> None:
        from flask import request

        seen[request.endpoint or ""] += 1
        original(self, *args, **kwargs)

    monkeypatch.setattr(Limiter, "_check_request_limit", check)
    return seen


def _status_callback(app: Flask) -> int:
    path = "/twilio/status"
    params = {"CallSid": "CA" + "7" * 32, "CallStatus": "completed", "To": "+33140000020"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE_URL + path, params)
    return app.test_client().post(path, data=params, headers={"X-Twilio-Signature": signature}).status_code


def test_the_calls_webhooks_skip_the_limiter_while_texts_and_logins_still_go_through_it(
    counted: Counter[str], config: Config, clock: FrozenClock, engine: Engine
) -> None:
    app = create_app(config.with_overrides(rate_limit_login="2 per hour"), clock=clock)
    try:
        assert _status_callback(app) == 200
        assert counted["twilio.status"] == 0

        send_sms(app, "+33611223344", "Bonjour")
        assert counted["twilio.sms"] >= 1

        client = app.test_client()
        data = {"email": "nobody@example.org", "password": "wrong", "csrf_token": csrf_token(client)}
        codes = [client.post("/connexion", data=data).status_code for _ in range(3)]
        assert codes[-1] == 429 and counted["console.login"] >= 3
    finally:
        app.extensions["orientation"].engine.dispose()


@pytest.mark.parametrize(
    ("blueprint", "endpoint", "limited"),
    [
        ("twilio", "twilio.status", False),
        ("twilio", "twilio.voice_postcode", False),
        ("twilio", "twilio.sms", True),
        ("api", "api.list_requests", True),
        ("console", "console.login", True),
        (None, None, True),
    ],
)
def test_only_the_twilio_webhooks_without_a_limit_are_outside_the_limiter(
    blueprint: str | None, endpoint: str | None, limited: bool
) -> None:
    assert protection.is_limited(blueprint, endpoint) is limited
