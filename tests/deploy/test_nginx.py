"""The deploy/ nginx site in front of gunicorn, on loopback: a call played through it, clean access logs, and
slow clients that no longer take the line down (issue 13 item 2, issue 18 item 7)."""

from __future__ import annotations

import os
import re
import socket
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select as sql_select

from orientation.core import migrate
from orientation.core.db import make_engine, make_session_factory
from orientation.core.models import OutboxMessage, Request
from orientation.simulator.engine import VoiceCall
from orientation.simulator.transport import HttpTransport
from tests import factories
from tests.conftest import AUTH_TOKEN
from tests.deploy.conftest import Gunicorn, Nginx, listening_socket

pytestmark = pytest.mark.nginx
CREATED = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
# What "answers quickly" means on two shared cores; without nginx the same probe waits for a free worker.
ANSWER_WITHIN = 8.0


@dataclass
class Stack:
    """nginx in front of gunicorn, the app on a SQLite database prepared with one territory."""

    nginx: Nginx
    gunicorn: Gunicorn
    database_url: str

    def transport(self, timeout: float = 15.0) -> HttpTransport:
        """Posts signed as Twilio signs them: against PUBLIC_BASE_URL, which is nginx's address."""
        return HttpTransport(AUTH_TOKEN, self.nginx.url, self.nginx.url, timeout=timeout)


def _database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'line.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        factories.territory(session, CREATED)
    engine.dispose()
    return url


def _app_environment(database_url: str, public_base_url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "deploy-test-secret",
        "ORIENTATION_ENV": "production",
        "ORIENTATION_SIMULATOR": "0",
        "PUBLIC_BASE_URL": public_base_url,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "ORIENTATION_PROXY_HOPS": "1",
        # Two request threads in all: the fewer there are, the easier slow clients would hold them all.
        "WEB_CONCURRENCY": "1",
        "ORIENTATION_WEB_THREADS": "2",
        "ORIENTATION_RATE_LIMIT_LOGIN": "3 per minute",
    }


@pytest.fixture
def stack(
    tmp_path: Path,
    start_nginx: Callable[[str], Nginx],
    start_gunicorn: Callable[..., Gunicorn],
    monkeypatch: pytest.MonkeyPatch,
) -> Stack:
    """nginx (deploy/ site, TLS) → gunicorn (orientation.web.gunicorn_config) → the app; clients trust the test CA."""
    database_url = _database(tmp_path)
    upstream = listening_socket()
    nginx = start_nginx(f"127.0.0.1:{upstream.getsockname()[1]}")
    gunicorn = start_gunicorn(_app_environment(database_url, nginx.url), sock=upstream)
    # urllib's default TLS context reads this at each connection: the throw-away certificate is trusted.
    monkeypatch.setenv("SSL_CERT_FILE", str(nginx.certificate))
    # The listening socket queues connections until gunicorn is up: this returns once the app answers.
    with urllib.request.urlopen(f"{gunicorn.url}/healthz", timeout=120) as response:  # noqa: S310
        assert response.status == 200
    return Stack(nginx, gunicorn, database_url)


def _wait_for_text(path: Path, needle: str, deadline: float = 20.0) -> str:
    """The file's text once it contains `needle` (servers write an access line after the response is sent)."""
    end = time.monotonic() + deadline
    while True:
        text = path.read_text() if path.exists() else ""
        if needle in text or time.monotonic() > end:
            return text
        threading.Event().wait(0.05)


def test_a_call_played_through_nginx_is_recorded_and_texted_like_a_direct_one(stack: Stack) -> None:
    patient = VoiceCall(
        stack.transport(),
        f"{stack.nginx.url}/twilio/voice",
        from_="+33611223344",
        to=factories.LINE_NUMBER,
        status_callback_url=f"{stack.nginx.url}/twilio/status",
    )
    patient.start()
    assert patient.state == "gather"
    patient.press("1")
    patient.press("75020")
    assert patient.state == "record"  # nobody on the rota: a message
    patient.record(duration=25)
    assert patient.state == "ended"

    engine = make_engine(stack.database_url)
    with make_session_factory(engine)() as session:
        request = session.scalars(sql_select(Request)).one()
        assert request.status == "callback_pending" and request.had_message and request.recording_seconds == 25
        sms = session.scalars(sql_select(OutboxMessage).where(OutboxMessage.purpose == "patient_callback")).one()
        assert sms.to_number == "+33611223344" and request.reference in (sms.body or "")
    engine.dispose()
    # Every webhook went through nginx: its log has them, and no number or message (nor a query string).
    nginx_log = _wait_for_text(stack.nginx.access_log, "/twilio/voice")
    assert "POST /twilio/voice " in nginx_log
    assert "33611223344" not in nginx_log and "?" not in nginx_log


