"""Nothing lost: the fallback URL, database failures at each step of a call, and the journal's replay."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from orientation import create_app
from orientation.core import journal
from orientation.core.clock import FrozenClock
from orientation.core.config import Config
from orientation.core.models import Attempt, Request
from orientation.services import attempts, inbound, menu_step, postcode_step, screening
from orientation.services import requests as svc
from orientation.services.journal_replay import replay
from tests import factories
from tests.conftest import PUBLIC_BASE_URL
from tests.functional.twilio_client import call, said, transport


def _broken(*_args: object, **_kwargs: object) -> None:
    raise OperationalError("SELECT 1", {}, Exception("the database went away"))


def _replay(app: Flask, clock: FrozenClock) -> tuple[int, int]:
    rt = app.extensions["orientation"]
    report = replay(rt.sessions, rt.config.journal_dir, clock())
    return report.applied, report.already


def test_the_fallback_url_answers_without_any_database_and_journals_the_call(
    config: Config, clock: FrozenClock, tmp_path: Path
) -> None:
    down = config.with_overrides(database_url="postgresql+psycopg://nobody@127.0.0.1:1/nothing")
    app = create_app(down, clock=clock)
    status, body = transport(app).post(
        f"{PUBLIC_BASE_URL}/twilio/fallback",
        {"CallSid": "CA" + "f" * 32, "From": "+33611223344", "To": factories.LINE_NUMBER, "ErrorCode": "11200"},
    )
    assert status == 200
    assert "problème technique" in body and "116 117" in body and "15" in body
    assert "/twilio/fallback/recorded" in body
    entries = list(journal.read(config.journal_dir))
    assert [(e.path, e.params["CallSid"]) for e in entries] == [("/twilio/fallback", "CA" + "f" * 32)]


def test_a_journaled_call_is_replayed_once_as_a_request_to_call_back(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    factories.territory(session, clock())
    sid = "CA" + "e" * 32
    params = {"CallSid": sid, "From": "+33611223344", "To": factories.LINE_NUMBER}
    transport(app).post(f"{PUBLIC_BASE_URL}/twilio/fallback", params)
    transport(app).post(
        f"{PUBLIC_BASE_URL}/twilio/fallback/recorded",
        {
            **params,
            "RecordingSid": "RE" + "1" * 32,
            "RecordingUrl": "https://api.twilio.com/rec",
            "RecordingDuration": "9",
        },
    )
    assert _replay(app, clock) == (2, 0)
    assert _replay(app, clock) == (0, 2)
    session.expire_all()
    request = session.scalars(select(Request)).one()
    assert request.call_sid == sid and request.status == "callback_pending"
    assert request.caller == "+33611223344" and request.had_message and request.recording_seconds == 9


STEPS: dict[str, tuple[object, str, Callable[..., object], Callable[..., object]]] = {
    "the first answer": (inbound, "open_call_request", lambda p: None, lambda p: p.start()),
    "the menu": (menu_step, "record", lambda p: p.start(), lambda p: p.press("2")),
    # A postcode of the territory goes the common path (postcode_step); one outside it, the general way.
    "the postcode": (postcode_step, "record", lambda p: (p.start(), p.press("2")), lambda p: p.press("75020")),
    "a postcode outside": (svc, "set_postcode", lambda p: (p.start(), p.press("2")), lambda p: p.press("13001")),
    "the routing": (attempts, "ring_first", lambda p: (p.start(), p.press("2")), lambda p: p.press("75020")),
    "the routing, general way": (
        attempts,
        "offer_next",
        lambda p: (p.start(), p.press("2")),
        lambda p: p.press("13001"),
    ),
    "the screening": (
        screening,
        "answer",
        lambda p: (p.start(), p.press("2"), p.press("75020"), p.leg_answer()),
        lambda p: p.leg_press("1"),
    ),
}


@pytest.mark.parametrize("step", list(STEPS))
def test_a_database_failure_at_any_step_keeps_the_caller_on_a_useful_path(
    app: Flask, session: Session, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    module, function, before, then = STEPS[step]
    patient = call(app)
    before(patient)
    monkeypatch.setattr(module, function, _broken)
    then(patient)
    monkeypatch.undo()
    words = said(patient) + " " + said(patient, "volunteer")
    assert not [e for e in patient.events if e.kind in ("error", "callback_error")]
    if step == "the screening":
        # The volunteer's leg hears the problem; the patient stays in the hunt or goes to the message.
        assert "problème technique" in words
    else:
        assert "problème technique" in words and patient.state == "record"
        patient.record(duration=8)
        assert "message est enregistré" in said(patient)
    assert _replay(app, clock)[0] >= 1
    session.expire_all()
    request = session.scalars(select(Request)).one()
    if step != "the screening":
        assert request.status == "callback_pending"
    assert request.caller == "+33611223344"


def test_a_failed_webhook_writes_nothing_half(
    app: Flask, session: Session, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    patient = call(app)
    patient.start()
    patient.press("2")
    # Failing once the volunteer's attempt is recorded, before the request's own changes.
    monkeypatch.setattr(postcode_step, "record", _broken)
    patient.press("75020")
    session.expire_all()
    request = session.scalars(select(Request)).one()
    # The postcode step failed as a whole: its postcode was not kept half-way, nor the attempt.
    assert request.postcode is None and request.status == "in_menu"
    assert session.scalars(select(Attempt)).all() == []


def test_a_past_days_journal_is_removed_once_replayed_and_todays_is_kept(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    factories.territory(session, clock())
    params = {"CallSid": "CA" + "7" * 32, "From": "+33611223344", "To": factories.LINE_NUMBER}
    transport(app).post(f"{PUBLIC_BASE_URL}/twilio/fallback", params)
    folder = Path(app.extensions["orientation"].config.journal_dir)
    assert _replay(app, clock) == (1, 0)
    assert len(list(folder.glob("journal-*.jsonl"))) == 1
    clock.advance(days=1)
    assert _replay(app, clock) == (0, 1)
    assert list(folder.glob("journal-*.jsonl")) == []
