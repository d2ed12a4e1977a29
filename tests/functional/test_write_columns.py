"""Columns written at once by a Core UPDATE: in the database before the commit, nothing left for the flush."""

from __future__ import annotations

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import Request
from orientation.services import requests as svc
from orientation.services.rows import write_changes, write_columns
from tests import factories


def test_a_loaded_row_is_written_now_and_left_clean(session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    request, _ = svc.open_request(session, territory, "CA" + "2" * 32, factories.CALLER, clock())
    session.commit()
    write_columns(session, request, motive="orientation", menu_misses=2)
    assert request.motive == "orientation" and request not in session.dirty
    in_database = session.execute(select(Request.motive, Request.menu_misses).where(Request.id == request.id)).one()
    assert tuple(in_database) == ("orientation", 2)
    session.commit()
    session.expire_all()
    assert (request.motive, request.menu_misses) == ("orientation", 2)


def test_a_row_not_inserted_yet_gets_the_values_for_its_insert(session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    at = clock()
    pending = Request(territory_id=territory.id, reference="P20-2026-999999", created_at=at, updated_at=at)
    session.add(pending)
    write_columns(session, pending, motive="visite_domicile")
    session.commit()
    session.expire_all()
    assert session.scalars(select(Request.motive).where(Request.id == pending.id)).one() == "visite_domicile"


def test_the_changes_of_a_loaded_row_are_written_now_and_leave_nothing_to_flush(
    session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    request, _ = svc.open_request(session, territory, "CA" + "3" * 32, factories.CALLER, clock())
    session.commit()
    request.postcode, request.in_territory = "75011", True
    write_changes(session, request)
    # Not even marked modified: the commit's flush would otherwise run the unit of work to find nothing.
    assert not inspect(request).modified and not session.dirty
    in_database = session.execute(select(Request.postcode, Request.in_territory).where(Request.id == request.id))
    assert tuple(in_database.one()) == ("75011", True)
    session.commit()
    session.expire_all()
    assert (request.postcode, request.in_territory) == ("75011", True)


def test_a_row_without_changes_writes_nothing(session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    request, _ = svc.open_request(session, territory, "CA" + "4" * 32, factories.CALLER, clock())
    session.commit()
    statements: list[str] = []
    event.listen(session.get_bind(), "before_cursor_execute", lambda *args: statements.append(args[2]))
    write_changes(session, request)
    assert statements == []
