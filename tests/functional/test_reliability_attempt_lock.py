"""The attempt of a screening or <Dial> webhook, read under its request's row lock, on PostgreSQL with real threads."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import Attempt
from orientation.services import requests as svc
from tests import factories


@pytest.fixture
def postgres_only(database_url: str) -> None:
    """Row locks are PostgreSQL's; SQLite serializes writers anyway."""
    if not database_url.startswith("postgresql"):
        pytest.skip("row locks are tested on PostgreSQL")


def _ringing_attempt(session: Session, clock: FrozenClock) -> int:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    request, _ = svc.open_request(session, territory, "CA" + "1" * 32, factories.CALLER, clock(), "in_menu")
    svc.change_status(session, request, "routing", clock())
    attempt = Attempt(request_id=request.id, volunteer_id=volunteer.id, seq=1, kind="live", offered_at=clock())
    session.add(attempt)
    session.commit()
    return attempt.id


def _waits_for_a_lock(engine: Engine, application_name: str) -> bool:
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT wait_event_type FROM pg_stat_activity WHERE application_name = :name"),
            {"name": application_name},
        ).scalar()
    return found == "Lock"


@pytest.mark.usefixtures("postgres_only")
def test_an_attempt_read_after_waiting_for_the_lock_shows_what_the_callback_holding_it_committed(
    engine: Engine, session: Session, clock: FrozenClock
) -> None:
    attempt_id = _ringing_attempt(session, clock)
    holder = Session(engine)
    held = svc.lock_attempt(holder, attempt_id)
    assert held is not None and held.result is None
    # The first callback (the volunteer pressed 1) holds the lock and writes the attempt and its request.
    held.result = "accepted"
    held.request.status = "connected"
    holder.flush()

    seen: dict[str, str | None] = {}

    def second_callback() -> None:
        with Session(engine) as waiter:
            waiter.execute(text("SET application_name = 'second_callback'"))
            attempt = svc.lock_attempt(waiter, attempt_id)
            assert attempt is not None
            seen["result"], seen["status"] = attempt.result, attempt.request.status
            waiter.rollback()

    thread = threading.Thread(target=second_callback)
    thread.start()
    # Commit only once the second callback waits for the request's row lock (a bounded poll, no sleep).
    for _ in range(10_000):
        if _waits_for_a_lock(engine, "second_callback"):
            break
    else:
        pytest.fail("the second callback never waited for the row lock")
    holder.commit()
    holder.close()
    thread.join(timeout=30)
    assert seen == {"result": "accepted", "status": "connected"}


def test_an_unknown_attempt_is_none(session: Session, clock: FrozenClock) -> None:
    _ringing_attempt(session, clock)
    assert svc.lock_attempt(session, 987654) is None
