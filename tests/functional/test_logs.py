"""Logs an administrator can use: what the web process writes on stderr for signed webhooks, in text and JSON."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from orientation import create_app
from orientation.core import logs
from orientation.core.clock import FrozenClock
from orientation.core.config import Config
from orientation.services import inbound
from orientation.simulator.transport import sign
from tests import factories
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.functional.twilio_client import call, send_sms

CALLER = "+33611223344"
CALL_SID = "CA" + "5" * 32
TEXT_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARNING|ERROR) [\w.]+( \[[^\]]*\])? ")


def _lines(err: str) -> list[str]:
    """The log lines written (a traceback's lines are not lines of their own)."""
    return [line for line in err.splitlines() if TEXT_LINE.match(line)]


def _field(line: str, name: str) -> str | None:
    found = re.search(rf"\b{name}=(\S+?)[\] ]", line)
    return found.group(1) if found else None


def _voice(app: Flask, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str]]:
    params = {"CallSid": CALL_SID, "From": CALLER, "To": factories.LINE_NUMBER, "CallStatus": "ringing"}
    url = f"{PUBLIC_BASE_URL}/twilio/voice"
    with app.test_client().post(
        "/twilio/voice",
        data=params,
        headers={"X-Twilio-Signature": sign(AUTH_TOKEN, url, params), **(headers or {})},
        base_url=PUBLIC_BASE_URL,
    ) as response:
        return response.status_code, dict(response.headers)


def _broken(*_args: object, **_kwargs: object) -> None:
    raise OperationalError("INSERT INTO requests", {}, Exception("the database went away"))


