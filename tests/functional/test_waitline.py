"""The waiting line end to end: callers wait in their own Twilio queue (the simulator plays <Enqueue>), free
volunteers are phoned through the REST API (a local fake) and the first 1 dequeues the caller."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from callflows.telephony import TwilioTelephony
from orientation import create_app
from orientation.core.clock import FrozenClock
from orientation.core.config import Config
from orientation.core.models import Attempt, OutboxMessage, Request, Territory
from orientation.core.runtime import Runtime
from orientation.services import callback_jobs, waitline
from orientation.simulator.engine import Switchboard, VoiceCall
from tests import factories
from tests.fakes.twilio_rest import FakeTwilioRest, RecordedRequest
from tests.functional.twilio_client import call, said, transport
from volunteers.models import Volunteer


@pytest.fixture
def fake() -> Iterator[FakeTwilioRest]:
    """Twilio's REST API on 127.0.0.1: it records the calls the app places and updates."""
    with FakeTwilioRest() as server:
        yield server


@pytest.fixture
def live_app(config: Config, clock: FrozenClock, engine: Engine, fake: FakeTwilioRest) -> Iterator[Flask]:
    """The app with real telephony pointed at the fake: offer calls really leave the outbox."""
    sender = TwilioTelephony(fake.account_sid, fake.auth_token, fake.base_url)
    app = create_app(config, clock=clock, sender=sender)
    app.config["TESTING"] = True
    yield app
    app.extensions["orientation"].engine.dispose()


@pytest.fixture
def board() -> Switchboard:
    """Twilio's queues of the account, shared by every simulated call of a test."""
    return Switchboard()


def _rt(app: Flask) -> Runtime:
    runtime: Runtime = app.extensions["orientation"]
    return runtime


def _by_caller(session: Session, caller: str) -> Request:
    session.expire_all()
    return session.scalars(select(Request).where(Request.caller == caller)).one()


def _offers(fake: FakeTwilioRest) -> list[RecordedRequest]:
    return [r for r in fake.requests_to("/Calls.json", "POST") if "/twilio/queue/offer" in r.form.get("Url", "")]


def _answer(app: Flask, session: Session, placed: RecordedRequest, board: Switchboard, **kw: Any) -> VoiceCall:
    """Twilio's side of an offer call: the volunteer picks up (the call keeps the sid the REST API gave it)."""
    session.expire_all()
    row = session.scalars(select(OutboxMessage).where(OutboxMessage.url == placed.form["Url"])).one()
    leg = VoiceCall(
        transport(app),
        placed.form["Url"],
        from_=placed.form["From"],
        to=placed.form["To"],
        call_sid=row.provider_sid,
        status_callback_url=placed.form.get("StatusCallback"),
        switchboard=board,
        **kw,
    )
    leg.start()
    return leg


def _on_a_call(app: Flask, board: Switchboard, caller: str) -> VoiceCall:
    """A caller taken by the one free volunteer: from now on, that volunteer is busy."""
    patient = call(app, from_=caller, switchboard=board)
    patient.start()
    patient.press("4")
    patient.press("75020")
    assert patient.state == "dial_leg"
    patient.leg_answer()
    patient.leg_press("1")
    assert patient.state == "bridged"
    return patient


def _waiting(app: Flask, board: Switchboard, caller: str, **kw: Any) -> VoiceCall:
    patient = call(app, from_=caller, switchboard=board, **kw)
    patient.start()
    patient.press("4")
    patient.press("75020")
    return patient


