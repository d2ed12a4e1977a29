"""Fixtures of the functional tests that send for real: Twilio's REST API faked on 127.0.0.1, and the app using it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy.engine import Engine

from callflows.telephony import TwilioTelephony
from orientation import create_app
from orientation.clock import FrozenClock
from orientation.config import Config
from tests.fakes.twilio_rest import FakeTwilioRest


@pytest.fixture
def fake() -> Iterator[FakeTwilioRest]:
    """Twilio's REST API on 127.0.0.1: it records the calls and SMS the app asks for."""
    with FakeTwilioRest() as server:
        yield server


@pytest.fixture
def live_app(config: Config, clock: FrozenClock, engine: Engine, fake: FakeTwilioRest) -> Iterator[Flask]:
    """The app with real telephony pointed at the fake: calls and SMS really leave the outbox."""
    app = create_app(config, clock=clock, sender=TwilioTelephony(fake.account_sid, fake.auth_token, fake.base_url))
    app.config["TESTING"] = True
    yield app
    app.extensions["orientation"].engine.dispose()