def test_every_line_of_one_webhook_carries_its_request_id_territory_and_call_sid(
    app: Flask,
    session: Session,
    clock: FrozenClock,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    territory = factories.territory(session, clock())
    monkeypatch.setattr(inbound, "open_call_request", _broken)
    capsys.readouterr()

    status, headers = _voice(app)

    assert status == 200
    lines = _lines(capsys.readouterr().err)
    # The failure (with its traceback) and the webhook's own line, both at levels the web process used to drop
    # (INFO had no handler) or print bare.
    assert any(" ERROR callflows.webhooks " in line and "webhook voice.incoming failed" in line for line in lines)
    assert any(" INFO orientation.web " in line and "POST /twilio/voice 200 in " in line for line in lines)
    assert {_field(line, "request_id") for line in lines} == {headers["X-Request-Id"]}
    assert {_field(line, "territory_id") for line in lines} == {str(territory.id)}
    assert {_field(line, "call_sid") for line in lines} == {CALL_SID}


def test_a_sane_proxy_request_id_is_kept_and_a_forged_one_replaced(
    app: Flask, session: Session, clock: FrozenClock, capsys: pytest.CaptureFixture[str]
) -> None:
    factories.territory(session, clock())
    nginx_id = "0123456789abcdef0123456789abcdef"

    _, kept = _voice(app, {"X-Request-Id": nginx_id})
    _, replaced = _voice(app, {"X-Request-Id": "x] INFO forged line"})

    assert kept["X-Request-Id"] == nginx_id
    assert re.fullmatch(r"[0-9a-f]{32}", replaced["X-Request-Id"])
    err = capsys.readouterr().err
    assert f"request_id={nginx_id}" in err and "forged" not in err


def test_json_lines_carry_the_same_fields_and_parse_one_by_one(
    config: Config, clock: FrozenClock, engine: Engine, session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    territory = factories.territory(session, clock())
    app = create_app(config.with_overrides(log_format="json"), clock=clock)
    try:
        capsys.readouterr()
        _voice(app, {"X-Request-Id": "req-0001-abcd"})
        entries = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.strip()]
    finally:
        app.extensions["orientation"].engine.dispose()
        logs.configure()

    [webhook] = [e for e in entries if e["logger"] == "orientation.web"]
    assert webhook["level"] == "INFO" and webhook["message"].startswith("POST /twilio/voice 200 in ")
    assert webhook["request_id"] == "req-0001-abcd"
    assert webhook["territory_id"] == territory.id and webhook["call_sid"] == CALL_SID
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", webhook["time"])


def test_a_whole_call_and_a_text_leave_no_number_nor_message_in_the_logs(
    app: Flask, session: Session, clock: FrozenClock, capsys: pytest.CaptureFixture[str]
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    capsys.readouterr()
    patient = call(app, from_=CALLER)
    patient.start()
    patient.press("2")
    patient.press("75020")
    patient.leg_no_answer()
    patient.record(duration=5)
    body = "Mon fils a 40 de fièvre depuis hier"
    send_sms(app, CALLER, body)
    send_sms(app, volunteer.phone, "PAUSE")

    err = capsys.readouterr().err
    assert len(_lines(err)) >= 6  # a line per webhook: the test would pass on an empty log otherwise
    for secret in ("611223344", "6 11 22 33 44", volunteer.phone[3:], "fièvre"):
        assert secret not in err


def test_an_unsigned_webhook_is_logged_as_a_warning_naming_what_to_check(
    app: Flask, capsys: pytest.CaptureFixture[str]
) -> None:
    response = app.test_client().post("/twilio/status", data={"CallSid": CALL_SID}, base_url=PUBLIC_BASE_URL)

    assert response.status_code == 403
    [warning] = [line for line in _lines(capsys.readouterr().err) if " WARNING " in line]
    assert "/twilio/status" in warning and "PUBLIC_BASE_URL" in warning


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("caller +33611223344 hung up", "caller [number] hung up"),
        ("rappeler le 06 11 22 33 44.", "rappeler le [number]."),
        ("rappeler le 0611223344", "rappeler le [number]"),
        ("rappeler le 06.11.22.33.44 ou 01-23-45-67-89", "rappeler le [number] ou [number]"),
    ],
)
def test_numbers_are_masked_in_any_log_line(text: str, masked: str) -> None:
    assert logs.redact(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "request P20-2026-000123 closed",
        "job stats_tallies done in 0.125 s: 365",
        "2026-11-24T09:00:00.123Z",
        "CallSid CA0123456789abcdef0123456789abcdef",
        "POST /twilio/voice/menu 200 in 12.5 ms",
    ],
)
def test_references_times_and_sids_are_not_mistaken_for_numbers(text: str) -> None:
    assert logs.redact(text) == text


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_under_gunicorn_the_app_logs_its_info_lines_on_stderr(tmp_path: Path) -> None:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    if not gunicorn.exists():
        pytest.skip("gunicorn is not installed beside this Python")
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "DATABASE_URL", "ORIENTATION_"))},
        "ORIENTATION_INSTANCE": str(tmp_path),
        "ORIENTATION_LOG_FORMAT": "json",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    stderr = tmp_path / "stderr.log"
    with stderr.open("w") as err:
        server = subprocess.Popen(
            [str(gunicorn), "--bind", f"127.0.0.1:{port}", "--workers", "1", "orientation:create_app()"],
            env=env,
            stderr=err,
            stdout=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while True:  # gunicorn is starting: any HTTP answer from /healthz says it serves
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30):
                        break
                except urllib.error.HTTPError as answered:
                    answered.close()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise
                    time.sleep(0.2)
            # An unsigned post: it needs no database, and it must be logged.
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/twilio/voice",
                data=f"CallSid={CALL_SID}&From=%2B33611223344".encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded", "X-Request-Id": "gunicorn-test-1"},
            )
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=30)  # noqa: S310 - loopback
            assert refused.value.code == 403
            refused.value.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    entries = [json.loads(line) for line in stderr.read_text().splitlines() if line.startswith("{")]
    ours = [e for e in entries if e.get("request_id") == "gunicorn-test-1"]
    assert [e["level"] for e in ours] == ["WARNING", "INFO"]
    assert ours[1]["message"].startswith("POST /twilio/voice 403 in ") and ours[1]["call_sid"] == CALL_SID
    assert "611223344" not in stderr.read_text()
