"""The outcome form reached from the volunteer's SMS: a signed expiring link, no login, the directory searched."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from directory.models import DirectoryEntry
from directory.normalize import fold
from orientation.core.clock import FrozenClock
from orientation.core.models import Event, OutboxMessage, Request, Territory
from orientation.services.outcomes import FORM_LINK_LIFETIME
from tests import factories
from tests.conftest import PUBLIC_BASE_URL
from tests.functional.api_client import api, other_territory
from tests.functional.call_records import the_request
from tests.functional.twilio_client import connected_call, send_sms
from volunteers.models import Volunteer

PATIENT = "+33611223344"
_LINK = re.compile(re.escape(PUBLIC_BASE_URL) + r"(/issue\?t=[A-Za-z0-9_.\-]+)")
_NONCE = re.compile(r'name="nonce" value="([^"]+)"')


def _entry(session: Session, territory: Territory, clock: FrozenClock, name: str, **values: Any) -> DirectoryEntry:
    data: dict[str, Any] = {
        "territory_id": territory.id,
        "source": "manual",
        "kind": "structure",
        "name": name,
        "search_key": fold(f"{name} {values.get('commune', '')}"),
        "category": "other",
        "postcode": "75020",
        "commune": "Paris",
        "created_at": clock(),
        "updated_at": clock(),
        **values,
    }
    entry = DirectoryEntry(**data)
    session.add(entry)
    session.commit()
    return entry


def _link(session: Session, volunteer: Volunteer) -> str:
    """The form's path, read from the last outcome SMS sent to the volunteer."""
    session.expire_all()
    sms = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.purpose == "outcome_request", OutboxMessage.to_number == volunteer.phone)
        .order_by(OutboxMessage.id.desc())
    ).first()
    assert sms is not None and sms.body is not None
    found = _LINK.search(sms.body)
    assert found is not None, sms.body
    return found.group(1)


def _search_url(link: str, query: str) -> str:
    """The directory search of a form link: the same token, on the /issue/annuaire path."""
    return link.replace("/issue?", "/issue/annuaire?") + "&" + urlencode({"q": query})


def _nonce(page: TestResponse) -> str:
    found = _NONCE.search(page.get_data(as_text=True))
    assert found is not None
    return found.group(1)


def _post(client: FlaskClient, link: str, **form: Any) -> TestResponse:
    page = client.get(link)
    assert page.status_code == 200
    return client.post(link, data={"nonce": _nonce(page), **form})


def _setup(app: Flask, session: Session, clock: FrozenClock) -> tuple[Territory, Volunteer, str]:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    connected_call(app, key="2", seconds=120)
    return territory, volunteer, _link(session, volunteer)


def test_the_outcome_sms_carries_a_link_to_a_page_that_names_the_request_without_the_callers_number(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    _, _, link = _setup(app, session, clock)
    sms = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "outcome_request")).one()
    assert "répondez 1 pris en charge" in (sms.body or "") and f"{PUBLIC_BASE_URL}/issue?t=" in (sms.body or "")
    page = app.test_client().get(link)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "P20-2026-000001" in html and "visite à domicile" in html and "75020" in html
    assert "Pris en charge" in html and "Orienté ailleurs" in html and "Sans suite" in html
    assert PATIENT not in html and PATIENT[-8:] not in html
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"


