"""The volunteer's 1 on the screening, written by screening.answer: the attempt, its request and the volunteer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import Attempt, Event, Request
from orientation.services import requests as svc
from orientation.services import screening
from tests import factories
from volunteers.models import Volunteer


def _ringing(session: Session, clock: FrozenClock) -> tuple[int, int, int]:
    """A request in routing ringing a volunteer: the attempt's, the request's and the volunteer's ids."""
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    request, _ = svc.open_request(session, territory, "CA" + "1" * 32, factories.CALLER, clock(), "in_menu")
    svc.change_status(session, request, "routing", clock())
    attempt = Attempt(request_id=request.id, volunteer_id=volunteer.id, seq=1, kind="live", offered_at=clock())
    session.add(attempt)
    session.commit()
    return attempt.id, request.id, volunteer.id


def _statements(session: Session) -> list[str]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(session.get_bind(), "before_cursor_execute", record)
    return seen


def test_a_1_connects_the_request_to_the_volunteer_and_puts_them_on_the_call(
    session: Session, clock: FrozenClock
) -> None:
    attempt_id, request_id, volunteer_id = _ringing(session, clock)
    clock.advance(seconds=20)
    screened = screening.lock(session, attempt_id)
    assert screened is not None
    assert screening.answer(session, screened, True, clock()) == "connecting"
    session.commit()
    session.expire_all()
    attempt = session.get_one(Attempt, attempt_id)
    assert (attempt.result, attempt.answered_at, attempt.ended_at) == ("accepted", clock(), None)
    request = session.get_one(Request, request_id)
    assert (request.status, request.volunteer_id) == ("connected", volunteer_id)
    assert request.connected_at == request.updated_at == clock()
    assert session.get_one(Volunteer, volunteer_id).on_call_request_id == request_id
    timeline = session.execute(
        select(Event.kind, Event.payload, Event.actor).where(Event.request_id == request_id).order_by(Event.id)
    ).all()
    assert [tuple(row) for row in timeline[-2:]] == [
        ("status", {"from": "routing", "to": "connected"}, "line"),
        ("attempt.accepted", {"attempt": attempt_id, "volunteer_id": volunteer_id}, None),
    ]


def test_the_acceptance_writes_its_three_rows_and_two_events_in_one_statement_on_postgresql(
    session: Session, clock: FrozenClock, database_url: str
) -> None:
    attempt_id, _, _ = _ringing(session, clock)
    screened = screening.lock(session, attempt_id)
    assert screened is not None
    statements = _statements(session)
    screening.answer(session, screened, True, clock())
    # One round trip on PostgreSQL (data-modifying CTEs); SQLite has none, so one UPDATE a table and the events
    # left for the webhook's one INSERT.
    postgres = database_url.startswith("postgresql")
    assert len(statements) == (1 if postgres else 3), statements
    assert len([obj for obj in session.new if isinstance(obj, Event)]) == (0 if postgres else 2)
    session.rollback()


def test_another_key_declines_the_attempt_and_leaves_the_request_and_the_volunteer_alone(
    session: Session, clock: FrozenClock
) -> None:
    attempt_id, request_id, volunteer_id = _ringing(session, clock)
    screened = screening.lock(session, attempt_id)
    assert screened is not None
    assert screening.answer(session, screened, False, clock()) == "declined"
    session.commit()
    session.expire_all()
    attempt = session.get_one(Attempt, attempt_id)
    assert (attempt.result, attempt.ended_at, attempt.answered_at) == ("declined", clock(), None)
    assert session.get_one(Request, request_id).status == "routing"
    assert session.get_one(Volunteer, volunteer_id).on_call_request_id is None
