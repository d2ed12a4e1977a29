"""A failed send judged by Twilio's error (issue 14.6): permanent errors fail the message with their code, never
retried; transient ones are retried with backoff and a limit; delivery reports come back through a signed status
callback; and a call create left without an answer never rings a volunteer twice for one offer."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from callflows.telephony import TelephonyError, TwilioTelephony
from orientation.cli import scheduler
from orientation.core import delivery
from orientation.core.clock import FrozenClock
from orientation.core.models import Attempt, Event, OutboxMessage, Request
from orientation.services import callback_jobs, callback_policy, callbacks
from tests import factories
from tests.conftest import PUBLIC_BASE_URL
from tests.fakes.twilio_rest import FakeTwilioRest, RecordedRequest
from tests.functional.console_client import account, login
from tests.functional.twilio_client import connected_call, message_left, runtime_of, transport


def _outcome_sms(session: Session) -> OutboxMessage:
    session.expire_all()
    return session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "outcome_request")).one()


def _offer_rows(session: Session) -> list[OutboxMessage]:
    session.expire_all()
    query = select(OutboxMessage).where(OutboxMessage.purpose == callbacks.OFFER_PURPOSE).order_by(OutboxMessage.id)
    return list(session.scalars(query))


def _events(session: Session, kind: str) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.kind == kind).order_by(Event.id)))


def _posts(fake: FakeTwilioRest, resource: str) -> list[RecordedRequest]:
    return fake.requests_to(f"/{resource}.json", "POST")


# ---------------------------------------------------------------------------------- permanent errors


@pytest.mark.parametrize("code", [21614, 21610, 21211, 21408, 21606])
def test_a_permanent_error_fails_the_sms_with_its_code_and_it_is_never_sent_again(
    live_app: Flask, fake: FakeTwilioRest, session: Session, clock: FrozenClock, code: int
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    fake.fail_for(volunteer.phone, code, 400, f"Error about {volunteer.phone}")
    connected_call(live_app)

    row = _outcome_sms(session)
    assert (row.status, row.error_code, row.attempts, row.next_attempt_at) == ("failed", code, 1, None)
    assert volunteer.phone not in (row.error or "")  # Twilio's message repeats the number: never kept
    [event] = _events(session, "outbox.failed")
    assert event.request_id == row.request_id and event.payload["error_code"] == code

    clock.advance(hours=2)
    assert scheduler.dispatch_outbox(runtime_of(live_app), clock()) == 0
    assert len(_posts(fake, "Messages")) == 1


def test_the_request_page_shows_a_failed_sms_and_its_twilio_error(
    live_app: Flask, fake: FakeTwilioRest, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    fake.fail_for(volunteer.phone, 21614, 400, "not a mobile")
    connected_call(live_app)
    request = session.scalars(select(Request)).one()
    user = account(session, clock(), territory_id=territory.id)
    page = login(live_app, user.email).get(f"/t/{territory.id}/demandes/{request.reference}").get_data(as_text=True)
    assert "SMS « demande d&#39;issue au volontaire » en échec (erreur Twilio 21614)" in page


# ---------------------------------------------------------------------------------- transient errors


@pytest.mark.parametrize(("status", "code"), [(429, 20429), (500, 20500), (503, 20503)])
def test_a_transient_error_leaves_the_sms_queued_until_its_next_try_then_it_goes(
    live_app: Flask, fake: FakeTwilioRest, session: Session, clock: FrozenClock, status: int, code: int
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    fake.fail_next(status, code, "Busy")
    connected_call(live_app)

    row = _outcome_sms(session)
    assert (row.status, row.error_code, row.attempts) == ("queued", code, 1)
    assert row.next_attempt_at == clock() + timedelta(minutes=1)
    assert scheduler.dispatch_outbox(runtime_of(live_app), clock()) == 0  # not yet due
    clock.advance(seconds=59)
    assert scheduler.dispatch_outbox(runtime_of(live_app), clock()) == 0
    clock.advance(seconds=1)
    assert scheduler.dispatch_outbox(runtime_of(live_app), clock()) == 1

    row = _outcome_sms(session)
    assert (row.status, row.attempts, row.next_attempt_at) == ("sent", 2, None)
    retried = _posts(fake, "Messages")[-1]
    assert retried.form["StatusCallback"] == f"{PUBLIC_BASE_URL}/twilio/sms-status?outbox={row.id}"
    assert _events(session, "outbox.failed") == []


def test_after_the_last_try_a_transient_failure_is_final_and_on_the_timeline(
    live_app: Flask, fake: FakeTwilioRest, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    for _ in range(delivery.MAX_ATTEMPTS):
        fake.fail_next(500, 20500, "Internal Server Error")
    connected_call(live_app)
    for _ in range(delivery.MAX_ATTEMPTS - 1):
        clock.advance(minutes=30)
        scheduler.dispatch_outbox(runtime_of(live_app), clock())

    row = _outcome_sms(session)
    assert (row.status, row.attempts, row.error_code) == ("failed", delivery.MAX_ATTEMPTS, 20500)
    assert len(_posts(fake, "Messages")) == delivery.MAX_ATTEMPTS
    assert len(_events(session, "outbox.failed")) == 1
    clock.advance(hours=1)
    assert scheduler.dispatch_outbox(runtime_of(live_app), clock()) == 0


def test_an_sms_whose_answer_was_lost_is_sent_again_at_the_next_try(
    live_app: Flask, fake: FakeTwilioRest, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    fake.drop_next(carried_out=True)
    connected_call(live_app)
    row = _outcome_sms(session)
    assert (row.status, row.attempts, row.error_code) == ("queued", 1, None)
    clock.advance(minutes=1)
    assert scheduler.dispatch_outbox(runtime_of(live_app), clock()) == 1
    # Twilio had taken the first: the volunteer may get the text twice, never zero times.
    assert len(fake.state.messages) == 2 and _outcome_sms(session).status == "sent"


def test_the_client_tells_a_lost_answer_from_a_connection_never_made(fake: FakeTwilioRest) -> None:
    telephony = TwilioTelephony(fake.account_sid, fake.auth_token, fake.base_url)
    fake.drop_next()
    with pytest.raises(TelephonyError) as lost:
        telephony.place_call("+33600000001", "+33199000001", "https://example.org/twiml")
    assert lost.value.maybe_created and lost.value.status is None
    assert len(fake.state.calls) == 1  # Twilio did place it

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    nowhere = TwilioTelephony(fake.account_sid, fake.auth_token, f"http://127.0.0.1:{port}")
    with pytest.raises(TelephonyError) as refused:
        nowhere.send_sms("+33600000001", "+33199000001", "Bonjour")
    assert not refused.value.maybe_created


# ---------------------------------------------------------------------------------- delivery reports


def _report(app: Flask, fake: FakeTwilioRest, sid: str, status: str, error: int | None = None) -> int:
    url, form = fake.status_report(sid, status, error)
    answered, _ = transport(app).post(url, form)
    return answered


def test_delivery_reports_are_recorded_once_and_never_undone_by_a_late_one(
    live_app: Flask, fake: FakeTwilioRest, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    connected_call(live_app)
    row = _outcome_sms(session)
    assert row.status == "sent" and row.provider_sid in fake.state.messages
    sid = row.provider_sid

    assert _report(live_app, fake, sid, "sent") == 200
    assert _outcome_sms(session).status == "sent"
    assert _report(live_app, fake, sid, "delivered") == 200
    assert _report(live_app, fake, sid, "delivered") == 200  # Twilio retried: recorded once
    assert _report(live_app, fake, sid, "undelivered", 30003) == 200  # out of order: too late to matter

    row = _outcome_sms(session)
    assert (row.status, row.error_code) == ("delivered", None)
    [delivered] = _events(session, "outbox.delivered")
    assert delivered.request_id == row.request_id and delivered.payload["purpose"] == "outcome_request"
    raw = _events(session, "sms.status")
    assert [e.payload["MessageStatus"] for e in raw] == ["sent", "delivered", "undelivered"]


def test_an_undelivered_sms_keeps_its_error_code_and_shows_on_the_request_page(
    live_app: Flask, fake: FakeTwilioRest, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    connected_call(live_app)
    row = _outcome_sms(session)
    assert _report(live_app, fake, row.provider_sid or "", "undelivered", 30005) == 200
    row = _outcome_sms(session)
    assert (row.status, row.error_code) == ("undelivered", 30005)
    request = session.scalars(select(Request)).one()
    user = account(session, clock(), territory_id=territory.id)
    page = login(live_app, user.email).get(f"/t/{territory.id}/demandes/{request.reference}").get_data(as_text=True)
    assert "non remis (erreur Twilio 30005)" in page


def test_a_report_unsigned_or_about_another_message_changes_nothing(
    live_app: Flask, fake: FakeTwilioRest, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    connected_call(live_app)
    row = _outcome_sms(session)
    url, form = fake.status_report(row.provider_sid or "", "failed", 30008)
    assert live_app.test_client().post(url.removeprefix(PUBLIC_BASE_URL), data=form).status_code == 403
    other = {**form, "MessageSid": "SM" + "e" * 32}
    assert transport(live_app).post(url, other)[0] == 200
    missing = {k: v for k, v in form.items() if k != "MessageStatus"}
    assert transport(live_app).post(url, missing)[0] == 400
    assert _outcome_sms(session).status == "sent"
    assert _events(session, "outbox.failed") == []


# ---------------------------------------------------------------------------------- calls without an answer


def test_an_offer_placed_again_after_a_transient_error_keeps_its_status_callback(
    live_app: Flask, fake: FakeTwilioRest, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock(), motives=["visite_domicile"])
    message_left(live_app)
    fake.fail_next(503, 20503, "Service Unavailable")
    assert callback_jobs.work_callbacks(runtime_of(live_app), clock()) == 1
    [row] = _offer_rows(session)
    assert (row.status, row.attempts) == ("queued", 1)

    clock.advance(minutes=1)
    assert scheduler.dispatch_outbox(runtime_of(live_app), clock()) == 1  # the clock's generic job places it
    placed = _posts(fake, "Calls")[-1]
    assert placed.form["StatusCallback"] == callback_policy.status_url_for(placed.form["Url"])
    assert placed.form["StatusCallbackMethod"] == "POST"


def test_an_offer_call_twilio_placed_without_answering_us_is_not_placed_again_and_its_status_settles_it(
    live_app: Flask, fake: FakeTwilioRest, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    for _ in range(2):
        factories.volunteer(session, territory, clock(), motives=["visite_domicile"])
    message_left(live_app)
    fake.drop_next(carried_out=True)
    assert callback_jobs.work_callbacks(runtime_of(live_app), clock()) == 1
    [row] = _offer_rows(session)
    assert row.status == "uncertain" and row.provider_sid is None
    assert len(_events(session, "outbox.uncertain")) == 1
    [created] = fake.state.calls.values()

    clock.advance(minutes=2)  # the clock's jobs run meanwhile: nothing is placed again
    scheduler.dispatch_outbox(runtime_of(live_app), clock())
    callback_jobs.work_callbacks(runtime_of(live_app), clock())
    first = _posts(fake, "Calls")
    assert len(first) == 1

    # Twilio's status callback: the volunteer did not pick up. The row learns the call's sid, the next is asked.
    status = {"CallSid": created["sid"], "CallStatus": "no-answer", "AccountSid": fake.account_sid}
    assert transport(live_app).post(first[0].form["StatusCallback"], status)[0] == 200
    offers = _offer_rows(session)
    assert (offers[0].status, offers[0].provider_sid) == ("sent", created["sid"])
    calls = _posts(fake, "Calls")
    assert len(calls) == 2 and calls[1].form["To"] != calls[0].form["To"]


def test_an_offer_call_that_never_reached_twilio_is_passed_on_after_the_stale_delay_without_ringing_twice(
    live_app: Flask, fake: FakeTwilioRest, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    for _ in range(2):
        factories.volunteer(session, territory, clock(), motives=["visite_domicile"])
    message_left(live_app)
    fake.drop_next(carried_out=False)
    assert callback_jobs.work_callbacks(runtime_of(live_app), clock()) == 1
    assert _offer_rows(session)[0].status == "uncertain" and fake.state.calls == {}

    clock.advance(minutes=5)
    callback_jobs.work_callbacks(runtime_of(live_app), clock())
    assert len(_posts(fake, "Calls")) == 1  # still waiting: Twilio might yet report a call
    clock.advance(minutes=6)
    callback_jobs.work_callbacks(runtime_of(live_app), clock())

    calls = _posts(fake, "Calls")
    assert len(calls) == 2 and calls[1].form["To"] != calls[0].form["To"]
    attempts = session.scalars(select(Attempt).where(Attempt.kind == "callback").order_by(Attempt.id))
    results = [a.result for a in attempts]
    assert results == ["no_answer", None]


def test_the_migration_adds_the_sender_and_delivery_columns(engine: Engine) -> None:
    territories = {c["name"]: c for c in inspect(engine).get_columns("territories")}
    assert territories["sms_sender"]["nullable"] and territories["sms_replies"]["nullable"]
    outbox = {c["name"]: c for c in inspect(engine).get_columns("outbox")}
    assert {"error_code", "next_attempt_at", "status_callback"} <= set(outbox)
    assert outbox["attempts"]["nullable"] is False
    assert getattr(outbox["from_number"]["type"], "length", None) == 34  # holds a Messaging Service SID
