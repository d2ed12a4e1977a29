"""A webhook's timeline entries are plain rows written with its own row, in order; elsewhere, Event objects."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import Event
from orientation.services import requests as svc
from tests import factories


def _kinds(session: Session, request_id: int) -> list[str]:
    return list(session.scalars(select(Event.kind).where(Event.request_id == request_id).order_by(Event.id)))


def test_collected_entries_go_with_the_callback_row_in_the_order_added_and_no_event_object(
    session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    request, _ = svc.open_request(session, territory, "CA" + "3" * 32, "+33611223344", clock())
    session.commit()
    svc.collect_timeline(session)
    svc.add_event(session, request, "menu.motive", clock(), {"motive": "orientation"})
    svc.timeline_entry(session, request.id, "postcode", clock(), {"postcode": "75019"}, "line")
    assert not [obj for obj in session.new if isinstance(obj, Event)]
    assert svc.has_event(session, request, "postcode")
    assert not svc.has_event(session, request, "call.ended")
    row = {"request_id": request.id, "kind": "voice.menu", "idempotency_key": "k-1", "payload": {}, "at": clock()}
    svc.flush_with_events(session, row)
    session.commit()
    svc.stop_collecting_timeline(session)
    assert _kinds(session, request.id)[-3:] == ["menu.motive", "postcode", "voice.menu"]
    actor = session.scalar(select(Event.actor).where(Event.request_id == request.id, Event.kind == "postcode"))
    assert actor == "line"


def test_a_rerun_starts_afresh_and_what_a_rolled_back_run_collected_is_never_written(
    session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    request, _ = svc.open_request(session, territory, "CA" + "4" * 32, "+33611223344", clock())
    session.commit()
    svc.collect_timeline(session)
    svc.add_event(session, request, "from.the.failed.run", clock())
    session.rollback()
    svc.stop_collecting_timeline(session)
    svc.collect_timeline(session)
    svc.add_event(session, request, "from.the.rerun", clock())
    svc.flush_with_events(session)
    session.commit()
    kinds = _kinds(session, request.id)
    assert "from.the.rerun" in kinds and "from.the.failed.run" not in kinds


def test_outside_a_webhook_an_entry_is_an_event_object_written_by_the_flush(
    session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    request, _ = svc.open_request(session, territory, "CA" + "5" * 32, "+33611223344", clock())
    session.commit()
    svc.add_event(session, request, "console.note", clock())
    assert [obj.kind for obj in session.new if isinstance(obj, Event)] == ["console.note"]
    session.commit()
    assert "console.note" in _kinds(session, request.id)
