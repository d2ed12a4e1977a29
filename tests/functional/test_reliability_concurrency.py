"""Concurrency on PostgreSQL with real threads: duplicated webhooks, racing callbacks, racing outcomes."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from orientation.core.clock import FrozenClock
from orientation.core.models import Attempt, Event, OutboxMessage, Request
from orientation.services import callbacks
from orientation.services.tokens import create_token
from orientation.simulator.engine import VoiceCall
from tests import factories
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.functional.twilio_client import call, call_to_postcode, send_sms
from volunteers.models import Volunteer


@pytest.fixture
def postgres_only(database_url: str) -> None:
    """Row locks and unique-index waits are PostgreSQL's; SQLite serializes writers anyway."""
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrency is tested on PostgreSQL")


def _at_once(*actions: Callable[[], object]) -> list[object]:
    barrier = threading.Barrier(len(actions))
    results: list[object] = [None] * len(actions)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = actions[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(actions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _post(app: Flask, path: str, params: dict[str, str]) -> tuple[int, bytes]:
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE_URL + path, params)
    response = app.test_client().post(path, data=params, headers={"X-Twilio-Signature": signature})
    return response.status_code, response.data


@pytest.mark.usefixtures("postgres_only")
@pytest.mark.parametrize("round_", range(3))
def test_the_same_inbound_call_posted_twice_at_once_makes_one_request(
    app: Flask, session: Session, clock: FrozenClock, round_: int
) -> None:
    factories.territory(session, clock())
    params = {"CallSid": f"CA{round_:032d}", "From": "+33611223344", "To": factories.LINE_NUMBER}
    first, second = _at_once(lambda: _post(app, "/twilio/voice", params), lambda: _post(app, "/twilio/voice", params))
    assert first == second and first[0] == 200  # type: ignore[index]
    assert session.scalar(select(func.count()).select_from(Request)) == 1
    assert session.scalar(select(Request.reference)) == "P20-2026-000001"


@pytest.mark.usefixtures("postgres_only")
def test_the_same_dial_action_twice_at_once_rings_the_next_volunteer_once(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    factories.volunteer(session, territory, clock())
    factories.volunteer(session, territory, clock())
    patient = call_to_postcode(app)
    attempt_id = session.scalar(select(Attempt.id))
    params = {
        "CallSid": patient.call_sid,
        "From": "+33611223344",
        "To": factories.LINE_NUMBER,
        "CallStatus": "in-progress",
        "DialCallStatus": "no-answer",
        "DialCallSid": "CA" + "d" * 32,
        "DialBridged": "false",
    }
    path = f"/twilio/voice/dial?attempt={attempt_id}"
    first, second = _at_once(lambda: _post(app, path, params), lambda: _post(app, path, params))
    assert first == second
    session.expire_all()
    assert [a.result for a in session.scalars(select(Attempt).order_by(Attempt.id))] == ["no_answer", None]


@pytest.mark.usefixtures("postgres_only")
def test_a_hang_up_racing_a_dial_action_never_leaves_a_ringing_phone_for_nobody(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    factories.volunteer(session, territory, clock())
    patient = call_to_postcode(app)
    attempt_id = session.scalar(select(Attempt.id))
    base = {"CallSid": patient.call_sid, "From": "+33611223344", "To": factories.LINE_NUMBER}
    dial = {**base, "CallStatus": "in-progress", "DialCallStatus": "no-answer", "DialBridged": "false"}
    hangup = {**base, "CallStatus": "completed", "CallDuration": "40"}
    _at_once(
        lambda: _post(app, f"/twilio/voice/dial?attempt={attempt_id}", dial),
        lambda: _post(app, "/twilio/status", hangup),
    )
    session.expire_all()
    request = session.scalars(select(Request)).one()
    assert request.status == "abandoned"
    assert all(a.result is not None for a in session.scalars(select(Attempt)))


@pytest.mark.usefixtures("postgres_only")
def test_a_volunteer_reply_racing_a_coordinator_edit_loses_no_update(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    patient = call_to_postcode(app, "1")
    patient.leg_answer()
    patient.leg_press("1")
    patient.end_bridge(duration=60)
    token = create_token(session, "coordinator", None, clock())
    session.commit()
    reference = session.scalar(select(Request.reference))

    def coordinator() -> int:
        response = app.test_client().patch(
            f"/api/v1/requests/{reference}",
            json={"outcome": "oriented"},
            headers={"Authorization": f"Bearer {token}"},
        )
        return response.status_code

    _at_once(coordinator, lambda: send_sms(app, volunteer.phone, "1"))
    session.expire_all()
    request = session.scalars(select(Request)).one()
    changes = [
        (e.payload.get("from"), e.payload.get("to"))
        for e in session.scalars(select(Event).where(Event.kind == "outcome").order_by(Event.id))
    ]
    # Whichever came second saw the first: the timeline is a chain ending at the stored outcome.
    assert changes[-1][1] == request.outcome
    for (_, earlier), (later_from, _) in itertools.pairwise(changes):
        assert later_from == earlier
    asked = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.purpose == "outcome_request")
    assert session.scalar(asked) == 1


@pytest.mark.usefixtures("postgres_only")
@pytest.mark.parametrize("round_", range(3))
def test_two_calls_routed_at_the_same_instant_never_ring_the_same_phone(
    app: Flask, session: Session, clock: FrozenClock, round_: int
) -> None:
    territory = factories.territory(session, clock())
    factories.volunteer(session, territory, clock())
    factories.volunteer(session, territory, clock())
    patients = [call(app, from_=f"+3361111111{n}") for n in range(2)]
    for patient in patients:
        patient.start()
        patient.press("2")
    posts = []
    for patient in patients:
        params = {
            "CallSid": patient.call_sid,
            "From": patient.from_,
            "To": factories.LINE_NUMBER,
            "CallStatus": "in-progress",
            "Digits": "75020",
        }
        posts.append(lambda params=params: _post(app, "/twilio/voice/postcode?attempt=1", params))
    _at_once(*posts)
    session.expire_all()
    rung = [a.volunteer_id for a in session.scalars(select(Attempt).order_by(Attempt.id))]
    assert len(rung) == 2 and len(set(rung)) == 2


@pytest.mark.usefixtures("postgres_only")
@pytest.mark.parametrize("round_", range(3))
def test_a_volunteer_passing_a_call_back_racing_its_status_offers_it_to_one_other_volunteer(
    app: Flask, session: Session, clock: FrozenClock, round_: int
) -> None:
    territory = factories.territory(session, clock())
    for _ in range(3):
        factories.volunteer(session, territory, clock())
    request = Request(
        territory_id=territory.id,
        reference=f"P20-2026-{round_ + 1:06d}",
        call_sid=f"CB{round_:032d}",
        caller="+33611223344",
        caller_is_mobile=True,
        status="callback_pending",
        motive="orientation",
        created_at=clock(),
        updated_at=clock(),
        callback_requested_at=clock(),
    )
    session.add(request)
    session.commit()
    offer = callbacks.offer_next(session, request, clock(), PUBLIC_BASE_URL, live=False)
    assert offer is not None
    session.commit()
    leg = {"CallSid": "CA" + "9" * 32, "AccountSid": "AC" + "0" * 32}
    attempt = offer.attempt.id
    _at_once(
        lambda: _post(app, f"/twilio/callback/answer?attempt={attempt}", {**leg, "Digits": "2"}),
        lambda: _post(app, f"/twilio/callback/status?attempt={attempt}", {**leg, "CallStatus": "completed"}),
    )
    session.expire_all()
    offered = session.scalars(select(Attempt.volunteer_id).where(Attempt.request_id == request.id)).all()
    # The first volunteer passed once (by key or by hanging up), and the request went to one other volunteer.
    assert len(offered) == 2 and len(set(offered)) == 2


def _screened(app: Flask, session: Session) -> tuple[VoiceCall, int, dict[str, str]]:
    """A patient's call ringing a volunteer whose leg hears the screening; the answer's path and params."""
    patient = call_to_postcode(app)
    patient.leg_answer()
    attempt_id = session.scalar(select(Attempt.id))
    assert attempt_id is not None
    leg = {"CallSid": "CA" + "e" * 32, "From": factories.LINE_NUMBER, "To": "+33600000001", "Digits": "1"}
    return patient, attempt_id, leg


@pytest.mark.usefixtures("postgres_only")
@pytest.mark.parametrize("round_", range(3))
def test_the_same_screening_answer_twice_at_once_connects_the_volunteer_once(
    app: Flask, session: Session, clock: FrozenClock, round_: int
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    _, attempt_id, leg = _screened(app, session)
    path = f"/twilio/voice/screen/answer?attempt={attempt_id}"
    first, second = _at_once(lambda: _post(app, path, leg), lambda: _post(app, path, leg))
    assert first == second and first[0] == 200  # type: ignore[index]
    assert "mis en relation" in first[1].decode()  # type: ignore[index]
    session.expire_all()
    request = session.scalars(select(Request)).one()
    assert (request.status, request.volunteer_id) == ("connected", volunteer.id)
    kinds = list(session.scalars(select(Event.kind).where(Event.kind.in_(["attempt.accepted", "status"]))))
    assert kinds.count("attempt.accepted") == 1
    assert session.scalar(select(Volunteer.on_call_request_id).where(Volunteer.id == volunteer.id)) == request.id


@pytest.mark.usefixtures("postgres_only")
@pytest.mark.parametrize("round_", range(3))
def test_a_volunteer_pressing_1_as_the_patient_hangs_up_is_never_left_on_a_call(
    app: Flask, session: Session, clock: FrozenClock, round_: int
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    patient, attempt_id, leg = _screened(app, session)
    hangup = {"CallSid": patient.call_sid, "From": "+33611223344", "To": factories.LINE_NUMBER}
    hangup |= {"CallStatus": "completed", "CallDuration": "40"}
    answered, ended = _at_once(
        lambda: _post(app, f"/twilio/voice/screen/answer?attempt={attempt_id}", leg),
        lambda: _post(app, "/twilio/status", hangup),
    )
    assert answered[0] == ended[0] == 200  # type: ignore[index]
    session.expire_all()
    assert session.scalar(select(Volunteer.on_call_request_id).where(Volunteer.id == volunteer.id)) is None
    assert session.scalar(select(Attempt.result).where(Attempt.id == attempt_id)) is not None
    # Connected (and over) when the key came first, abandoned when the hang-up did: never still in the hunt.
    assert session.scalars(select(Request.status)).one() in ("connected", "abandoned")
