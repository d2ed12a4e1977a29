"""The request of a new call: numbered, written and given its opening timeline, on SQLite and PostgreSQL alike
(PostgreSQL does it in one statement once the year's counter exists; the first call of a year takes the other way)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import Event, ReferenceCounter, Request
from orientation.services.references import format_reference
from tests import factories
from tests.conftest import PARIS, PUBLIC_BASE_URL
from tests.functional.twilio_client import transport


def _first_webhook(app: Flask, sid: str, caller: str = "+33611223344") -> str:
    params: dict[str, Any] = {"CallSid": sid, "AccountSid": "AC" + "1" * 32, "From": caller}
    params["To"] = factories.LINE_NUMBER
    status, body = transport(app).post(f"{PUBLIC_BASE_URL}/twilio/voice", params)
    assert status == 200, body
    return body


def _timeline(session: Session, sid: str) -> list[tuple[str, dict[str, Any], str | None]]:
    session.expire_all()
    request_id = session.scalars(select(Request.id).where(Request.call_sid == sid)).one()
    events = session.scalars(select(Event).where(Event.request_id == request_id).order_by(Event.id))
    return [(e.kind, e.payload, e.actor) for e in events]


def test_calls_are_numbered_in_order_from_the_first_of_the_year_to_the_next_year(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    factories.territory(session, clock())
    clock.set(datetime(2026, 12, 31, 23, 0, tzinfo=PARIS))
    for sid in ("CA" + "1" * 32, "CA" + "2" * 32, "CA" + "3" * 32):
        _first_webhook(app, sid)
    clock.set(datetime(2027, 1, 1, 12, 0, tzinfo=PARIS))
    _first_webhook(app, "CA" + "4" * 32)
    _first_webhook(app, "CA" + "5" * 32)

    session.expire_all()
    references = session.scalars(select(Request.reference).order_by(Request.id)).all()
    assert references == [
        "P20-2026-000001",
        "P20-2026-000002",
        "P20-2026-000003",
        "P20-2027-000001",
        "P20-2027-000002",
    ]


def test_a_reference_past_a_million_keeps_every_digit_as_format_reference_prints_it(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    _first_webhook(app, "CA" + "1" * 32)
    session.execute(update(ReferenceCounter).where(ReferenceCounter.territory_id == territory.id).values(value=999998))
    session.commit()

    _first_webhook(app, "CA" + "2" * 32)
    _first_webhook(app, "CA" + "3" * 32)

    session.expire_all()
    references = session.scalars(select(Request.reference).order_by(Request.id)).all()
    year = clock().year
    assert references[1:] == [format_reference("P20", year, 999999), format_reference("P20", year, 1000000)]
    assert references[2] == f"P20-{year}-1000000"


def test_a_new_call_has_its_row_and_opening_timeline_whichever_call_of_the_year_it_is(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    factories.territory(session, clock())
    for sid, caller in (("CA" + "1" * 32, "+33611223344"), ("CA" + "2" * 32, "anonymous")):
        body = _first_webhook(app, sid, caller)

        assert "<Gather" in body
        assert _timeline(session, sid) == [
            ("call.received", {"caller_known": caller != "anonymous"}, None),
            ("status", {"from": "received", "to": "in_menu"}, "line"),
            ("voice.incoming", {}, None),
        ]
    session.expire_all()
    rows = session.scalars(select(Request).order_by(Request.id)).all()
    assert [(r.caller, r.caller_is_mobile, r.status, r.language, r.menu_misses) for r in rows] == [
        ("+33611223344", True, "in_menu", "fr", 0),
        (None, False, "in_menu", "fr", 0),
    ]
    assert [(r.had_message, r.callback_attempts, r.created_at, r.updated_at) for r in rows] == [
        (False, 0, clock(), clock()),
        (False, 0, clock(), clock()),
    ]


def test_a_call_to_a_closed_line_has_no_status_change_in_its_timeline(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    factories.territory(session, clock(), opening_hours="Mo-Fr 08:00-20:00; PH off")
    clock.set(datetime(2026, 11, 28, 15, 0, tzinfo=PARIS))  # a Saturday afternoon
    _first_webhook(app, "CA" + "1" * 32)

    body = _first_webhook(app, "CA" + "2" * 32)

    assert "<Record" in body
    assert [kind for kind, _, _ in _timeline(session, "CA" + "2" * 32)] == [
        "call.received",
        "line.closed",
        "voice.incoming",
    ]
    session.expire_all()
    assert session.scalars(select(Request.status).where(Request.call_sid == "CA" + "2" * 32)).one() == "received"
