"""The crisis-mode form of the territory settings page: switch, offers, announcement, wait limit (issue 19)."""

from __future__ import annotations

import html

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import AuditEntry, Territory
from orientation.web.console.models import User
from tests import factories
from tests.functional.console_client import account, login, post


def coordinator(app: Flask, session: Session, clock: FrozenClock) -> tuple[Territory, FlaskClient, str]:
    territory = factories.territory(session, clock())
    account(session, clock(), territory_id=territory.id)
    return territory, login(app, "coord@example.org"), f"/t/{territory.id}/parametres"


def stored(session: Session, territory: Territory) -> Territory:
    session.expire_all()
    found = session.get(Territory, territory.id)
    assert found is not None
    return found


def test_the_coordinator_switches_crisis_mode_on_with_offers_announcement_and_wait_limit(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client, page = coordinator(app, session, clock)
    form = {
        "crisis_enabled": "on",
        "crisis_offers": "4",
        "crisis_announcement": "Forte affluence :\r\nrestez en ligne.",
        "queue_wait_limit_seconds": "420",
    }

    status, _, location = post(client, f"{page}/crise", form, page)

    assert status == 302 and location.endswith(f"{page}#crise")
    after = stored(session, territory)
    assert after.crisis_enabled is True
    assert after.crisis_offers == 4
    assert after.crisis_announcement == "Forte affluence : restez en ligne."
    assert after.queue_wait_limit_seconds == 420
    shown = html.unescape(client.get(page).get_data(as_text=True))
    assert "Mode crise activé ; réglages de la file d'attente enregistrés." in shown
    assert 'name="crisis_enabled" value="on" checked' in shown
    assert "Forte affluence : restez en ligne.</textarea>" in shown
    entry = session.scalars(select(AuditEntry)).one()
    user_id = session.scalars(select(User.id)).one()
    assert (entry.action, entry.actor, entry.details["via"]) == ("settings", f"user:{user_id}", "console")
    assert entry.details["crisis"] == {"enabled": True, "offers": 4, "announcement": True}


def test_an_unticked_switch_turns_crisis_mode_off_and_an_empty_announcement_clears_it(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client, page = coordinator(app, session, clock)
    post(
        client,
        f"{page}/crise",
        {
            "crisis_enabled": "on",
            "crisis_offers": "3",
            "crisis_announcement": "Hello",
            "queue_wait_limit_seconds": "300",
        },
        page,
    )

    status, _, _ = post(
        client,
        f"{page}/crise",
        {"crisis_offers": "3", "crisis_announcement": "  ", "queue_wait_limit_seconds": "300"},
        page,
    )

    assert status == 302
    after = stored(session, territory)
    assert after.crisis_enabled is False
    assert after.crisis_announcement is None


def test_bad_values_are_refused_in_french_next_to_each_field_keeping_what_was_typed_and_changing_nothing(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client, page = coordinator(app, session, clock)
    form = {
        "crisis_enabled": "on",
        "crisis_offers": "12",
        "crisis_announcement": "a" * 501,
        "queue_wait_limit_seconds": "cinq minutes",
    }

    status, body, _ = post(client, f"{page}/crise", form, page)

    assert status == 422
    text = html.unescape(body)
    assert "Un nombre entier de 1 à 10 bénévoles." in text
    assert "L'annonce tient en 500 caractères au plus." in text
    assert "Un nombre entier de secondes, de 60 à 1800 (1 à 30 minutes)." in text
    assert 'value="cinq minutes"' in text and 'value="12"' in text
    assert 'id="err-crisis_offers"' in body and 'aria-describedby="err-crisis_offers"' in body
    after = stored(session, territory)
    assert (after.crisis_enabled, after.crisis_offers, after.queue_wait_limit_seconds) == (False, 3, 300)
    assert session.scalars(select(AuditEntry)).first() is None


def test_an_empty_offers_field_is_refused_rather_than_taken_as_a_default(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    _, client, page = coordinator(app, session, clock)

    status, body, _ = post(
        client, f"{page}/crise", {"crisis_offers": "", "crisis_announcement": "", "queue_wait_limit_seconds": ""}, page
    )

    assert status == 422
    assert 'id="err-crisis_offers"' in body and 'id="err-queue_wait_limit_seconds"' in body


def test_a_coordinator_cannot_change_another_territorys_crisis_mode(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    _, client, page = coordinator(app, session, clock)
    other = factories.territory(session, clock(), name="CPTS Lyon 8", phone_numbers=["+33199000002"])

    status, _, _ = post(
        client,
        f"/t/{other.id}/parametres/crise",
        {"crisis_enabled": "on", "crisis_offers": "3", "queue_wait_limit_seconds": "300"},
        page,
    )

    assert status == 404
    assert stored(session, other).crisis_enabled is False


def test_the_coordinator_opts_in_to_calling_back_callers_who_hung_up_in_line_and_can_opt_out(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory, client, page = coordinator(app, session, clock)
    form = {"crisis_offers": "3", "crisis_announcement": "", "queue_wait_limit_seconds": "300"}

    post(client, f"{page}/crise", {**form, "callback_after_hang_up": "on"}, page)

    assert stored(session, territory).settings["callback_after_hang_up"] is True
    assert 'name="callback_after_hang_up" value="on" checked' in client.get(page).get_data(as_text=True)

    post(client, f"{page}/crise", form, page)

    assert stored(session, territory).settings["callback_after_hang_up"] is False
