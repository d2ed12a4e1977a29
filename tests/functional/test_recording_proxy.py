"""The console plays the patient's message from Twilio (the local fake) and sends the account's credentials
to the Twilio API host alone, never to the host a redirect names (a second local server recording headers)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from orientation import create_app
from orientation.core.clock import FrozenClock
from orientation.core.config import Config
from orientation.core.models import Request
from orientation.web.console.recordings import RecordingUnavailable, credentials_for, next_hop
from tests import factories
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN
from tests.fakes.twilio_rest import FakeTwilioRest
from tests.functional.console_client import account, login
from tests.functional.test_console_pages import make_request

OTHER_BYTES = b"ID3-from-the-other-host"


class OtherHost:
    """An HTTP server on another port (another origin) that keeps the headers of every request it gets."""

    def __init__(self) -> None:
        self.seen: list[dict[str, str]] = []
        self.location: str | None = None  # when set, answer with a redirect there instead of the audio
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.seen.append(dict(self.headers.items()))
                if owner.location is not None:
                    self.send_response(302)
                    self.send_header("Location", owner.location)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "audio/mpeg")
                self.send_header("Content-Length", str(len(OTHER_BYTES)))
                self.end_headers()
                self.wfile.write(OTHER_BYTES)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def fake() -> Iterator[FakeTwilioRest]:
    with FakeTwilioRest(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN) as server:
        yield server


@pytest.fixture
def other() -> Iterator[OtherHost]:
    host = OtherHost()
    host.thread.start()
    yield host
    host.server.shutdown()
    host.server.server_close()
    host.thread.join()


@pytest.fixture
def live_app(config: Config, clock: FrozenClock, engine: Engine, fake: FakeTwilioRest) -> Iterator[Flask]:
    """The app with a Twilio account whose API is the fake."""
    app = create_app(
        config.with_overrides(twilio_account_sid=ACCOUNT_SID, twilio_api_base_url=fake.base_url), clock=clock
    )
    app.config["TESTING"] = True
    yield app
    app.extensions["orientation"].engine.dispose()


def _message(live_app: Flask, session: Session, clock: FrozenClock, fake: FakeTwilioRest) -> tuple[FlaskClient, str]:
    territory = factories.territory(session, clock())
    sid = fake.add_recording()
    request: Request = make_request(
        session,
        territory,
        clock() - timedelta(minutes=5),
        had_message=True,
        recording_sid=sid,
        recording_url=f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{sid}",
    )
    account(session, clock(), territory_id=territory.id)
    return login(live_app, "coord@example.org"), f"/t/{territory.id}/demandes/{request.reference}/message.mp3"


def test_the_message_is_streamed_from_twilio_with_the_accounts_credentials(
    live_app: Flask, session: Session, clock: FrozenClock, fake: FakeTwilioRest
) -> None:
    client, path = _message(live_app, session, clock, fake)

    response = client.get(path)

    assert response.status_code == 200 and response.data == fake.media
    assert response.headers["Cache-Control"] == "no-store"
    (fetched,) = fake.requests_to(".mp3", "GET")
    assert fetched.account == ACCOUNT_SID


def test_a_redirect_to_another_host_is_followed_without_the_credentials(
    live_app: Flask, session: Session, clock: FrozenClock, fake: FakeTwilioRest, other: OtherHost
) -> None:
    client, path = _message(live_app, session, clock, fake)
    fake.media_location = other.base_url

    response = client.get(path)

    assert response.status_code == 200 and response.data == OTHER_BYTES
    assert fake.requests_to(".mp3", "GET")[0].account == ACCOUNT_SID
    (headers,) = other.seen
    assert "authorization" not in {name.lower() for name in headers}
    assert AUTH_TOKEN not in str(headers)


def test_a_redirect_back_to_the_twilio_host_gets_the_credentials_again(
    live_app: Flask, session: Session, clock: FrozenClock, fake: FakeTwilioRest, other: OtherHost
) -> None:
    client, path = _message(live_app, session, clock, fake)
    fake.media_location = other.base_url
    first = client.get(path)
    assert first.status_code == 200
    media_path = fake.requests_to(".mp3", "GET")[0].path
    fake.media_location = None
    other.location = fake.base_url + media_path

    response = client.get(path)

    assert response.status_code == 200 and response.data == fake.media
    assert [r.account for r in fake.requests_to(".mp3", "GET")] == [ACCOUNT_SID, ACCOUNT_SID]
    assert all("authorization" not in {n.lower() for n in h} for h in other.seen)


def test_a_redirect_loop_or_to_another_scheme_is_a_missing_message_not_an_error(
    live_app: Flask, session: Session, clock: FrozenClock, fake: FakeTwilioRest, other: OtherHost
) -> None:
    client, path = _message(live_app, session, clock, fake)
    other.location = other.base_url + "/again"
    fake.media_location = other.base_url

    assert client.get(path).status_code == 404
    assert len(other.seen) == 5  # one hop from Twilio, then four more: five redirects followed at most

    other.location = "file:///etc/passwd"
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    ("url", "api", "expected"),
    [
        ("https://api.twilio.com/2010-04-01/x.mp3", "https://api.twilio.com/2010-04-01/y.mp3", True),
        ("https://api.twilio.com:443/x", "https://api.twilio.com/y", True),
        ("https://API.twilio.com/x", "https://api.twilio.com/y", True),
        ("https://media.twiliocdn.com/x", "https://api.twilio.com/y", False),
        ("http://api.twilio.com/x", "https://api.twilio.com/y", False),
        ("https://api.twilio.com.evil.example/x", "https://api.twilio.com/y", False),
        ("https://api.twilio.com@evil.example/x", "https://api.twilio.com/y", False),
        ("http://127.0.0.1:8001/x", "http://127.0.0.1:8000/y", False),
    ],
)
def test_credentials_go_only_to_the_same_scheme_host_and_port(url: str, api: str, expected: bool) -> None:
    assert credentials_for(url, api) is expected


def test_a_redirect_is_resolved_against_the_current_url_and_never_downgrades_to_http() -> None:
    assert next_hop("https://api.twilio.com/a/b.mp3", "/c.mp3") == "https://api.twilio.com/c.mp3"
    assert next_hop("https://api.twilio.com/a", "https://cdn.example/m") == "https://cdn.example/m"
    for location in ("http://cdn.example/m", "file:///etc/passwd", "", None):
        with pytest.raises(RecordingUnavailable):
            next_hop("https://api.twilio.com/a", location)
