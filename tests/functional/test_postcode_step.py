"""The postcode's common path (postcode_step) and the general way it leaves the other answers to."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import Attempt
from tests import factories
from tests.functional.call_records import the_request, timeline
from tests.functional.twilio_client import call, said
from tests.sql_statements import statements_sent


def _ring_order_reads(statements: list[str]) -> list[str]:
    """The statements that read who is free to ring (volunteers.services, its `busy` column)."""
    return [s for s in statements if "FROM volunteers" in s and " AS busy" in s]


def test_a_postcode_of_the_territory_rings_the_first_volunteer_without_loading_the_request(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    patient = call(app)
    patient.start()
    patient.press("2")
    with statements_sent(app.extensions["orientation"].engine) as statements:
        patient.press("75020")
    request = the_request(session)
    assert (request.postcode, request.in_territory, request.status) == ("75020", True, "routing")
    attempt = session.scalars(select(Attempt)).one()
    assert (attempt.volunteer_id, attempt.seq, attempt.kind, attempt.result) == (volunteer.id, 1, "live", None)
    assert timeline(session, request.id)[-3:] == [
        ("postcode", {"postcode": "75020", "in_territory": True}),
        ("status", {"from": "in_menu", "to": "routing"}),
        ("attempt.offered", {"attempt": attempt.id, "volunteer_id": volunteer.id}),
    ]
    assert patient.state == "dial_leg"
    # A few columns read, not the request's every column as an ORM load reads them.
    assert not [s for s in statements if "requests.caller_pseudonym" in s], statements
    assert len(_ring_order_reads(statements)) == 1, statements


def test_nobody_free_reads_the_ring_order_once_and_takes_a_message(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    factories.territory(session, clock())  # no volunteer at all
    patient = call(app)
    patient.start()
    patient.press("2")
    with statements_sent(app.extensions["orientation"].engine) as statements:
        patient.press("75020")
    request = the_request(session)
    assert (request.postcode, request.status) == ("75020", "callback_pending")
    kinds = [kind for kind, _ in timeline(session, request.id)]
    assert kinds[kinds.index("postcode") :][:3] == ["postcode", "status", "routing.no_candidate"]
    assert ("routing.no_candidate", {"tried": 0}) in timeline(session, request.id)
    assert patient.state == "record" and "message" in said(patient)
    # The common path read who is free and found nobody: the general way does not read it again.
    assert len(_ring_order_reads(statements)) == 1, statements
