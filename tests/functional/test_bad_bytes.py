"""Bad bytes are a 4xx, never a 500, on SQLite and PostgreSQL; API answers are not cached, and a request of
another territory costs what an unknown one does (nothing about it is loaded)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from icalendar import Calendar
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import Request
from orientation.web.console.auth import _safe_next
from orientation.web.edge import API_MESSAGE, refused_field
from tests import factories
from tests.functional.api_client import anonymous, api, other_territory
from tests.functional.console_client import PASSWORD, account, coordinator, csrf_token
from tests.functional.test_console_pages import make_request
from tests.sql_statements import statements_sent
from volunteers.models import Volunteer

FRENCH = "caractères de contrôle"


def _refused_in_french(response: object) -> None:
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert FRENCH in response.get_data(as_text=True)  # type: ignore[attr-defined]


def test_a_nul_in_the_login_email_is_a_400_in_french_and_logs_nobody_in(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    account(session, clock())
    client = app.test_client()
    token = csrf_token(client)

    form = {"email": "coord@example.org\x00", "password": PASSWORD, "csrf_token": token}
    response = client.post("/connexion", data=form)

    _refused_in_french(response)
    assert client.get("/").status_code == 302  # still asked to log in


def test_a_crlf_in_next_is_refused_and_never_reaches_the_location_header(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    account(session, clock())
    client = app.test_client()
    token = csrf_token(client)

    response = client.post(
        "/connexion?next=/t/1%0D%0ASet-Cookie:%20x=y",
        data={"email": "coord@example.org", "password": PASSWORD, "csrf_token": token},
    )

    _refused_in_french(response)
    assert "Set-Cookie" not in str(response.headers.get("Location"))
    assert _safe_next("/t/1\r\nSet-Cookie: x=y") is None and _safe_next("/t/1\t") is None
    assert _safe_next("/t/1/demandes?cp=75020") == "/t/1/demandes?cp=75020"


def test_nul_bytes_in_console_urls_queries_and_forms_are_400_and_change_nothing(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client = coordinator(app, session, clock)
    token = csrf_token(client, f"/t/{territory.id}/benevoles/nouveau")

    _refused_in_french(client.get(f"/t/{territory.id}/demandes/P20-2026-000001%00"))
    _refused_in_french(client.get(f"/t/{territory.id}/demandes?cp=750%0020"))
    _refused_in_french(client.get(f"/t/{territory.id}/annuaire?q=%01"))
    created = client.post(
        f"/t/{territory.id}/benevoles/nouveau",
        data={"name": "Dr\x00 Nul", "phone": "06 12 34 56 78", "profession": "medecin", "csrf_token": token},
    )

    _refused_in_french(created)
    assert session.scalar(select(func.count(Volunteer.id))) == 0


def test_a_nul_in_an_ical_secret_is_a_400(app: Flask, session: Session, clock: FrozenClock) -> None:
    _refused_in_french(app.test_client().get("/ical/abc%00def.ics"))


def test_a_deactivated_volunteers_feed_is_gone_and_a_name_with_a_newline_is_escaped(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    named = factories.volunteer(session, territory, clock(), name="Dr Anne\r\nBEGIN:VEVENT;Martin, fils")
    gone = factories.volunteer(session, territory, clock())
    gone.active = False
    session.commit()
    client = app.test_client()

    response = client.get(f"/ical/{named.ical_secret}.ics")

    assert response.status_code == 200
    lines = response.data.split(b"\r\n")
    assert b"BEGIN:VEVENT;Martin" not in b"\n".join(lines)  # never a line of its own
    assert lines.count(b"BEGIN:VEVENT") == len(Calendar.from_ical(response.data).walk("VEVENT"))
    assert any(b"Dr Anne\\nBEGIN:VEVENT\\;Martin\\, fils" in line for line in lines)
    assert client.get(f"/ical/{gone.ical_secret}.ics").status_code == 404


def test_the_api_refuses_control_characters_with_a_422_naming_the_field_and_accepts_multi_line_notes(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    request = make_request(session, territory, clock() - timedelta(hours=1), motive="orientation")
    client = api(app, session, clock())

    bad_name = client.post(
        "/volunteers",
        {"territory_id": territory.id, "name": "Dr\x01X", "phone": "0612345678", "profession": "medecin",
         "motives": ["orientation"], "languages": ["fr"]},
    )  # fmt: skip
    bad_query = client.get("/requests", {"motive": "orientation\x00"})
    note = client.patch(f"/requests/{request.reference}", {"note": "Rappeler\r\nsa fille\tle soir"})

    assert (bad_name.status_code, bad_name.get_json()) == (422, {"errors": {"name": API_MESSAGE}})
    assert (bad_query.status_code, bad_query.get_json()) == (422, {"errors": {"motive": API_MESSAGE}})
    assert note.status_code == 200
    session.expire_all()
    assert session.get(Request, request.id).outcome_note == "Rappeler\r\nsa fille\tle soir"  # type: ignore[union-attr]


def test_every_api_answer_says_no_store(app: Flask, session: Session, clock: FrozenClock) -> None:
    factories.territory(session, clock())
    client = api(app, session, clock())

    for response in (
        client.get("/requests"),
        client.get("/requests/P20-2026-999999"),
        client.get("/requests", {"motive": "nope"}),
        client.get("/nowhere"),
        anonymous(app).get("/requests"),
    ):
        assert response.headers["Cache-Control"] == "no-store", response.status_code


def test_another_territorys_reference_is_answered_like_an_unknown_one_without_loading_its_timeline(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    mine = factories.territory(session, clock())
    theirs = other_territory(session, clock())
    hidden = make_request(session, theirs, clock() - timedelta(hours=1), reference="L8-2026-000001")
    client = api(app, session, clock(), territory_id=mine.id)
    client.get("/requests/P20-2026-999999")  # warm up: the token lookup's first statements are cached alike

    with statements_sent(app.extensions["orientation"].engine) as unknown:
        first = client.get("/requests/P20-2026-999999")
    with statements_sent(app.extensions["orientation"].engine) as elsewhere:
        second = client.get(f"/requests/{hidden.reference}")

    assert first.status_code == second.status_code == 404
    assert first.get_json() == second.get_json()
    assert len(elsewhere) == len(unknown)
    assert not any("FROM events" in s or "FROM attempts" in s for s in elsewhere)


@pytest.mark.parametrize(
    ("path", "args", "form", "body", "field"),
    [
        ("/t/1", [], [], None, None),
        ("/t/1\x00", [], [], None, "path"),
        ("/t/1", [("q", "a\nb")], [], None, "q"),
        ("/t/1", [("q", "Dupont\t")], [], None, None),
        ("/t/1", [("q\x7f", "a")], [], None, "q\x7f"),
        ("/t/1", [], [("note", "a\r\nb\tc")], None, None),
        ("/t/1", [], [("note", "a\x0bb")], None, "note"),
        ("/api/v1/x", [], [], {"a": [{"b": "ok"}, {"c": "\x1b[31m"}]}, "a.1.c"),
        ("/api/v1/x", [], [], {"note": "line\nline"}, None),
    ],
)
def test_which_input_holds_a_forbidden_control_character(
    path: str, args: list[tuple[str, str]], form: list[tuple[str, str]], body: object, field: str | None
) -> None:
    assert refused_field(path, args, form, body) == field
