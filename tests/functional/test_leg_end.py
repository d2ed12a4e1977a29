"""A volunteer's leg ends (legs.end_leg): the accepted conversation finished once, the volunteer freed only from
this call, the outcome SMS's number; on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import Attempt, Event, Request
from orientation.services import legs
from orientation.services import requests as svc
from tests import factories
from tests.sql_statements import statements_sent
from volunteers.models import Volunteer


def _accepted(session: Session, clock: FrozenClock) -> tuple[int, int, int]:
    """A conversation accepted and going on: the attempt's, the request's and the volunteer's ids."""
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    request, _ = svc.open_request(session, territory, "CA" + "1" * 32, factories.CALLER, clock(), "routing")
    svc.change_status(session, request, "connected", clock())
    attempt = Attempt(
        request_id=request.id, volunteer_id=volunteer.id, seq=1, kind="live", offered_at=clock(), result="accepted"
    )
    session.add(attempt)
    volunteer.on_call_request_id = request.id
    session.commit()
    return attempt.id, request.id, volunteer.id


def test_the_end_of_an_accepted_leg_finishes_it_frees_the_volunteer_and_asks_them_the_outcome(
    session: Session, clock: FrozenClock, database_url: str
) -> None:
    attempt_id, request_id, volunteer_id = _accepted(session, clock)
    clock.advance(seconds=90)
    with statements_sent(session.get_bind()) as statements:  # type: ignore[arg-type]
        ended = legs.end_leg(session, attempt_id, None, clock())
    # After the request's lock, one statement on PostgreSQL (data-modifying CTEs), two UPDATEs on SQLite.
    assert len(statements) == (2 if database_url.startswith("postgresql") else 3), statements
    session.commit()
    assert ended is not None and ended.ask is not None
    volunteer = session.get_one(Volunteer, volunteer_id)
    assert (ended.request_id, ended.ask.volunteer_id, ended.ask.phone) == (request_id, volunteer_id, volunteer.phone)
    session.expire_all()
    assert session.get_one(Attempt, attempt_id).ended_at == clock()
    assert session.get_one(Volunteer, volunteer_id).on_call_request_id is None
    finished = session.execute(select(Event.payload, Event.at).where(Event.kind == "attempt.finished")).all()
    assert [tuple(row) for row in finished] == [
        ({"attempt": attempt_id, "result": "accepted", "source": "leg_status"}, clock())
    ]

    # The leg's end told again (another callback of it): nothing finished, freed nor asked twice.
    first_end = clock()
    clock.advance(seconds=5)
    again = legs.end_leg(session, attempt_id, None, clock())
    session.commit()
    assert again is not None and again.ask is None
    session.expire_all()
    assert session.get_one(Attempt, attempt_id).ended_at == first_end
    assert len(session.scalars(select(Event.id).where(Event.kind == "attempt.finished")).all()) == 1


def test_a_volunteer_already_on_another_call_stays_on_it_and_is_still_asked_the_outcome(
    session: Session, clock: FrozenClock
) -> None:
    attempt_id, request_id, volunteer_id = _accepted(session, clock)
    other, _ = svc.open_request(session, session.get_one(Request, request_id).territory, "CA" + "2" * 32, None, clock())
    session.execute(update(Volunteer).where(Volunteer.id == volunteer_id).values(on_call_request_id=other.id))
    session.commit()
    ended = legs.end_leg(session, attempt_id, None, clock())
    session.commit()
    assert ended is not None and ended.ask is not None
    assert ended.ask.phone == session.get_one(Volunteer, volunteer_id).phone
    session.expire_all()
    assert session.get_one(Volunteer, volunteer_id).on_call_request_id == other.id
    assert session.get_one(Attempt, attempt_id).ended_at == clock()