def test_a_caller_waits_in_line_when_every_volunteer_is_busy_and_hears_their_place(
    live_app: Flask, session: Session, clock: FrozenClock, board: Switchboard
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    _on_a_call(live_app, board, "+33611111111")

    second = _waiting(live_app, board, "+33622222222")
    third = _waiting(live_app, board, "+33633333333")

    waiting = _by_caller(session, "+33622222222")
    assert second.state == "gather" and second.queued_in == waiting.reference
    assert "Restez en ligne" in said(second)
    assert "Vous êtes la première personne en attente" in said(second)
    assert "Vous êtes la deuxième personne en attente" in said(third)
    assert "tapez 1" in said(third)
    assert waiting.status == "routing" and waiting.wait_started_at == clock() and waiting.wait_ended_at is None
    # The waitUrl was posted with the queue parameters Twilio sends.
    wait_posts = [x for x in second.exchanges if "/twilio/queue/wait" in x.url]
    assert wait_posts and {"QueuePosition", "QueueSid", "QueueTime", "CurrentQueueSize"} <= set(wait_posts[0].params)


def test_nobody_on_duty_still_goes_straight_to_the_message(
    live_app: Flask, session: Session, clock: FrozenClock, board: Switchboard
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock(), on_shift=False)

    patient = _waiting(live_app, board, "+33622222222")

    assert patient.state == "record" and patient.queued_in is None
    assert _by_caller(session, "+33622222222").wait_started_at is None


def test_a_turn_of_the_wait_comes_back_about_every_thirty_seconds(
    live_app: Flask, session: Session, clock: FrozenClock, board: Switchboard
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    _on_a_call(live_app, board, "+33611111111")
    patient = _waiting(live_app, board, "+33622222222")
    offers_said = said(patient).count("Pour laisser plutôt un message")

    for _ in range(3):
        clock.advance(seconds=25)
        patient.silence()

    assert patient.state == "gather" and patient.queued_in is not None
    assert said(patient).count("Pour laisser plutôt un message") == offers_said + 3
    # Each turn was handled anew (a turn taken for a retry of the one before would never see the wait limit).
    assert len([e for e in _by_caller(session, "+33622222222").events if e.kind == "queue.wait"]) == 4


def test_the_wait_limit_is_checked_at_every_turn_not_only_the_first(
    live_app: Flask, session: Session, clock: FrozenClock, board: Switchboard
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    _on_a_call(live_app, board, "+33611111111")
    patient = _waiting(live_app, board, "+33622222222")
    for _ in range(12):
        clock.advance(seconds=25)
        patient.silence()
        if patient.state != "gather":
            break

    assert patient.state == "record"
    assert _by_caller(session, "+33622222222").wait_end == "wait_limit"


def test_pressing_1_leaves_the_line_for_the_message_step(
    live_app: Flask, session: Session, clock: FrozenClock, board: Switchboard
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    _on_a_call(live_app, board, "+33611111111")
    patient = _waiting(live_app, board, "+33622222222")
    clock.advance(seconds=40)

    patient.press("1")

    assert patient.state == "record" and patient.queued_in is None
    assert "Après le bip" in said(patient)
    left = _by_caller(session, "+33622222222")
    assert left.wait_end == "chose_message" and left.wait_ended_at == clock()
    assert left.status == "callback_pending"
    patient.record(duration=20)
    assert _by_caller(session, "+33622222222").had_message


def test_another_key_keeps_the_caller_in_line(
    live_app: Flask, session: Session, clock: FrozenClock, board: Switchboard
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    _on_a_call(live_app, board, "+33611111111")
    patient = _waiting(live_app, board, "+33622222222")

    patient.press("5")

    assert patient.state == "gather" and patient.queued_in is not None
    assert _by_caller(session, "+33622222222").wait_ended_at is None


def test_past_the_wait_limit_the_caller_goes_to_the_message_step(
    live_app: Flask, session: Session, clock: FrozenClock, board: Switchboard
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    _on_a_call(live_app, board, "+33611111111")
    patient = _waiting(live_app, board, "+33622222222")

    clock.advance(seconds=territory.queue_wait_limit_seconds)
    patient.silence()

    assert patient.state == "record" and patient.queued_in is None
    assert "L'attente se prolonge" in said(patient)
    left = _by_caller(session, "+33622222222")
    assert left.wait_end == "wait_limit" and left.status == "callback_pending"


@pytest.mark.parametrize("action_after_hangup", [True, False], ids=["action-requested", "status-callback-only"])
def test_a_caller_who_hangs_up_while_waiting_is_abandoned_with_their_wait_recorded(
    live_app: Flask, session: Session, clock: FrozenClock, board: Switchboard, action_after_hangup: bool
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    _on_a_call(live_app, board, "+33611111111")
    patient = _waiting(live_app, board, "+33622222222", enqueue_action_after_hangup=action_after_hangup)
    clock.advance(seconds=70)

    patient.hangup()

    gone = _by_caller(session, "+33622222222")
    assert gone.status == "abandoned" and gone.outcome == "abandoned"
    assert gone.wait_end == "hung_up" and gone.wait_ended_at == clock()
    assert board.members(gone.reference) == []


@pytest.mark.parametrize(
    ("opted_in", "caller", "called_back"),
    [(True, "+33622222222", True), (True, "+33142222222", False), (False, "+33622222222", False)],
    ids=["opted-in-mobile", "opted-in-landline", "not-opted-in"],
)
def test_a_caller_who_hung_up_while_waiting_is_called_back_when_the_territory_opts_in_and_it_is_a_mobile(
    live_app: Flask,
    session: Session,
    clock: FrozenClock,
    board: Switchboard,
    fake: FakeTwilioRest,
    opted_in: bool,
    caller: str,
    called_back: bool,
) -> None:
    territory = factories.territory(session, clock())
    territory.settings = {**(territory.settings or {}), "callback_after_hang_up": opted_in}
    session.commit()
    factories.volunteer(session, territory, clock())
    factories.volunteer(session, territory, clock(), on_shift=False)
    first = _on_a_call(live_app, board, "+33611111111")
    _waiting(live_app, board, caller).hangup()
    first.end_bridge(duration=60)  # the volunteer is free again: the call-back may reach them

    gone = _by_caller(session, caller)
    assert gone.wait_end == "hung_up"
    assert gone.status == ("callback_pending" if called_back else "abandoned")
    # The call-back path's clock job phones the volunteer, now free, about it.
    callback_jobs.work_callbacks(_rt(live_app), clock.advance(hours=1))
    callback_offers = [r for r in fake.requests_to("/Calls.json", "POST") if "/twilio/callback/" in r.form["Url"]]
    assert bool(callback_offers) == called_back


def test_the_volunteer_who_becomes_free_is_offered_the_waiting_caller_and_takes_them_with_1(
    live_app: Flask, session: Session, clock: FrozenClock, board: Switchboard, fake: FakeTwilioRest
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    first = _on_a_call(live_app, board, "+33611111111")
    patient = _waiting(live_app, board, "+33622222222")
    clock.advance(seconds=150)

    first.end_bridge(duration=150)

    offers = _offers(fake)
    assert len(offers) == 1 and offers[0].form["To"] == volunteer.phone
    leg = _answer(live_app, session, offers[0], board)
    assert leg.state == "gather"
    assert "un patient attend depuis 3 minutes" in said(leg)
    assert "Tapez 1 pour prendre l'appel" in said(leg)
    leg.press("1")
    assert leg.state == "bridged" and patient.state == "queue_bridged"
    assert "Un professionnel prend votre appel" in said(patient)
    taken = _by_caller(session, "+33622222222")
    assert taken.status == "connected" and taken.volunteer_id == volunteer.id
    assert taken.wait_end == "answered" and taken.wait_ended_at == clock()
    leg.end_bridge(duration=300)
    assert patient.state == "ended"
    # The caller's own queue, empty now, is deleted (Twilio: "Queues persist").
    left = next(x for x in patient.exchanges if "/twilio/queue/left" in x.url)
    assert left.params["QueueResult"] == "bridged"
    assert fake.state.deleted_queues == {left.params["QueueSid"]}
    attempts = session.scalars(select(Attempt).where(Attempt.request_id == taken.id)).all()
    assert [(a.kind, a.result) for a in attempts] == [("queue", "accepted")]
    assert all(a.ended_at is not None for a in attempts)
    session.expire_all()
    assert session.get(Volunteer, volunteer.id).on_call_request_id is None  # type: ignore[union-attr]


def test_a_volunteer_who_declines_leaves_the_caller_waiting(
    live_app: Flask, session: Session, clock: FrozenClock, board: Switchboard, fake: FakeTwilioRest
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    first = _on_a_call(live_app, board, "+33611111111")
    patient = _waiting(live_app, board, "+33622222222")
    first.end_bridge(duration=60)
    leg = _answer(live_app, session, _offers(fake)[0], board)

    leg.press("2")

    assert patient.state == "gather" and patient.queued_in is not None
    still = _by_caller(session, "+33622222222")
    assert still.status == "routing" and still.wait_ended_at is None


def test_one_free_volunteer_is_never_offered_two_waiting_callers_at_once(
    live_app: Flask, session: Session, clock: FrozenClock, board: Switchboard, fake: FakeTwilioRest
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    first = _on_a_call(live_app, board, "+33611111111")
    _waiting(live_app, board, "+33622222222")
    _waiting(live_app, board, "+33633333333")

    first.end_bridge(duration=60)
    again = waitline.dispatch_lines(_rt(live_app), clock())

    assert len(_offers(fake)) == 1 and again == 0
    longest = _by_caller(session, "+33622222222")
    assert "attempt=" in _offers(fake)[0].form["Url"]
    offered = session.scalars(select(Attempt).where(Attempt.kind == "queue")).all()
    assert [a.request_id for a in offered] == [longest.id]


def _crisis_line(app: Flask, session: Session, clock: FrozenClock, board: Switchboard) -> tuple[VoiceCall, Territory]:
    """Crisis mode: one volunteer busy, a caller waiting, then three volunteers start their shift."""
    territory = factories.territory(session, clock())
    territory.crisis_enabled = True
    territory.crisis_offers = 3
    session.commit()
    factories.volunteer(session, territory, clock())
    _on_a_call(app, board, "+33611111111")
    patient = _waiting(app, board, "+33622222222")
    for _ in range(3):
        factories.volunteer(session, territory, clock())
    return patient, territory


def test_in_crisis_three_volunteers_are_offered_the_caller_and_the_first_1_wins(
    live_app: Flask, session: Session, clock: FrozenClock, board: Switchboard, fake: FakeTwilioRest
) -> None:
    patient, _ = _crisis_line(live_app, session, clock, board)

    assert waitline.dispatch_lines(_rt(live_app), clock()) == 3

    offers = _offers(fake)
    assert len({o.form["To"] for o in offers}) == 3
    winner = _answer(live_app, session, offers[0], board)
    listening = _answer(live_app, session, offers[1], board)
    winner.press("1")
    assert winner.state == "bridged" and patient.state == "queue_bridged"
    # The colleague listening to the offer is told; the phone still ringing is cancelled.
    session.expire_all()
    sids = {o.form["To"]: session.scalars(select(OutboxMessage).where(OutboxMessage.url == o.form["Url"])).one()
            for o in offers}  # fmt: skip
    listening_sid = sids[offers[1].form["To"]].provider_sid
    ringing_sid = sids[offers[2].form["To"]].provider_sid
    updates = {r.path.rsplit("/", 1)[-1].removesuffix(".json"): r.form for r in fake.requests_to(".json", "POST")
               if "/Calls/CA" in r.path}  # fmt: skip
    assert updates[ringing_sid] == {"Status": "canceled"}
    assert "/twilio/queue/taken" in updates[listening_sid]["Url"]
    listening.press("1")
    assert "Un collègue a pris cet appel, merci" in said(listening)
    taken = _by_caller(session, "+33622222222")
    results = sorted(a.result or "" for a in session.scalars(select(Attempt).where(Attempt.request_id == taken.id)))
    assert results == ["accepted", "cancelled", "cancelled"]


def test_in_crisis_after_a_call_the_volunteer_may_press_1_for_the_next_caller(
    live_app: Flask, session: Session, clock: FrozenClock, board: Switchboard, fake: FakeTwilioRest
) -> None:
    territory = factories.territory(session, clock())
    territory.crisis_enabled = True
    session.commit()
    factories.volunteer(session, territory, clock())
    first = _on_a_call(live_app, board, "+33611111111")
    _waiting(live_app, board, "+33622222222")
    later = _waiting(live_app, board, "+33644444444")
    first.end_bridge(duration=60)
    volunteer = _answer(live_app, session, _offers(fake)[0], board)
    volunteer.press("1")
    assert later.queued_in is not None

    volunteer.end_bridge(duration=120)

    assert "Pour prendre l'appel suivant, tapez 1" in said(volunteer)
    volunteer.press("1")
    assert volunteer.state == "bridged" and later.state == "queue_bridged"
    assert _by_caller(session, "+33644444444").wait_end == "answered"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_volunteers_pressing_1_at_the_same_instant_take_the_caller_once(
    live_app: Flask, session: Session, clock: FrozenClock, board: Switchboard, fake: FakeTwilioRest
) -> None:
    _crisis_line(live_app, session, clock, board)
    waitline.dispatch_lines(_rt(live_app), clock())
    legs = [_answer(live_app, session, placed, board) for placed in _offers(fake)[:2]]
    start = threading.Barrier(len(legs))
    errors: list[BaseException] = []

    def press(leg: VoiceCall) -> None:
        try:
            start.wait()
            leg.press("1")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=press, args=(leg,)) for leg in legs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    taken = _by_caller(session, "+33622222222")
    accepted = session.scalars(select(Attempt).where(Attempt.request_id == taken.id, Attempt.result == "accepted"))
    assert len(list(accepted)) == 1
    assert sorted("Un collègue a pris cet appel" in said(leg) for leg in legs) == [False, True]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_processes_dispatching_the_line_at_once_make_the_offers_once(
    live_app: Flask, session: Session, clock: FrozenClock, board: Switchboard, fake: FakeTwilioRest
) -> None:
    _, territory = _crisis_line(live_app, session, clock, board)
    for _ in range(3):  # six free volunteers: room for a doubled round if the caller's row lock did not hold
        factories.volunteer(session, territory, clock())
    start = threading.Barrier(2)
    made: list[int] = []

    def dispatch() -> None:
        start.wait()
        made.append(waitline.dispatch_lines(_rt(live_app), clock()))

    threads = [threading.Thread(target=dispatch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Three offers in all (crisis_offers), to three different volunteers: none doubled by the race.
    assert sum(made) == 3
    offers = _offers(fake)
    assert len(offers) == 3 and len({o.form["To"] for o in offers}) == 3
    open_offers = session.scalars(select(Attempt).where(Attempt.kind == "queue", Attempt.result.is_(None))).all()
    assert len(open_offers) == 3
