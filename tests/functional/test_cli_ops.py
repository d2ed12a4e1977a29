"""Operating commands: the clock's jobs by hand, Flask's shell and routes, the fallback TwiML for a TwiML Bin."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation import cli
from orientation.cli import scheduler
from orientation.core.clock import FrozenClock
from orientation.core.models import OutboxMessage
from orientation.core.prompts import text
from orientation.services import messaging
from tests import factories
from tests.conftest import PUBLIC_BASE_URL
from tests.fakes.twilio_rest import FakeTwilioRest
from tests.functional.cli_runner import run

ACCOUNT = "AC" + "7" * 32
SECRET = "cli-ops-auth-token"


pytestmark = pytest.mark.usefixtures("frozen_cli")  # the CLI reads the test clock in every test


@pytest.fixture
def twilio() -> Iterator[FakeTwilioRest]:
    with FakeTwilioRest(account_sid=ACCOUNT, auth_token=SECRET) as server:
        yield server


def test_jobs_list_shows_every_clock_job_with_its_schedule(tmp_path: Path) -> None:
    result = run(["jobs", "list"], tmp_path)

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == [spec.id for spec in scheduler.JOBS]
    assert "every 60 s" in lines[0] and "send SMS and calls still queued" in lines[0]


def test_an_unknown_job_is_a_usage_error_naming_the_known_ones() -> None:
    result = CliRunner().invoke(cli.main, ["jobs", "run", "dispatch-outbox"])

    assert result.exit_code == 2
    assert "no job 'dispatch-outbox'" in result.output and "dispatch_outbox" in result.output


def test_jobs_run_sends_what_waits_in_the_outbox_now_and_prints_the_result(
    session: Session, database_url: str, clock: FrozenClock, twilio: FakeTwilioRest, tmp_path: Path
) -> None:
    territory = factories.territory(session, clock())
    messaging.queue_sms(
        session,
        to="+33612345678",
        from_=factories.LINE_NUMBER,
        body="P20-2026-000001 : rappel",
        purpose="test",
        now=clock(),
        territory_id=territory.id,
        live=True,
    )
    session.commit()
    env = {
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": SECRET,
        "TWILIO_API_BASE_URL": twilio.base_url,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
    }

    result = run(["jobs", "run", "dispatch_outbox"], tmp_path, database_url, **env)

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].startswith("job dispatch_outbox: 1 (")
    assert [r.form["To"] for r in twilio.requests_to("/Messages.json", "POST")] == ["+33612345678"]
    session.expire_all()
    assert session.scalars(select(OutboxMessage.status)).all() == ["sent"]


def test_a_job_that_fails_by_hand_exits_1_with_its_error(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(rt: object, now: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(scheduler, "dispatch_outbox", broken)

    result = run(["jobs", "run", "dispatch_outbox"], tmp_path, database_url)

    assert result.exit_code == 1
    assert "job dispatch_outbox failed" in result.output and "RuntimeError" in result.output


def test_flask_routes_and_shell_come_with_the_command(tmp_path: Path, database_url: str) -> None:
    routes = run(["routes"], tmp_path, database_url)
    helped = run(["--help"], tmp_path, database_url)

    assert routes.exit_code == 0, routes.output
    assert "/twilio/voice" in routes.output and "/api/v1/requests" in routes.output
    for command in ("shell", "routes", "run", "jobs", "db", "clock", "twilio", "directory", "rota", "user"):
        assert f"  {command} " in helped.output, command
    # Our `run` (the development server with our defaults and notices), not Flask's.
    ours = run(["run", "--help"], tmp_path).output
    assert "Serve the app with the development server" in ours and "--cert" not in ours


def test_fallback_twiml_prints_a_static_french_document_for_a_twiml_bin(tmp_path: Path) -> None:
    result = run(["twilio", "fallback-twiml"], tmp_path)

    assert result.exit_code == 0, result.output
    document = ET.fromstring(result.output.strip().encode())
    assert [element.tag for element in document] == ["Say", "Hangup"]
    [say] = document.iter("Say")
    assert say.get("language") == "fr-FR" and say.text == text("technical_problem")
    assert "15" in say.text and "116 117" in say.text
    # Static: nothing that would call back a host that may be down.
    assert "http" not in result.output


def test_configure_number_can_point_the_fallback_at_a_twiml_bin(twilio: FakeTwilioRest, tmp_path: Path) -> None:
    sid = twilio.add_number("+33199000001")
    bin_url = "https://handler.twilio.com/twiml/EH" + "0" * 32
    env = {
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": SECRET,
        "TWILIO_API_BASE_URL": twilio.base_url,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
    }

    result = run(["twilio", "configure-number", "+33199000001", "--fallback-url", bin_url], tmp_path, **env)

    assert result.exit_code == 0, result.output
    [update] = twilio.requests_to(f"/IncomingPhoneNumbers/{sid}.json", "POST")
    assert update.form["VoiceFallbackUrl"] == bin_url
    assert update.form["VoiceUrl"] == f"{PUBLIC_BASE_URL}/twilio/voice"
