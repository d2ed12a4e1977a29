"""The coordinator's "call back now": POST /api/v1/requests/{reference}/callback."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import Attempt, OutboxMessage, Request, Territory
from orientation.services import requests as svc
from tests import factories
from tests.conftest import PUBLIC_BASE_URL
from tests.functional.api_client import anonymous, api, other_territory

PATIENT = "+33611223344"


def _request(session: Session, territory: Territory, now: datetime, status: str, sid: str = "CA" + "1" * 32) -> Request:
    request, _ = svc.open_request(session, territory, sid, PATIENT, now)
    request.motive = "medecin_traitant"
    request.postcode = "75020"
    if status == "abandoned":
        svc.change_status(session, request, "in_menu", now)
        svc.call_ended(session, request, "completed", now)
    elif status == "callback_pending":
        svc.to_callback(session, request, now)
    elif status == "closed":
        svc.close_with_outcome(session, request, "no_solution", now)
    elif status != "received":
        svc.change_status(session, request, status, now)
    session.commit()
    return request


def test_a_coordinator_has_a_waiting_request_called_back_now_by_a_volunteer_on_duty(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock(), settings={"callback_spacing_minutes": 120})
    volunteer = factories.volunteer(session, territory, clock())
    request = _request(session, territory, clock(), "callback_pending")
    request.next_callback_at = clock().replace(year=2027)  # the next round was far away
    session.commit()
    response = api(app, session, clock(), name="coordinatrice").post(f"/requests/{request.reference}/callback", {})
    assert response.status_code == 202
    body = response.get_json()
    assert body["offered_to"] == volunteer.id and body["status"] == "callback_pending"
    assert body["request"]["attempts"][-1]["kind"] == "callback"
    requested = [e for e in body["request"]["events"] if e["kind"] == "callback.requested"]
    assert [e["actor"] for e in requested] == ["token:coordinatrice"]
    call = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "callback_offer")).one()
    assert call.to_number == volunteer.phone and call.from_number == factories.LINE_NUMBER
    assert (call.url or "").startswith(f"{PUBLIC_BASE_URL}/twilio/callback/offer?attempt=")
    again = api(app, session, clock()).post(f"/requests/{request.reference}/callback", {})
    assert again.status_code == 202 and again.get_json()["in_progress"] is True
    assert len(session.scalars(select(Attempt).where(Attempt.kind == "callback")).all()) == 1


def test_an_abandoned_call_can_be_called_back_and_loses_its_abandoned_outcome_in_the_timeline(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    request = _request(session, territory, clock(), "abandoned")
    assert request.outcome == "abandoned"
    response = api(app, session, clock(), name="coordinatrice").post(f"/requests/{request.reference}/callback", {})
    assert response.status_code == 202
    body = response.get_json()["request"]
    assert body["status"] == "callback_pending" and body["outcome"] is None
    cleared = [e for e in body["events"] if e["kind"] == "outcome"][-1]
    assert cleared["data"] == {"from": "abandoned", "to": None} and cleared["actor"] == "token:coordinatrice"


def test_with_nobody_on_duty_the_call_back_waits_for_the_clock_process(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock(), settings={"callback_spacing_minutes": 15})
    factories.volunteer(session, territory, clock(), on_shift=False)
    request = _request(session, territory, clock(), "callback_pending")
    body = api(app, session, clock()).post(f"/requests/{request.reference}/callback", {}).get_json()
    assert body["offered_to"] is None and body["in_progress"] is False
    assert body["next_callback_at"] == clock().replace(minute=15).isoformat()


def test_a_closed_request_or_a_call_in_progress_cannot_be_called_back(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    closed = _request(session, territory, clock(), "closed")
    ringing = _request(session, territory, clock(), "routing", sid="CA" + "2" * 32)
    client = api(app, session, clock())
    assert client.post(f"/requests/{closed.reference}/callback", {}).status_code == 409
    assert client.post(f"/requests/{ringing.reference}/callback", {}).status_code == 409
    assert session.scalars(select(Attempt)).all() == []


def test_another_territorys_request_or_no_token_is_refused(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    mine = _request(session, territory, clock(), "callback_pending")
    elsewhere = other_territory(session, clock())
    scoped = api(app, session, clock(), territory_id=elsewhere.id)
    assert scoped.post(f"/requests/{mine.reference}/callback", {}).status_code == 404
    assert anonymous(app).post(f"/requests/{mine.reference}/callback", {}).status_code == 401
    assert api(app, session, clock()).post("/requests/P20-2026-999999/callback", {}).status_code == 404
    session.expire_all()
    assert session.get(Request, mine.id).next_callback_at is None  # type: ignore[union-attr]


def test_the_openapi_document_describes_the_call_back_and_the_match_rate(app: Flask) -> None:
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    assert "post" in document["paths"]["/requests/{reference}/callback"]
    stats = document["paths"]["/stats"]["get"]["description"]
    assert "matched" in stats and "final outcome" in stats and "median_callback_delay_seconds" in stats
    schemas = document["components"]["schemas"]
    figures = schemas["Stats"]["properties"]["motives"]["additionalProperties"]
    figures = schemas[figures["$ref"].rsplit("/", 1)[-1]]  # a component of its own since it is generated
    named = ("oriented", "no_solution", "p90_seconds_to_answer", "callbacks_pending", "median_callback_delay_seconds")
    assert set(named) <= set(figures["properties"])
