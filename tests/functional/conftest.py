"""Fixtures of the functional tests: Twilio's REST API faked on 127.0.0.1 and the app sending through it, and the
command line reading the test clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from callflows.telephony import TwilioTelephony
from orientation import cli, create_app
from orientation.core.clock import FrozenClock
from orientation.core.config import Config
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


@pytest.fixture
def frozen_cli(monkeypatch: pytest.MonkeyPatch, clock: FrozenClock) -> Iterator[FrozenClock]:
    """The CLI (and the app it builds for a job) reads the test clock; the engines it opens are closed after."""
    monkeypatch.setattr(cli, "_now", clock)
    engines: list[Engine] = []
    real = cli._sessions

    def tracked() -> sessionmaker[Session]:
        factory = real()
        engines.append(factory.kw["bind"])
        return factory

    monkeypatch.setattr(cli, "_sessions", tracked)
    yield clock
    # A connection left for the garbage collector warns in whatever test runs then (warnings are errors).
    for engine in engines:
        engine.dispose()