def test_a_token_in_a_query_string_reaches_neither_access_log(stack: Stack) -> None:
    with urllib.request.urlopen(f"{stack.nginx.url}/healthz?t=secret-link-token", timeout=15) as response:  # noqa: S310
        assert response.status == 200

    # gunicorn's log already holds the fixture's direct GET (HTTP/1.1): wait for the one nginx passed on (1.0).
    nginx_log = _wait_for_text(stack.nginx.access_log, "GET /healthz HTTP/1.1")
    gunicorn_log = _wait_for_text(stack.gunicorn.access_log, "GET /healthz HTTP/1.0")
    assert "GET /healthz HTTP/1.1" in nginx_log and "GET /healthz HTTP/1.0" in gunicorn_log
    assert "secret-link-token" not in nginx_log
    assert "secret-link-token" not in gunicorn_log


def _login_status(url: str, forged_address: str) -> int:
    """Fetch the login form, then POST a wrong password claiming to come from `forged_address`; the status."""
    with urllib.request.urlopen(f"{url}/connexion", timeout=15) as response:  # noqa: S310
        page = response.read().decode()
        # The session cookie is Secure (https PUBLIC_BASE_URL): carried by hand, so plain http to gunicorn works too.
        cookie = response.headers["Set-Cookie"].split(";", 1)[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    request = urllib.request.Request(  # noqa: S310
        f"{url}/connexion",
        data=urllib.parse.urlencode(
            {"csrf_token": token.group(1), "email": "nobody@example.org", "password": "wrong password"}
        ).encode(),
        headers={
            "X-Forwarded-For": forged_address,
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie,
            "Referer": f"{url}/connexion",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.close()
        return int(error.code)


def test_a_forged_x_forwarded_for_does_not_reach_the_app_through_nginx(stack: Stack) -> None:
    """ORIENTATION_PROXY_HOPS=1 trusts one X-Forwarded-For hop: nginx's, which replaces whatever a client sent."""
    # Straight to gunicorn (which production binds to loopback only), each forged address is a new client ...
    direct = [_login_status(stack.gunicorn.url, f"198.51.100.{n}") for n in range(1, 5)]
    assert direct == [401, 401, 401, 401]  # refused as a wrong password, never as too many tries
    # ... through nginx they are all the one real client, and the per-address login limit (3 a minute) holds.
    through_nginx = [_login_status(stack.nginx.url, f"203.0.113.{n}") for n in range(1, 5)]
    assert through_nginx == [401, 401, 401, 429]


class Dribblers:
    """Sockets each sending a `POST /twilio/voice` whose body comes one byte per interval, as an attacker would."""

    BODY = b"CallSid=CA" + b"0" * 32 + b"&From=%2B33611223344&To=%2B33199000001&" + b"Digits=1" * 40

    def __init__(self, host: str, port: int, count: int, interval: float, wrap: ssl.SSLContext | None) -> None:
        self.sockets: list[socket.socket] = []
        for _ in range(count):
            raw = socket.create_connection((host, port), timeout=10)
            sock = wrap.wrap_socket(raw, server_hostname=host) if wrap else raw
            sock.sendall(
                b"POST /twilio/voice HTTP/1.1\r\nHost: " + f"{host}:{port}".encode() + b"\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\nX-Twilio-Signature: dribble\r\n"
                b"Content-Length: " + str(len(self.BODY)).encode() + b"\r\n\r\n"
            )
            self.sockets.append(sock)
        self.interval = interval
        self.sent = 0
        self.rounds_done = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._dribble, name="dribblers", daemon=True)

    def _dribble(self) -> None:
        # Dribbling a byte per interval is the attack itself; nothing else in the test waits on time.
        for byte in self.BODY[:-1]:  # the last byte never comes: the requests stay incomplete
            for sock in self.sockets:
                sock.sendall(bytes([byte]))
            self.sent += 1
            if self.sent == 2:
                self.rounds_done.set()
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> Dribblers:
        self._thread.start()
        assert self.rounds_done.wait(30), "the slow clients could not start sending"
        return self

    def stop(self) -> None:
        """Stop sending (the sockets stay open)."""
        self._stop.set()
        self._thread.join(timeout=30)

    def __exit__(self, *_: object) -> None:
        self.stop()
        for sock in self.sockets:
            sock.close()

    def still_waiting(self) -> bool:
        """True when no server has answered or closed any of the slow requests (call after `stop`)."""
        for sock in self.sockets:
            sock.setblocking(False)
            try:
                # Data is an answer, b"" a close; TLS's own records (session tickets) read as nothing yet.
                if sock.recv(1) is not None:
                    return False
            except (BlockingIOError, ssl.SSLWantReadError):
                pass
            finally:
                sock.setblocking(True)
        return True


def _healthz_seconds(url: str, timeout: float) -> float:
    began = time.monotonic()
    with urllib.request.urlopen(f"{url}/healthz", timeout=timeout) as response:  # noqa: S310
        assert response.status == 200
    return time.monotonic() - began


@pytest.fixture
def dribbling() -> Iterator[Callable[..., Dribblers]]:
    """Start slow clients; they are stopped and closed after the test whatever happens."""
    made: list[Dribblers] = []

    def make(host: str, port: int, count: int, wrap: ssl.SSLContext | None = None) -> Dribblers:
        dribblers = Dribblers(host, port, count, interval=0.5, wrap=wrap)
        made.append(dribblers)
        return dribblers

    yield make
    for dribblers in made:
        dribblers.__exit__()


@pytest.mark.skipif(
    not os.environ.get("ORIENTATION_DEMO_THREATS"),
    reason="a demonstration of the old setup, timing-dependent (one clean-clone run in three saw a sync worker "
    "answer in time): run it with ORIENTATION_DEMO_THREATS=1",
)
def test_without_a_buffering_proxy_four_slow_clients_hold_every_sync_worker(
    tmp_path: Path, start_gunicorn: Callable[..., Gunicorn], dribbling: Callable[..., Dribblers]
) -> None:
    """The threat, shown on today's Procfile settings (sync workers, nothing in front): the line goes deaf."""
    database_url = _database(tmp_path)
    gunicorn = start_gunicorn(
        _app_environment(database_url, "http://127.0.0.1"), "--worker-class", "sync", "--workers", "2", name="sync"
    )
    assert _healthz_seconds(gunicorn.url, timeout=120) < 120  # up and answering before the attack
    with dribbling("127.0.0.1", gunicorn.port, 4) as dribblers:
        with pytest.raises(TimeoutError):
            _healthz_seconds(gunicorn.url, timeout=ANSWER_WITHIN)
        dribblers.stop()
        assert dribblers.still_waiting()


def test_slow_clients_dribbling_bodies_through_nginx_leave_healthz_and_the_fallback_answering(
    stack: Stack, dribbling: Callable[..., Dribblers]
) -> None:
    tls = ssl.create_default_context(cafile=str(stack.nginx.certificate))
    fallback = {"CallSid": "CA" + "f" * 32, "From": "+33611223344", "To": factories.LINE_NUMBER, "ErrorCode": "11200"}
    probes = 5
    with dribbling("127.0.0.1", stack.nginx.port, 8, wrap=tls) as dribblers:
        # Eight slow requests against two gunicorn threads: without nginx each would hold one.
        healthz = [_healthz_seconds(stack.nginx.url, timeout=ANSWER_WITHIN) for _ in range(probes)]
        answers = [stack.transport(timeout=ANSWER_WITHIN).post(f"{stack.nginx.url}/twilio/fallback", fallback)]
        dribblers.stop()
        assert dribblers.still_waiting(), "the slow requests must still be in flight while the line answers"
        assert dribblers.sent >= 2
    assert len(healthz) == probes and max(healthz) < ANSWER_WITHIN
    status, body = answers[0]
    assert status == 200 and "116 117" in body
