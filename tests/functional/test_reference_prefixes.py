"""Reference prefixes: one per territory across the instance, so no territory's calls collide with another's."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from orientation.core import journal
from orientation.core.clock import FrozenClock
from orientation.core.models import Event, ReferenceCounter, Request, Territory
from orientation.services.journal_replay import replay
from tests import factories
from tests.conftest import PUBLIC_BASE_URL
from tests.functional.api_client import api
from tests.functional.twilio_client import transport

BETA = {"name": "CPTS Beta", "phone_numbers": ["+33199000011"], "postcodes": ["01000"]}
BRESSE = {"name": "CPTS Bresse", "phone_numbers": ["+33199000012"], "postcodes": ["01340"]}


def _inbound_call(app: Flask, to: str, sid: str) -> tuple[int, str]:
    """A signed first webhook of a new call to the given line, as Twilio posts it."""
    params: dict[str, Any] = {
        "CallSid": sid,
        "AccountSid": "AC" + "1" * 32,
        "From": "+33611223344",
        "To": to,
        "CallStatus": "ringing",
        "Direction": "inbound",
    }
    return transport(app).post(f"{PUBLIC_BASE_URL}/twilio/voice", params)


def test_two_territories_whose_names_start_alike_both_keep_their_line(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    client = api(app, session, clock())
    beta = client.post("/territories", BETA).get_json()
    bresse = client.post("/territories", BRESSE).get_json()

    answers = [
        _inbound_call(app, BETA["phone_numbers"][0], "CA" + "1" * 32),
        _inbound_call(app, BRESSE["phone_numbers"][0], "CA" + "2" * 32),
        _inbound_call(app, BRESSE["phone_numbers"][0], "CA" + "3" * 32),
    ]

    for status, body in answers:
        assert status == 200
        assert "problème technique" not in body and "<Gather" in body, body
    session.expire_all()
    recorded = session.execute(select(Request.territory_id, Request.reference).order_by(Request.id)).all()
    assert recorded == [
        (beta["id"], "B-2026-000001"),
        (bresse["id"], "B2-2026-000001"),
        (bresse["id"], "B2-2026-000002"),
    ]
    journal_free = session.scalars(select(Event.kind).where(Event.kind == "journal.replayed")).all()
    assert journal_free == []
    assert (beta["reference_prefix"], bresse["reference_prefix"]) == ("B", "B2")


def test_a_scoped_token_cannot_take_another_territorys_prefix(app: Flask, session: Session, clock: FrozenClock) -> None:
    admin = api(app, session, clock())
    paris = admin.post("/territories", {**BETA, "name": "CPTS Paris 20", "reference_prefix": "P20"}).get_json()
    lyon = admin.post("/territories", {**BRESSE, "name": "CPTS Lyon 8", "reference_prefix": "L8"}).get_json()
    scoped = api(app, session, clock(), name="lyon", territory_id=lyon["id"])

    response = scoped.patch(f"/territories/{lyon['id']}", {"reference_prefix": "P20", "name": "CPTS Lyon Huit"})

    assert response.status_code == 409
    assert "reference_prefix" in response.get_json()["errors"]
    session.expire_all()
    assert session.scalars(select(Territory.reference_prefix).order_by(Territory.id)).all() == ["P20", "L8"]
    assert session.get(Territory, lyon["id"]).name == "CPTS Lyon 8"  # type: ignore[union-attr]
    assert paris["reference_prefix"] == "P20"


def test_a_prefix_is_taken_whatever_its_case_and_the_territory_is_unchanged(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    client = api(app, session, clock())
    beta = client.post("/territories", {**BETA, "reference_prefix": "BETA"}).get_json()
    bresse = client.post("/territories", {**BRESSE, "reference_prefix": "BRE"}).get_json()

    patched = client.patch(f"/territories/{bresse['id']}", {"reference_prefix": "beta"})
    other = {"name": "CPTS Autre", "phone_numbers": ["0199000013"], "reference_prefix": "Beta"}
    created = client.post("/territories", other)

    assert patched.status_code == 409 and created.status_code == 409
    assert "reference_prefix" in patched.get_json()["errors"] and "reference_prefix" in created.get_json()["errors"]
    session.expire_all()
    assert session.scalars(select(Territory.reference_prefix).order_by(Territory.id)).all() == ["BETA", "BRE"]
    # Its own prefix, in any case, is still the territory's own.
    own = client.patch(f"/territories/{beta['id']}", {"reference_prefix": "beta"})
    assert own.status_code == 200 and own.get_json()["reference_prefix"] == "BETA"


def test_the_default_prefix_skips_every_one_in_use(app: Flask, session: Session, clock: FrozenClock) -> None:
    client = api(app, session, clock())
    names = ["CPTS Beta", "CPTS Bresse", "CPTS Bugey", "CPTS Belley"]
    prefixes = [
        client.post("/territories", {"name": name, "phone_numbers": [f"+3319900002{i}"]}).get_json()["reference_prefix"]
        for i, name in enumerate(names)
    ]

    assert prefixes == ["B", "B2", "B3", "B4"]


def test_a_prefix_given_up_still_numbers_old_requests_and_is_refused_to_another_territory(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    client = api(app, session, clock())
    beta = client.post("/territories", BETA).get_json()
    bresse = client.post("/territories", {**BRESSE, "reference_prefix": "BR"}).get_json()
    assert _inbound_call(app, BETA["phone_numbers"][0], "CA" + "4" * 32)[0] == 200
    assert client.patch(f"/territories/{beta['id']}", {"reference_prefix": "BE"}).status_code == 200

    response = client.patch(f"/territories/{bresse['id']}", {"reference_prefix": "B"})
    newcomer = client.post("/territories", {"name": "CPTS Bourg", "phone_numbers": ["+33199000014"]})

    assert response.status_code == 409
    assert newcomer.get_json()["reference_prefix"] == "B2"
    status, body = _inbound_call(app, BRESSE["phone_numbers"][0], "CA" + "5" * 32)
    assert status == 200 and "<Gather" in body
    session.expire_all()
    assert session.scalars(select(Request.reference).order_by(Request.id)).all() == ["B-2026-000001", "BR-2026-000001"]


def _set_counter(session: Session, territory_id: int, value: int) -> None:
    session.execute(update(ReferenceCounter).where(ReferenceCounter.territory_id == territory_id).values(value=value))
    session.commit()


def test_a_failure_to_record_a_new_call_that_is_not_a_duplicate_goes_to_the_journal(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    assert _inbound_call(app, factories.LINE_NUMBER, "CA" + "6" * 32)[0] == 200
    # A real IntegrityError on another unique column than the callback's key: the next call is handed the
    # reference the first call holds (as a counter edited by hand in SQL would do), whichever statement numbers it.
    _set_counter(session, territory.id, 0)

    status, body = _inbound_call(app, factories.LINE_NUMBER, "CA" + "7" * 32)

    _set_counter(session, territory.id, 1)
    assert status == 200
    assert "problème technique" in body and "/twilio/fallback/recorded" in body and "<Record" in body
    entries = list(journal.read(app.extensions["orientation"].config.journal_dir))
    assert [(e.path, e.params["CallSid"]) for e in entries] == [("/twilio/voice", "CA" + "7" * 32)]
    session.expire_all()
    assert session.scalars(select(Request.call_sid).order_by(Request.id)).all() == ["CA" + "6" * 32]
    rt = app.extensions["orientation"]
    assert replay(rt.sessions, rt.config.journal_dir, clock()).applied == 1
    session.expire_all()
    replayed = session.scalars(select(Request).where(Request.call_sid == "CA" + "7" * 32)).one()
    assert (replayed.reference, replayed.status) == ("P20-2026-000002", "callback_pending")


def test_a_retried_inbound_call_still_gets_the_first_answer_and_records_nothing_more(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    factories.territory(session, clock())
    first = _inbound_call(app, factories.LINE_NUMBER, "CA" + "8" * 32)

    again = _inbound_call(app, factories.LINE_NUMBER, "CA" + "8" * 32)

    assert again == first and "<Gather" in first[1]
    session.expire_all()
    assert session.scalars(select(Request.reference)).all() == ["P20-2026-000001"]
    assert list(journal.read(app.extensions["orientation"].config.journal_dir)) == []
