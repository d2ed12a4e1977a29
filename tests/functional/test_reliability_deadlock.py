"""A webhook PostgreSQL aborts to break a deadlock runs once more and answers as usual, on PostgreSQL with threads."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from orientation.core.clock import FrozenClock
from orientation.core.models import Attempt
from orientation.core.prompts import PROMPTS
from tests import factories
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.functional.twilio_client import call_to_postcode


@pytest.fixture
def postgres_only(database_url: str) -> None:
    """Row locks and deadlock detection are PostgreSQL's; SQLite serializes writers anyway."""
    if not database_url.startswith("postgresql"):
        pytest.skip("deadlocks are tested on PostgreSQL")


def _deadlocks(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
            ).scalar_one()
        )


def _someone_waits_for_a_lock(engine: Engine, holder_pid: int) -> bool:
    with engine.connect() as connection:
        waiting = connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> :holder"
            ),
            {"holder": holder_pid},
        ).scalar_one()
    return int(waiting) > 0


@pytest.mark.usefixtures("postgres_only")
def test_a_screening_webhook_aborted_by_a_deadlock_is_run_again_and_the_volunteer_hears_the_screening(
    app: Flask, engine: Engine, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    patient = call_to_postcode(app)
    attempt_id, request_id = session.execute(select(Attempt.id, Attempt.request_id)).one()
    journal = Path(app.extensions["orientation"].config.journal_dir)
    before = _deadlocks(engine)

    # Another unit of work holds the attempt's row, as a leg's first status callback writing its CallSid does, and
    # will lock the request next: the opposite order of the screening webhook, which locks the request first.
    holder = engine.connect()
    holder_pid = holder.execute(text("SELECT pg_backend_pid()")).scalar_one()
    # PostgreSQL aborts the transaction that runs its deadlock check first: the webhook's (1 s), not this one.
    holder.execute(text("SET deadlock_timeout = '60s'"))
    holder.execute(text("SELECT id FROM attempts WHERE id = :id FOR UPDATE"), {"id": attempt_id})

    params = {
        "CallSid": "CA" + "e" * 32,
        "ParentCallSid": patient.call_sid,
        "From": factories.LINE_NUMBER,
        "To": "+33600000001",
        "CallStatus": "in-progress",
    }
    path = f"/twilio/voice/screen?attempt={attempt_id}"
    answer: dict[str, object] = {}

    def screen() -> None:
        signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE_URL + path, params)
        response = app.test_client().post(path, data=params, headers={"X-Twilio-Signature": signature})
        answer["status"], answer["body"] = response.status_code, response.get_data(as_text=True)

    thread = threading.Thread(target=screen)
    thread.start()
    # Lock the request only once the webhook waits for the attempt's row (a bounded poll, no sleep).
    for _ in range(10_000):
        if _someone_waits_for_a_lock(engine, holder_pid):
            break
    else:
        pytest.fail("the screening webhook never waited for the attempt's row")
    holder.execute(text("SELECT id FROM requests WHERE id = :id FOR UPDATE"), {"id": request_id})
    holder.commit()
    holder.close()
    thread.join(timeout=60)

    assert _deadlocks(engine) == before + 1
    assert answer["status"] == 200
    body = str(answer["body"])
    assert "<Gather" in body and PROMPTS["technical_problem"][:30] not in body
    # Run again rather than kept for a replay: nothing went to the journal.
    assert not journal.exists() or not any(journal.iterdir())
