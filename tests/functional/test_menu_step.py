"""The motive menu's answer in Core statements: what is written, what the caller hears, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import Event, Request, Territory
from tests import factories
from tests.conftest import PUBLIC_BASE_URL
from tests.functional.call_records import the_request, timeline
from tests.functional.twilio_client import VoiceCall, call, said, transport
from tests.sql_statements import statements_sent

MENU_URL = f"{PUBLIC_BASE_URL}/twilio/voice/menu"


def _menu_params(patient: VoiceCall) -> dict[str, str]:
    """The parameters of the call's last post to the menu, as Twilio sent them."""
    return dict(next(x for x in reversed(patient.exchanges) if x.url.startswith(MENU_URL)).params)


def test_a_silence_then_a_key_counts_one_miss_and_records_the_motive(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    factories.territory(session, clock())
    patient = call(app)
    patient.start()
    patient.silence()
    patient.press("2")
    request = the_request(session)
    assert (request.motive, request.menu_misses, request.status) == ("visite_domicile", 1, "in_menu")
    assert request.updated_at == clock()
    assert timeline(session, request.id)[-2:] == [
        ("menu.not_understood", {}),
        ("menu.motive", {"motive": "visite_domicile", "defaulted": False}),
    ]
    assert "visite à domicile" in said(patient)


def test_two_silences_count_two_misses_and_default_to_orientation_in_one_update(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    factories.territory(session, clock())
    patient = call(app)
    patient.start()
    patient.silence()
    with statements_sent(app.extensions["orientation"].engine) as statements:
        patient.silence()
    # The second miss and the default motive: one UPDATE of the request, not one for each.
    assert len([s for s in statements if s.startswith("UPDATE requests")]) == 1, statements
    request = the_request(session)
    assert (request.motive, request.menu_misses) == ("orientation", 2)
    assert timeline(session, request.id)[-3:] == [
        ("menu.not_understood", {}),
        ("menu.not_understood", {}),
        ("menu.motive", {"motive": "orientation", "defaulted": True}),
    ]
    assert "demande d'orientation" in said(patient)


def test_a_star_repeats_the_menu_and_writes_nothing(app: Flask, session: Session, clock: FrozenClock) -> None:
    factories.territory(session, clock())
    patient = call(app)
    patient.start()
    before = the_request(session)
    events_before = timeline(session, before.id)
    patient.press("*")
    request = the_request(session)
    assert (request.motive, request.menu_misses, request.updated_at) == (None, 0, before.updated_at)
    assert timeline(session, request.id) == events_before
    assert patient.state == "gather"


def test_a_key_pressed_again_once_the_motive_is_chosen_keeps_the_first_motive(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    factories.territory(session, clock())
    patient = call(app)
    patient.start()
    patient.press("2")
    chosen_at = clock()
    clock.advance(seconds=5)
    again = {**_menu_params(patient), "Digits": "3"}
    status, body = transport(app).post(f"{MENU_URL}?attempt=1", again)
    assert status == 200 and "<Gather" in body
    request = the_request(session)
    assert (request.motive, request.menu_misses, request.updated_at) == ("visite_domicile", 0, chosen_at)
    assert [kind for kind, _ in timeline(session, request.id)].count("menu.motive") == 1


def test_a_menu_answer_whose_first_webhook_was_lost_opens_the_request_and_records_the_motive(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    factories.territory(session, clock())
    params = {
        "CallSid": "CA" + "7" * 32,
        "AccountSid": "AC" + "1" * 32,
        "From": factories.CALLER,
        "To": factories.LINE_NUMBER,
        "CallStatus": "in-progress",
        "Direction": "inbound",
        "Digits": "2",
    }
    status, body = transport(app).post(f"{MENU_URL}?attempt=1", params)
    assert status == 200 and "code postal" in body
    request = the_request(session)
    assert (request.call_sid, request.caller) == (params["CallSid"], factories.CALLER)
    assert request.motive == "visite_domicile"
    assert request.status == "received" and request.reference.startswith("P20-")
    assert [kind for kind, _ in timeline(session, request.id)] == ["call.received", "menu.motive"]
    callback = session.scalars(select(Event).where(Event.kind == "voice.menu")).one()
    assert callback.request_id == request.id


def test_a_menu_answer_to_a_number_that_is_no_line_opens_nothing(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    factories.territory(session, clock())
    params = {"CallSid": "CA" + "8" * 32, "From": factories.CALLER, "To": "+33199000999", "Digits": "2"}
    status, body = transport(app).post(f"{MENU_URL}?attempt=1", params)
    assert status == 200 and "<Hangup" in body and "15" in body
    session.expire_all()
    assert session.scalars(select(Request)).first() is None


def test_the_menu_speaks_the_territory_s_own_wording(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    stored = session.get_one(Territory, territory.id)
    stored.settings = {**(stored.settings or {}), "prompts": {"postcode": "Votre code postal, s'il vous plaît."}}
    session.commit()
    patient = call(app)
    patient.start()
    patient.press("2")
    assert "Votre code postal, s'il vous plaît." in said(patient)


def _waiting_for_a_lock(engine: Engine, holder_pid: int) -> int:
    with engine.connect() as connection:
        waiting = connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> :holder"
            ),
            {"holder": holder_pid},
        ).scalar_one()
    return int(waiting)


def test_two_keys_of_one_call_at_once_record_one_motive(
    app: Flask, engine: Engine, session: Session, clock: FrozenClock, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("row locks are PostgreSQL's; SQLite serializes writers anyway")
    factories.territory(session, clock())
    patient = call(app)
    patient.start()
    request_id = the_request(session).id
    session.rollback()
    # Another unit of work holds the request's row: both menu answers must wait for it to read the motive.
    holder = engine.connect()
    holder_pid = holder.execute(text("SELECT pg_backend_pid()")).scalar_one()
    holder.execute(text("SELECT id FROM requests WHERE id = :id FOR UPDATE"), {"id": request_id})
    base = {
        "CallSid": patient.call_sid,
        "AccountSid": "AC" + "1" * 32,
        "From": factories.CALLER,
        "To": factories.LINE_NUMBER,
        "CallStatus": "in-progress",
    }
    answers: dict[str, tuple[int, str]] = {}

    def press(key: str) -> None:
        answers[key] = transport(app).post(f"{MENU_URL}?attempt=1", {**base, "Digits": key})

    threads = [threading.Thread(target=press, args=(key,)) for key in ("2", "3")]
    for thread in threads:
        thread.start()
    # Let the row go only once both answers wait for a lock (a bounded poll, no sleep).
    for _ in range(10_000):
        if _waiting_for_a_lock(engine, holder_pid) >= 2:
            break
    else:
        pytest.fail("the menu answers never waited for the request's row")
    holder.commit()
    holder.close()
    for thread in threads:
        thread.join(timeout=60)

    assert [status for status, _ in answers.values()] == [200, 200]
    request = the_request(session)
    assert request.motive in ("visite_domicile", "soins_non_programmes")
    assert [kind for kind, _ in timeline(session, request.id)].count("menu.motive") == 1
