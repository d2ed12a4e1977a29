"""The crisis settings and the wait limit of a territory through the JSON API (issue 19)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import AuditEntry, Territory
from tests import factories
from tests.functional.api_client import api


def test_a_new_territory_answers_crisis_off_three_offers_no_announcement_and_a_five_minute_limit(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())

    body = api(app, session, clock()).get(f"/territories/{territory.id}").get_json()

    assert body["crisis"] == {"enabled": False, "offers": 3, "announcement": None}
    assert body["queue_wait_limit_seconds"] == 300


def test_a_patch_switches_crisis_mode_on_with_offers_and_an_announcement_and_get_returns_them(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    client = api(app, session, clock())

    response = client.patch(
        f"/territories/{territory.id}",
        {
            "crisis": {"enabled": True, "offers": 5, "announcement": "  Forte affluence :\n merci de patienter. "},
            "queue_wait_limit_seconds": 600,
        },
    )

    assert response.status_code == 200, response.get_json()
    expected = {"enabled": True, "offers": 5, "announcement": "Forte affluence : merci de patienter."}
    assert response.get_json()["crisis"] == expected
    assert response.get_json()["queue_wait_limit_seconds"] == 600
    assert client.get(f"/territories/{territory.id}").get_json()["crisis"] == expected
    session.expire_all()
    stored = session.get(Territory, territory.id)
    assert stored is not None
    assert (stored.crisis_enabled, stored.crisis_offers, stored.queue_wait_limit_seconds) == (True, 5, 600)


def test_a_patch_of_one_crisis_setting_keeps_the_others(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    client = api(app, session, clock())
    client.patch(f"/territories/{territory.id}", {"crisis": {"enabled": True, "offers": 4, "announcement": "Bonjour."}})

    response = client.patch(f"/territories/{territory.id}", {"crisis": {"enabled": False}})

    assert response.get_json()["crisis"] == {"enabled": False, "offers": 4, "announcement": "Bonjour."}
    assert response.get_json()["queue_wait_limit_seconds"] == 300


@pytest.mark.parametrize("announcement", [None, "", "   "])
def test_a_null_or_blank_announcement_clears_it(
    app: Flask, session: Session, clock: FrozenClock, announcement: str | None
) -> None:
    territory = factories.territory(session, clock())
    client = api(app, session, clock())
    client.patch(f"/territories/{territory.id}", {"crisis": {"announcement": "Forte affluence."}})

    response = client.patch(f"/territories/{territory.id}", {"crisis": {"announcement": announcement}})

    assert response.get_json()["crisis"]["announcement"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"crisis": {"offers": 0}}, "crisis.offers"),
        ({"crisis": {"offers": 11}}, "crisis.offers"),
        ({"crisis": {"offers": "trois"}}, "crisis.offers"),
        ({"crisis": {"enabled": "yes"}}, "crisis.enabled"),
        ({"crisis": {"enabled": None}}, "crisis.enabled"),
        ({"crisis": {"announcement": "x" * 501}}, "crisis.announcement"),
        ({"crisis": {"announcement": 12}}, "crisis.announcement"),
        ({"crisis": {"colour": "red"}}, "crisis.colour"),
        ({"crisis": "on"}, "crisis"),
        ({"crisis": None}, "crisis"),
        ({"queue_wait_limit_seconds": 59}, "queue_wait_limit_seconds"),
        ({"queue_wait_limit_seconds": 1801}, "queue_wait_limit_seconds"),
        ({"queue_wait_limit_seconds": None}, "queue_wait_limit_seconds"),
    ],
)
def test_a_bad_crisis_setting_is_a_422_naming_it_and_changes_nothing(
    app: Flask, session: Session, clock: FrozenClock, body: dict[str, Any], field: str
) -> None:
    territory = factories.territory(session, clock())
    client = api(app, session, clock())

    response = client.patch(f"/territories/{territory.id}", {**body, "name": "CPTS Renommée"})

    assert response.status_code == 422
    assert field in response.get_json()["errors"], response.get_json()
    after = client.get(f"/territories/{territory.id}").get_json()
    assert after["name"] == "CPTS Paris 20"
    assert after["crisis"] == {"enabled": False, "offers": 3, "announcement": None}
    assert after["queue_wait_limit_seconds"] == 300


def test_the_bounds_are_inclusive(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    client = api(app, session, clock())

    low = client.patch(f"/territories/{territory.id}", {"crisis": {"offers": 1}, "queue_wait_limit_seconds": 60})
    high = client.patch(
        f"/territories/{territory.id}",
        {"crisis": {"offers": 10, "announcement": "é" * 500}, "queue_wait_limit_seconds": 1800},
    )

    assert low.status_code == 200 and high.status_code == 200
    assert high.get_json()["crisis"]["offers"] == 10
    assert high.get_json()["queue_wait_limit_seconds"] == 1800


def test_a_territory_is_created_with_its_crisis_settings(app: Flask, session: Session, clock: FrozenClock) -> None:
    body = {
        "name": "CPTS Crise",
        "phone_numbers": ["0199000003"],
        "crisis": {"enabled": True, "offers": 2},
        "queue_wait_limit_seconds": 120,
    }

    response = api(app, session, clock()).post("/territories", body)

    assert response.status_code == 201
    assert response.get_json()["crisis"] == {"enabled": True, "offers": 2, "announcement": None}
    assert response.get_json()["queue_wait_limit_seconds"] == 120


def test_a_crisis_change_is_in_the_audit_log_with_who_and_what_but_not_the_words(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())

    api(app, session, clock()).patch(
        f"/territories/{territory.id}", {"crisis": {"enabled": True, "announcement": "Forte affluence."}}
    )

    entry = session.scalars(select(AuditEntry)).one()
    assert entry.action == "settings"
    assert entry.territory_id == territory.id
    assert entry.actor.startswith("token:coordination")
    assert entry.at == clock()
    assert entry.details == {
        "via": "api",
        "fields": ["crisis"],
        "crisis": {"enabled": True, "offers": 3, "announcement": True},
        "queue_wait_limit_seconds": 300,
        "callback_after_hang_up": False,
    }


def test_the_openapi_document_describes_the_crisis_settings_and_their_bounds(app: Flask) -> None:
    schemas = app.test_client().get("/api/v1/openapi.json").get_json()["components"]["schemas"]

    offers = schemas["CrisisIn"]["properties"]["offers"]
    assert (offers["minimum"], offers["maximum"]) == (1, 10)
    limit = schemas["TerritoryPatch"]["properties"]["queue_wait_limit_seconds"]
    assert (limit["minimum"], limit["maximum"]) == (60, 1800)
    assert "crisis" in schemas["Territory"]["properties"]


def test_the_call_back_after_a_hang_up_in_line_is_off_by_default_and_a_patch_opts_in(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    client = api(app, session, clock())
    assert client.get(f"/territories/{territory.id}").get_json()["callback_after_hang_up"] is False

    response = client.patch(f"/territories/{territory.id}", {"callback_after_hang_up": True})

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["callback_after_hang_up"] is True
    session.expire_all()
    stored = session.get(Territory, territory.id)
    assert stored is not None and stored.settings["callback_after_hang_up"] is True
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None and entry.details["callback_after_hang_up"] is True
    for bad in (None, "yes", 1):
        refused = client.patch(f"/territories/{territory.id}", {"callback_after_hang_up": bad})
        assert refused.status_code == 422 and "callback_after_hang_up" in refused.get_json()["errors"]
