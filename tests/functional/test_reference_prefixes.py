"""Reference prefixes: one per territory across the instance, so no territory's calls collide with another's."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.clock import FrozenClock
from orientation.models import Event, Request, Territory
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


def test_a_scoped_token_cannot_take_another_territorys_prefix(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
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
