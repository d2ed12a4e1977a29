"""A person's data by phone number: exported whole, erased on request with the figures kept, both audited."""

from __future__ import annotations

import json
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import AuditEntry, OutboxMessage, Request
from orientation.services import person_data, privacy
from orientation.services.messaging import queue_sms
from orientation.services.stats import figures_for
from tests import factories

SECRET = "test-secret"
ACTOR = "cli:dpo"


def test_the_export_holds_every_request_of_the_number_with_its_timeline_and_messages(
    session: Session, clock: FrozenClock
) -> None:
    now = clock()
    territory = factories.territory(session, now)
    first = factories.closed_call(session, territory, now - timedelta(days=20))
    second = factories.closed_call(session, territory, now - timedelta(days=2), outcome="oriented", note=None)
    factories.closed_call(session, territory, now - timedelta(days=1), caller=factories.OTHER_CALLER)

    document = person_data.export_person(session, SECRET, factories.CALLER, now, ACTOR)
    session.commit()

    assert document["phone"] == factories.CALLER
    assert [r["reference"] for r in document["requests"]] == [first.reference, second.reference]
    exported = document["requests"][0]
    assert exported["caller"] == factories.CALLER
    assert exported["outcome_note"] == "Mme D., douleur thoracique, rappeler sa fille"
    assert exported["recording_url"] == "https://api.twilio.com/rec/RE1"
    kinds = [e["kind"] for e in exported["timeline"]]
    assert kinds[0] == "call.received" and "outcome" in kinds
    assert any(e["data"].get("SpeechResult") == "un médecin pour ma mère" for e in exported["timeline"])
    to_them = [m for m in document["messages"] if m["purpose"] == "patient_callback"]
    assert [m["to"] for m in to_them] == [factories.CALLER, factories.CALLER]
    assert to_them[0]["body"] == f"Votre demande {first.reference} est enregistrée"
    # A volunteer's alert about their request is theirs to know of, the volunteer's number is not.
    alerts = [m for m in document["messages"] if m["purpose"] == "callback_alert"]
    assert len(alerts) == 2 and all("600000999" not in m["to"] for m in alerts)
    assert document["volunteers"] == []
    assert factories.OTHER_CALLER not in json.dumps(document)
    audited = session.scalars(select(AuditEntry).where(AuditEntry.action == "export")).all()
    assert sorted(a.reference for a in audited if a.reference) == sorted([first.reference, second.reference])
    assert all(a.actor == ACTOR and factories.CALLER not in json.dumps(a.details) for a in audited)


def test_the_export_still_finds_requests_whose_number_retention_replaced(session: Session, clock: FrozenClock) -> None:
    now = clock()
    territory = factories.territory(session, now)
    old = factories.closed_call(session, territory, now - relativedelta(months=14))
    assert privacy.pseudonymise_due(session, SECRET, now, None) == 1
    session.commit()

    document = person_data.export_person(session, SECRET, factories.CALLER, now, ACTOR)

    assert [r["reference"] for r in document["requests"]] == [old.reference]
    assert document["requests"][0]["caller"] is None
    assert document["requests"][0]["pseudonymised_at"] == now.isoformat()
    assert document["requests"][0]["outcome_note"] is None


def test_the_export_of_a_volunteer_number_holds_their_record_and_shifts(session: Session, clock: FrozenClock) -> None:
    now = clock()
    territory = factories.territory(session, now)
    volunteer = factories.volunteer(session, territory, now)

    document = person_data.export_person(session, SECRET, volunteer.phone, now, ACTOR)

    assert [v["id"] for v in document["volunteers"]] == [volunteer.id]
    assert document["volunteers"][0]["name"] == volunteer.name
    assert len(document["volunteers"][0]["shifts"]) == 1
    assert document["requests"] == []


def test_erasing_a_number_clears_it_everywhere_and_keeps_the_figures(session: Session, clock: FrozenClock) -> None:
    now = clock()
    territory = factories.territory(session, now)
    recent = factories.closed_call(session, territory, now - timedelta(days=3))
    old = factories.closed_call(session, territory, now - relativedelta(months=14))
    other = factories.closed_call(session, territory, now - timedelta(days=3), caller=factories.OTHER_CALLER)
    assert privacy.pseudonymise_due(session, SECRET, now, None) == 1  # `old` now only has a pseudonym
    queue_sms(
        session,
        to=factories.CALLER,
        from_=factories.LINE_NUMBER,
        body="Un SMS sans demande",
        purpose="other",
        now=now,
        territory_id=territory.id,
        live=False,
    )
    session.commit()
    before = figures_for(session, None, None, None)

    preview = person_data.erasure_preview(session, SECRET, factories.CALLER)
    done = person_data.erase_person(session, SECRET, factories.CALLER, now, ACTOR, None)
    session.commit()
    session.expire_all()

    assert done == preview
    assert (done.requests, done.still_open, done.volunteer_ids) == (2, 0, ())
    assert done.messages == 5  # two per request, and the one without a request
    for request_id in (recent.id, old.id):
        request = session.get(Request, request_id)
        assert request is not None
        assert request.caller is None and request.caller_pseudonym is None and request.outcome_note is None
        assert request.pseudonymised_at == now
    assert session.get(Request, other.id).caller == factories.OTHER_CALLER  # type: ignore[union-attr]
    assert session.scalar(select(OutboxMessage.id).where(OutboxMessage.to_number == factories.CALLER)) is None
    assert session.scalar(select(OutboxMessage.body).where(OutboxMessage.purpose == "other")) is None
    assert figures_for(session, None, None, None) == before
    assert person_data.export_person(session, SECRET, factories.CALLER, now, ACTOR)["requests"] == []
    erased = session.scalars(select(AuditEntry).where(AuditEntry.action == "erase")).all()
    assert sorted(a.request_id for a in erased) == sorted([recent.id, old.id])  # type: ignore[type-var]


def test_erasing_a_number_nobody_holds_is_still_kept_in_the_audit_log(session: Session, clock: FrozenClock) -> None:
    now = clock()
    factories.territory(session, now)

    done = person_data.erase_person(session, SECRET, "+33612000000", now, ACTOR, None)
    session.commit()

    assert (done.requests, done.messages) == (0, 0)
    entry = session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.request_id, entry.details["requests"]) == ("erase", None, 0)
    assert entry.details["number"] == "+33 •• •• •• 00"
