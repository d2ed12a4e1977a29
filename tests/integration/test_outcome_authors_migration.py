"""Migration 0011: existing requests learn who set their outcome and wrote their note, from their timeline."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from orientation.core import migrate
from orientation.core.clock import FrozenClock
from orientation.core.models import Request
from orientation.services import requests as svc
from tests import factories


def test_upgrading_takes_the_authors_from_the_latest_outcome_and_note_events(
    database_url: str, engine: Engine, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    by_coordinator, by_volunteer, untouched = (
        svc.open_request(session, territory, f"CA{n:032d}", "+33611223344", clock())[0] for n in range(3)
    )
    svc.close_with_outcome(session, by_volunteer, "no_solution", clock(), actor="volunteer:7")
    svc.close_with_outcome(session, by_coordinator, "matched", clock(), actor="volunteer:7")
    svc.close_with_outcome(session, by_coordinator, "oriented", clock(), actor="user:1")
    svc.add_event(session, by_volunteer, "outcome.note", clock(), {"length": 3}, "volunteer:7")
    by_volunteer.outcome_note = "RDV"
    untouched.outcome_note = "note without any event"
    session.commit()
    ids = [by_coordinator.id, by_volunteer.id, untouched.id]
    session.close()
    config = migrate.alembic_config(database_url)
    try:
        command.downgrade(config, "0011@-1")
    finally:
        migrate.upgrade(database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, outcome_by, outcome_note_by FROM requests WHERE id IN (:a, :b, :c) ORDER BY id"),
            {"a": ids[0], "b": ids[1], "c": ids[2]},
        ).all()
    assert [tuple(row) for row in rows] == [
        (ids[0], "user:1", None),
        (ids[1], "volunteer:7", "volunteer:7"),
        (ids[2], None, None),
    ]
    assert session.scalars(select(Request.outcome_by).where(Request.id == ids[0])).one() == "user:1"