def test_the_form_sets_the_outcome_and_the_structure_and_the_timeline_says_the_volunteer_did_it(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, volunteer, link = _setup(app, session, clock)
    entry = _entry(session, territory, clock, "Maison de santé Belleville")
    clock.advance(minutes=3)
    response = _post(app.test_client(), link, outcome="matched", directory_entry_id=str(entry.id), note="RDV jeudi 9 h")
    assert response.status_code == 200 and "c'est enregistré" in response.get_data(as_text=True)
    saved = the_request(session)
    assert (saved.status, saved.outcome, saved.outcome_entry_id, saved.outcome_note) == (
        "closed",
        "matched",
        entry.id,
        "RDV jeudi 9 h",
    )
    assert saved.closed_at == clock()
    detail = api(app, session, clock()).get(f"/requests/{saved.reference}").get_json()
    by_kind = {e["kind"]: e for e in detail["events"]}
    actor = f"volunteer:{volunteer.id}"
    assert by_kind["outcome"]["actor"] == actor and by_kind["outcome"]["data"] == {"from": None, "to": "matched"}
    assert by_kind["outcome.details"]["actor"] == actor
    assert by_kind["outcome.details"]["data"]["directory_entry_id"] == entry.id
    assert by_kind["outcome.note"]["actor"] == actor and "RDV" not in str(by_kind["outcome.note"]["data"])
    assert by_kind["outcome.form"]["data"]["changed"] == ["outcome", "directory_entry", "note"]


def test_the_structure_can_be_added_after_the_sms_reply_without_a_second_outcome_change(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, volunteer, link = _setup(app, session, clock)
    entry = _entry(session, territory, clock, "Centre médico-social Ménilmontant")
    assert "orienté ailleurs" in send_sms(app, volunteer.phone, "2")
    page = app.test_client().get(link)
    assert 'value="oriented" required\n      checked' in page.get_data(as_text=True)
    _post(app.test_client(), link, outcome="oriented", directory_entry_id=str(entry.id))
    saved = the_request(session)
    assert saved.outcome == "oriented" and saved.outcome_entry_id == entry.id
    outcome_events = session.scalars(select(Event).where(Event.kind == "outcome")).all()
    assert [(e.actor, e.payload["to"]) for e in outcome_events] == [(f"volunteer:{volunteer.id}", "oriented")]


def test_a_correction_through_the_form_keeps_both_outcomes_in_the_timeline(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    _, volunteer, link = _setup(app, session, clock)
    send_sms(app, volunteer.phone, "3")
    clock.advance(hours=1)
    _post(app.test_client(), link, outcome="matched")
    changes = [
        (e.payload["from"], e.payload["to"], e.actor)
        for e in session.scalars(select(Event).where(Event.kind == "outcome").order_by(Event.id))
    ]
    actor = f"volunteer:{volunteer.id}"
    assert changes == [(None, "no_solution", actor), ("no_solution", "matched", actor)]
    assert the_request(session).outcome == "matched"


def test_search_as_you_type_finds_entries_of_the_territory_whatever_the_accents(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, _, link = _setup(app, session, clock)
    wanted = _entry(session, territory, clock, "Maison de santé Belleville")
    _entry(session, territory, clock, "Maison de santé Pyrénées")
    _entry(session, territory, clock, "Maison de santé Belleville (fermée)", gone=True)
    elsewhere = other_territory(session, clock())
    _entry(session, elsewhere, clock, "Maison de santé Belleville Lyon")
    client = app.test_client()
    found = client.get(_search_url(link, "SANTE bellev")).get_json()["items"]
    assert [item["id"] for item in found] == [wanted.id]
    assert found[0]["name"] == "Maison de santé Belleville" and "Paris" in found[0]["where"]
    assert client.get(_search_url(link, "m")).get_json() == {"items": []}
    assert client.get(_search_url(link, "100% _")).get_json() == {"items": []}


def test_the_search_button_without_javascript_lists_answers_and_saves_nothing(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, _, link = _setup(app, session, clock)
    entry = _entry(session, territory, clock, "Pharmacie des Pyrénées")
    response = app.test_client().post(link, data={"search": "1", "q": "pyrenees", "outcome": "oriented", "note": "x"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Pharmacie des Pyrénées" in html and f'value="{entry.id}"' in html
    assert 'value="oriented" required\n      checked' in html
    assert the_request(session).outcome is None
    assert session.scalars(select(Event).where(Event.kind.like("outcome%"))).all() == []


def test_an_expired_link_is_refused_in_french_and_changes_nothing(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    _, _, link = _setup(app, session, clock)
    client = app.test_client()
    page = client.get(link)
    clock.advance(seconds=FORM_LINK_LIFETIME.total_seconds() + 1)
    assert client.get(link).status_code == 410
    late = client.post(link, data={"nonce": _nonce(page), "outcome": "matched"})
    assert late.status_code == 410 and "expiré" in late.get_data(as_text=True)
    assert client.get(_search_url(link, "santé")).status_code == 410
    assert the_request(session).outcome is None


def test_an_altered_link_or_one_signed_with_another_secret_is_unknown(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    _, volunteer, link = _setup(app, session, clock)
    client = app.test_client()
    token = link.rsplit("=", 1)[1]
    altered = link[:-1] + ("A" if link[-1] != "A" else "B")
    assert client.get(altered).status_code == 404
    assert client.post(altered, data={"outcome": "matched"}).status_code == 404
    from orientation.services.outcomes import form_token

    foreign = form_token("another-secret", the_request(session).id, volunteer.id, clock())
    assert foreign != token and client.get(f"/issue?t={foreign}").status_code == 404
    assert the_request(session).outcome is None


def test_a_post_without_a_nonce_from_a_page_of_this_link_is_refused_and_changes_nothing(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    _, volunteer, link = _setup(app, session, clock)
    client = app.test_client()
    assert client.post(link, data={"outcome": "matched"}).status_code == 400
    clock.advance(minutes=10)
    connected_call(app, "+33622222222", key="2", seconds=120)
    other_link = _link(session, volunteer)
    assert other_link != link
    borrowed = _nonce(client.get(other_link))
    assert client.post(link, data={"outcome": "matched", "nonce": borrowed}).status_code == 400
    page = client.get(link)
    clock.advance(days=1)
    assert client.post(link, data={"outcome": "matched", "nonce": _nonce(page)}).status_code == 400
    session.expire_all()
    assert [r.outcome for r in session.scalars(select(Request).order_by(Request.id))] == [None, None]


def test_an_entry_of_another_territory_or_an_outcome_a_volunteer_may_not_give_is_refused(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    _, _, link = _setup(app, session, clock)
    theirs = _entry(session, other_territory(session, clock()), clock, "Centre de santé Lyon")
    client = app.test_client()
    refused = _post(client, link, outcome="matched", directory_entry_id=str(theirs.id))
    assert refused.status_code == 422 and "pas dans l&#39;annuaire" in refused.get_data(as_text=True)
    assert _post(client, link, outcome="unreachable").status_code == 422
    assert _post(client, link, outcome="matched", directory_entry_id="99999999999999").status_code == 422
    assert _post(client, link, outcome="matched", note="x" * 2001).status_code == 422
    saved = the_request(session)
    assert saved.outcome is None and saved.outcome_entry_id is None and saved.outcome_note is None


def test_a_link_stops_working_once_the_request_is_no_longer_the_volunteers(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, _, link = _setup(app, session, clock)
    colleague = factories.volunteer(session, territory, clock())
    request = the_request(session)
    request.volunteer_id = colleague.id
    session.commit()
    refused = app.test_client().get(link)
    assert refused.status_code == 409 and "plus modifiable" in refused.get_data(as_text=True)


def test_the_link_lasts_seven_days() -> None:
    assert timedelta(days=7) == FORM_LINK_LIFETIME


# ---------------------------------------------------------------- the link is the volunteer's (issue 13.5)


def test_an_outcome_the_coordinator_set_is_not_the_links_to_change(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    _, _, link = _setup(app, session, clock)
    client = app.test_client()
    page = client.get(link)
    reference = the_request(session).reference
    assert api(app, session, clock()).patch(f"/requests/{reference}", {"outcome": "no_solution"}).status_code == 200
    refused = client.get(link)
    assert refused.status_code == 409 and "fixée par la coordination" in refused.get_data(as_text=True)
    late = client.post(link, data={"nonce": _nonce(page), "outcome": "matched"})
    assert late.status_code == 409
    assert client.get(_search_url(link, "santé")).status_code == 409
    saved = the_request(session)
    assert saved.outcome == "no_solution" and saved.outcome_by.startswith("token:")


def test_the_coordinators_note_is_neither_shown_nor_changed_through_the_link(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    _, _, link = _setup(app, session, clock)
    reference = the_request(session).reference
    secret = "Patiente suivie par l'assistante sociale"
    assert api(app, session, clock()).patch(f"/requests/{reference}", {"note": secret}).status_code == 200
    client = app.test_client()
    page = client.get(link)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "assistante sociale" not in html and 'name="note"' not in html
    assert "déjà écrit une note" in html
    saved_page = client.post(link, data={"nonce": _nonce(page), "outcome": "matched", "note": "écrasée"})
    assert saved_page.status_code == 200
    saved = the_request(session)
    assert saved.outcome == "matched" and saved.outcome_note == secret


def test_a_volunteers_own_note_comes_back_on_their_page(app: Flask, session: Session, clock: FrozenClock) -> None:
    _, volunteer, link = _setup(app, session, clock)
    _post(app.test_client(), link, outcome="matched", note="RDV jeudi")
    assert the_request(session).outcome_note_by == f"volunteer:{volunteer.id}"
    assert "RDV jeudi" in app.test_client().get(link).get_data(as_text=True)


def test_a_deactivated_volunteers_link_stops_and_changes_nothing(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    _, volunteer, link = _setup(app, session, clock)
    client = app.test_client()
    page = client.get(link)
    gone = session.get(Volunteer, volunteer.id)
    assert gone is not None
    gone.active = False
    session.commit()
    refused = client.get(link)
    assert refused.status_code == 403 and "plus actif" in refused.get_data(as_text=True)
    assert client.post(link, data={"nonce": _nonce(page), "outcome": "matched"}).status_code == 403
    assert the_request(session).outcome is None


def test_pages_shown_and_changes_made_through_the_link_are_audited_as_the_volunteers(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    from orientation.core.models import AuditEntry

    _, volunteer, link = _setup(app, session, clock)
    _post(app.test_client(), link, outcome="oriented", note="vu")
    session.expire_all()
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    actor = f"volunteer:{volunteer.id}"
    reference = the_request(session).reference
    assert [(e.actor, e.action, e.reference, e.details.get("via")) for e in entries] == [
        (actor, "read", reference, "outcome_form"),
        (actor, "outcome", reference, "outcome_form"),
    ]
    assert entries[1].details["fields"] == ["outcome", "note"] and "vu" not in str(entries[1].details)


def test_the_working_token_is_never_in_the_path_and_old_path_links_get_a_clear_page(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    _, _, link = _setup(app, session, clock)
    path, _, query = link.partition("?")
    token = query.removeprefix("t=")
    assert path == "/issue" and token not in path
    client = app.test_client()
    old = client.get(f"/issue/{token}")
    assert old.status_code == 410 and "Répondez au SMS" in old.get_data(as_text=True)
    assert old.headers["Cache-Control"] == "no-store"
    page = client.get(link)
    assert client.post(f"/issue/{token}", data={"nonce": _nonce(page), "outcome": "matched"}).status_code == 410
    assert client.get(f"/issue/{token}/annuaire?q=sante").status_code == 410
    assert the_request(session).outcome is None
    script = client.get("/issue/static/outcome_form.js")
    script.close()
    assert script.status_code == 200  # the form's own script is not taken for an old link
