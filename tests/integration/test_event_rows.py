"""A webhook's event rows, and the row update it deferred, in one statement on PostgreSQL; the same rows on SQLite."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import Event, Request
from orientation.services import requests as svc
from orientation.services.rows import defer_changes
from tests import factories
from tests.sql_statements import statements_sent


def _open(session: Session, clock: FrozenClock, digit: str) -> Request:
    territory = factories.territory(session, clock())
    request, _ = svc.open_request(session, territory, "CA" + digit * 32, "+33611223344", clock())
    session.commit()
    return request


def test_a_deferred_update_and_three_event_rows_are_written_together_in_order(
    session: Session, clock: FrozenClock
) -> None:
    request = _open(session, clock, "6")
    svc.collect_timeline(session)
    request.postcode = "75019"
    request.in_territory = True
    defer_changes(session, request)
    assert not session.dirty  # nothing left for the unit of work
    svc.add_event(session, request, "postcode", clock(), {"postcode": "75019"})
    svc.add_event(session, request, "status", clock(), {"from": "in_menu", "to": "routing"}, "line")
    with statements_sent(session.get_bind()) as seen:  # type: ignore[arg-type]
        row = {
            "request_id": request.id,
            "kind": "voice.postcode",
            "idempotency_key": "k-6",
            "payload": {},
            "at": clock(),
        }
        svc.flush_with_events(session, row)
    session.commit()
    svc.stop_collecting_timeline(session)
    expected = 1 if session.get_bind().dialect.name == "postgresql" else 2
    assert len(seen) == expected
    session.expire_all()
    stored = session.get(Request, request.id)
    assert stored is not None and stored.postcode == "75019" and stored.in_territory is True
    kinds = list(session.scalars(select(Event.kind).where(Event.request_id == request.id).order_by(Event.id)))
    assert kinds[-3:] == ["postcode", "status", "voice.postcode"]


def test_a_change_made_after_the_deferred_update_is_the_one_kept(session: Session, clock: FrozenClock) -> None:
    request = _open(session, clock, "7")
    svc.collect_timeline(session)
    request.postcode = "75019"
    defer_changes(session, request)
    request.postcode = "75011"  # later, through the unit of work
    svc.flush_with_events(session)
    session.commit()
    svc.stop_collecting_timeline(session)
    session.expire_all()
    stored = session.get(Request, request.id)
    assert stored is not None and stored.postcode == "75011"


def test_outside_a_webhook_a_deferred_update_is_written_at_once(session: Session, clock: FrozenClock) -> None:
    request = _open(session, clock, "8")
    request.postcode = "75019"
    with statements_sent(session.get_bind()) as seen:  # type: ignore[arg-type]
        defer_changes(session, request)
    assert len(seen) == 1 and seen[0].lstrip().upper().startswith("UPDATE")
    session.commit()


def test_a_rolled_back_run_leaves_no_deferred_update_to_the_next(session: Session, clock: FrozenClock) -> None:
    request = _open(session, clock, "9")
    svc.collect_timeline(session)
    request.postcode = "75019"
    defer_changes(session, request)
    session.rollback()
    svc.stop_collecting_timeline(session)
    svc.collect_timeline(session)
    svc.flush_with_events(session)
    session.commit()
    svc.stop_collecting_timeline(session)
    session.expire_all()
    stored = session.get(Request, request.id)
    assert stored is not None and stored.postcode is None
