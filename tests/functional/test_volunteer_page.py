"""A volunteer's private page by a signed link sent with their reminders: shifts, pause, calendar (no login)."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from orientation.core.clock import FrozenClock
from orientation.core.config import Config
from orientation.core.models import AuditEntry, OutboxMessage
from orientation.services.volunteer_controls import PAGE_LINK_LIFETIME, page_link, page_token
from orientation.services.volunteer_reminders import send_shift_reminders
from tests import factories
from tests.conftest import PUBLIC_BASE_URL
from volunteers.models import Shift, Volunteer

COORDINATOR = "+33698765432"
_NONCE = re.compile(r'name="nonce" value="([^"]+)"')
_PAGE = re.compile(re.escape(PUBLIC_BASE_URL) + r"(/benevole\?t=[A-Za-z0-9_.\-]+)")


def _link(config: Config, volunteer: Volunteer, clock: FrozenClock) -> str:
    return page_link("", config.secret_key, volunteer.id, clock())


def _text(page: TestResponse) -> str:
    return html.unescape(page.get_data(as_text=True))


def _nonce(page: TestResponse) -> str:
    found = _NONCE.search(page.get_data(as_text=True))
    assert found is not None
    return found.group(1)


def _press(client: FlaskClient, link: str, action: str) -> TestResponse:
    page = client.get(link)
    assert page.status_code == 200
    return client.post(link, data={"nonce": _nonce(page), "action": action})


def _fresh(session: Session, volunteer: Volunteer) -> Volunteer:
    session.expire_all()
    found = session.get(Volunteer, volunteer.id)
    assert found is not None
    return found


def test_the_shift_reminder_carries_the_link_to_the_volunteers_page(
    engine: Engine, session: Session, config: Config, clock: FrozenClock, app: Flask
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock(), on_shift=False)
    start = clock() + timedelta(minutes=50)
    session.add(Shift(volunteer_id=volunteer.id, starts_at=start, ends_at=start + timedelta(hours=3),
                      motives=[], created_at=clock()))  # fmt: skip
    session.commit()
    rt = factories.runtime(config, engine, clock)
    assert send_shift_reminders(rt, clock()) == 1
    session.expire_all()
    body = session.scalars(select(OutboxMessage.body).where(OutboxMessage.purpose == "rota_shift")).one() or ""
    found = _PAGE.search(body)
    assert found is not None, body
    page = app.test_client().get(found.group(1))
    assert page.status_code == 200 and "Vos permanences" in page.get_data(as_text=True)


def test_the_page_shows_next_shifts_the_calendar_link_and_is_kept_private(
    app: Flask, session: Session, config: Config, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock(), on_shift=False)
    tomorrow = clock() + timedelta(days=1)
    session.add(Shift(volunteer_id=volunteer.id, starts_at=tomorrow, ends_at=tomorrow + timedelta(hours=4),
                      motives=[], created_at=clock()))  # fmt: skip
    session.commit()
    link = _link(config, volunteer, clock)
    assert link.startswith("/benevole?t=")  # the token is not in the path access logs keep
    page = app.test_client().get(link)
    shown = _text(page)
    assert page.status_code == 200 and '<html lang="fr">' in shown
    assert "mer. 25/11 10:00–14:00" in shown
    assert f"/ical/{volunteer.ical_secret}.ics" in shown and "webcal://" in shown
    assert "Suspendre mes appels" in shown
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_pause_now_is_bounded_by_the_shift_tells_the_coordinator_and_is_audited(
    app: Flask, session: Session, config: Config, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock(), coordinator_phone=COORDINATOR)
    volunteer = factories.volunteer(session, territory, clock())
    link = _link(config, volunteer, clock)
    client = app.test_client()
    done = _press(client, link, "pause")
    assert done.status_code == 200 and "suspendus jusqu'à" in _text(done)
    assert "Je suis disponible à nouveau" in _text(done)
    paused = _fresh(session, volunteer)
    assert paused.paused and paused.paused_until == clock() + timedelta(hours=6)
    alerts = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "pause_alert")).all()
    assert [(a.to_number, "sur sa page" in (a.body or "")) for a in alerts] == [(COORDINATOR, True)]
    back = _press(client, link, "available")
    assert "à nouveau" in _text(back) and not _fresh(session, volunteer).paused
    session.expire_all()
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.actor, e.action, e.details["via"]) for e in entries] == [
        (f"volunteer:{volunteer.id}", "pause", "page"),
        (f"volunteer:{volunteer.id}", "available", "page"),
    ]


def test_a_volunteer_without_shifts_is_told_there_is_nothing_to_pause(
    app: Flask, session: Session, config: Config, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock(), on_shift=False)
    done = _press(app.test_client(), _link(config, volunteer, clock), "pause")
    assert "rien à suspendre" in _text(done)
    assert not _fresh(session, volunteer).paused


def test_a_post_without_the_pages_nonce_or_an_unknown_action_changes_nothing(
    app: Flask, session: Session, config: Config, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    other = factories.volunteer(session, territory, clock())
    link = _link(config, volunteer, clock)
    client = app.test_client()
    # A cross-site form cannot know the nonce; one from another volunteer's page does not fit this link.
    assert client.post(link, data={"action": "pause"}).status_code == 400
    borrowed = _nonce(client.get(_link(config, other, clock)))
    assert client.post(link, data={"action": "pause", "nonce": borrowed}).status_code == 400
    odd = client.post(link, data={"action": "vacances", "nonce": _nonce(client.get(link))})
    assert odd.status_code == 422 and "Choisissez" in _text(odd)
    assert not _fresh(session, volunteer).paused


def test_altered_expired_or_deactivated_links_are_refused_in_french(
    app: Flask, session: Session, config: Config, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    link = _link(config, volunteer, clock)
    client = app.test_client()
    assert client.get(link[:-1] + ("A" if link[-1] != "A" else "B")).status_code == 404
    assert client.get("/benevole").status_code == 404
    foreign = page_token("another-secret", volunteer.id, clock())
    assert client.get(f"/benevole?t={foreign}").status_code == 404
    page = client.get(link)
    clock.advance(seconds=PAGE_LINK_LIFETIME.total_seconds() + 1)
    expired = client.get(link)
    assert expired.status_code == 410 and "expiré" in _text(expired)
    fresh = _link(config, volunteer, clock)
    gone = _fresh(session, volunteer)
    gone.active = False
    session.commit()
    assert client.get(fresh).status_code == 403
    assert client.post(link, data={"action": "pause", "nonce": _nonce(page)}).status_code == 410
    assert not _fresh(session, volunteer).paused
