"""The JSON API's volunteers and their one-off shifts: French phones in, E.164 out, bad input named."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import Territory
from tests import factories
from tests.functional.api_client import ApiClient, api, other_territory
from volunteers.models import Shift, Volunteer


def _body(territory: Territory, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "territory_id": territory.id,
        "name": "Dr Awa Diallo",
        "phone": "06 12 34 56 78",
        "profession": "medecin",
        "motives": ["medecin_traitant", "visite_domicile"],
        "languages": ["fr", "en"],
    }
    body.update(overrides)
    return body


def _setup(app: Flask, session: Session, clock: FrozenClock) -> tuple[ApiClient, Territory]:
    territory = factories.territory(session, clock())
    return api(app, session, clock()), territory


@pytest.mark.parametrize(
    "phone",
    ["06 12 34 56 78", "0612345678", "06.12.34.56.78", "+33612345678", "+33 6 12 34 56 78", "0033 6 12 34 56 78"],
)
def test_a_volunteer_phone_in_any_french_format_is_answered_in_e164(
    app: Flask, session: Session, clock: FrozenClock, phone: str
) -> None:
    client, territory = _setup(app, session, clock)

    response = client.post("/volunteers", _body(territory, phone=phone))

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert isinstance(body["id"], int)
    assert body["phone"] == "+33612345678"
    assert body["territory_id"] == territory.id
    assert body["profession"] == "medecin"
    assert body["motives"] == ["medecin_traitant", "visite_domicile"]
    assert body["languages"] == ["fr", "en"]
    assert session.get(Volunteer, body["id"]).phone == "+33612345678"  # type: ignore[union-attr]


@pytest.mark.parametrize("phone", ["06 12 34", "not a phone", "+1 555", "06 12 34 56 78 90 12", "   "])
def test_an_invalid_phone_is_a_422_naming_phone(app: Flask, session: Session, clock: FrozenClock, phone: str) -> None:
    client, territory = _setup(app, session, clock)

    response = client.post("/volunteers", _body(territory, phone=phone))

    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"phone"}
    assert session.scalars(select(Volunteer)).first() is None


def test_a_second_volunteer_with_the_same_phone_in_the_territory_is_a_422(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    client, territory = _setup(app, session, clock)
    assert client.post("/volunteers", _body(territory)).status_code == 201

    response = client.post("/volunteers", _body(territory, name="Homonyme", phone="+33612345678"))

    assert response.status_code == 422
    assert "phone" in response.get_json()["errors"]


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("profession", "chaman", "chaman"),
        ("motives", ["medecin_traitant", "astrologie"], "astrologie"),
        ("motives", [], None),
        ("languages", ["français"], "français"),
        ("territory_id", 999, None),
        ("territory_id", "Paris", None),
        ("territory_id", 2**40, None),
        ("name", "x" * 100_000, None),
        ("phone", "0" * 100_000, None),
        ("profession", "m" * 100_000, None),
        ("directory_entry_id", 10**30, None),
    ],
)
def test_a_bad_volunteer_field_is_a_422_naming_it(
    app: Flask, session: Session, clock: FrozenClock, field: str, value: Any, named: str | None
) -> None:
    client, territory = _setup(app, session, clock)

    response = client.post("/volunteers", _body(territory, **{field: value}))

    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert any(key.split(".")[0] == field for key in errors), errors
    if named is not None:
        assert any(named in message for message in errors.values())
    assert session.scalars(select(Volunteer)).first() is None


def test_a_missing_field_is_a_422_naming_it(app: Flask, session: Session, clock: FrozenClock) -> None:
    client, territory = _setup(app, session, clock)
    body = _body(territory)
    del body["profession"]

    response = client.post("/volunteers", body)

    assert response.status_code == 422
    assert "profession" in response.get_json()["errors"]


def test_a_patch_changes_the_phone_in_e164_and_pauses_the_volunteer(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    client, territory = _setup(app, session, clock)
    created = client.post("/volunteers", _body(territory)).get_json()

    response = client.patch(f"/volunteers/{created['id']}", {"phone": "07 81 23 45 67", "paused": True})

    assert response.status_code == 200
    assert response.get_json()["phone"] == "+33781234567"
    assert response.get_json()["paused"] is True
    assert client.get(f"/volunteers/{created['id']}").get_json()["phone"] == "+33781234567"


@pytest.mark.parametrize(
    "body", [{"phone": "12"}, {"phone": None}, {"profession": "chaman"}, {"motives": ["x"]}, {"active": None}]
)
def test_a_bad_patch_is_a_422_and_changes_nothing(
    app: Flask, session: Session, clock: FrozenClock, body: dict[str, Any]
) -> None:
    client, territory = _setup(app, session, clock)
    created = client.post("/volunteers", _body(territory)).get_json()

    response = client.patch(f"/volunteers/{created['id']}", body)

    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == set(body)
    assert client.get(f"/volunteers/{created['id']}").get_json() == created


def test_volunteers_are_listed_by_territory(app: Flask, session: Session, clock: FrozenClock) -> None:
    client, paris = _setup(app, session, clock)
    lyon = other_territory(session, clock())
    in_paris = factories.volunteer(session, paris, clock())
    in_lyon = factories.volunteer(session, lyon, clock())

    assert [v["id"] for v in client.get("/volunteers").get_json()["items"]] == [in_paris.id, in_lyon.id]
    assert [v["id"] for v in client.get("/volunteers", {"territory_id": lyon.id}).get_json()["items"]] == [in_lyon.id]
    assert client.get("/volunteers", {"territory_id": "Lyon"}).status_code == 422


@pytest.mark.parametrize("path", ["/volunteers/999", "/volunteers/99999999999999999999", "/volunteers/" + "9" * 5000])
def test_an_unknown_volunteer_is_a_404(app: Flask, session: Session, clock: FrozenClock, path: str) -> None:
    client, _ = _setup(app, session, clock)

    assert client.get(path).status_code == 404


def test_a_territory_token_sees_only_its_own_volunteers(app: Flask, session: Session, clock: FrozenClock) -> None:
    paris = factories.territory(session, clock())
    lyon = other_territory(session, clock())
    mine = factories.volunteer(session, paris, clock())
    theirs = factories.volunteer(session, lyon, clock())
    client = api(app, session, clock(), name="paris20", territory_id=paris.id)

    assert client.get(f"/volunteers/{mine.id}").status_code == 200
    assert client.get(f"/volunteers/{theirs.id}").status_code == 404
    assert client.patch(f"/volunteers/{theirs.id}", {"paused": True}).status_code == 404
    assert [v["id"] for v in client.get("/volunteers").get_json()["items"]] == [mine.id]
    assert client.get("/volunteers", {"territory_id": lyon.id}).get_json()["items"] == []
    refused = client.post("/volunteers", _body(lyon))
    assert refused.status_code == 422 and "territory_id" in refused.get_json()["errors"]
    session.expire_all()
    assert session.get(Volunteer, theirs.id).paused is False  # type: ignore[union-attr]
    assert len(session.scalars(select(Volunteer)).all()) == 2


# ----------------------------------------------------------------------------------------------- shifts


def _volunteer(client: ApiClient, territory: Territory) -> int:
    response = client.post("/volunteers", _body(territory))
    assert response.status_code == 201
    return int(response.get_json()["id"])


@pytest.mark.parametrize(
    ("starts_at", "ends_at"),
    [
        ("2026-12-01T09:00:00+01:00", "2026-12-01T13:00:00+01:00"),
        ("2026-12-01T08:00:00Z", "2026-12-01T12:00:00Z"),
        ("2026-12-01T08:00:00.000+00:00", "2026-12-01T12:00:00.000+00:00"),
    ],
)
def test_a_shift_with_offsets_is_created_and_kept_as_the_same_instants(
    app: Flask, session: Session, clock: FrozenClock, starts_at: str, ends_at: str
) -> None:
    client, territory = _setup(app, session, clock)
    volunteer_id = _volunteer(client, territory)

    response = client.post("/shifts", {"volunteer_id": volunteer_id, "starts_at": starts_at, "ends_at": ends_at})

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert isinstance(body["id"], int)
    assert datetime.fromisoformat(body["starts_at"]) == datetime(2026, 12, 1, 8, tzinfo=UTC)
    assert datetime.fromisoformat(body["ends_at"]) == datetime(2026, 12, 1, 12, tzinfo=UTC)
    stored = session.get(Shift, body["id"])
    assert stored is not None and stored.starts_at == datetime(2026, 12, 1, 8, tzinfo=UTC)
    listed = client.get("/shifts", {"volunteer_id": volunteer_id}).get_json()["items"]
    assert [s["id"] for s in listed] == [body["id"]]


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "field"),
    [
        ("2026-12-01T09:00:00", "2026-12-01T13:00:00+01:00", "starts_at"),
        ("2026-12-01T09:00:00+01:00", "2026-12-01T13:00:00", "ends_at"),
        ("2026-12-01T13:00:00+01:00", "2026-12-01T09:00:00+01:00", "ends_at"),
        ("2026-12-01T09:00:00+01:00", "2026-12-01T09:00:00+01:00", "ends_at"),
        ("2026-12-01T09:00:00+01:00", "2026-12-01T07:30:00+00:00", "ends_at"),
        ("demain matin", "2026-12-01T13:00:00+01:00", "starts_at"),
        ("2026-12-01T09:00:00+01:00", "2027-01-01T09:00:00+01:00", "ends_at"),
    ],
)
def test_a_bad_shift_is_a_422_naming_the_field(
    app: Flask, session: Session, clock: FrozenClock, starts_at: str, ends_at: str, field: str
) -> None:
    client, territory = _setup(app, session, clock)
    volunteer_id = _volunteer(client, territory)

    response = client.post("/shifts", {"volunteer_id": volunteer_id, "starts_at": starts_at, "ends_at": ends_at})

    assert response.status_code == 422
    assert field in response.get_json()["errors"], response.get_json()
    assert session.scalars(select(Shift)).first() is None


def test_a_shift_of_another_territory_volunteer_is_refused_and_hidden(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    paris = factories.territory(session, clock())
    lyon = other_territory(session, clock())
    theirs = factories.volunteer(session, lyon, clock())  # on shift around now
    their_shift = session.scalars(select(Shift)).one()
    client = api(app, session, clock(), territory_id=paris.id)

    response = client.post(
        "/shifts",
        {"volunteer_id": theirs.id, "starts_at": "2026-12-01T09:00:00+01:00", "ends_at": "2026-12-01T13:00:00+01:00"},
    )

    assert response.status_code == 422 and "volunteer_id" in response.get_json()["errors"]
    assert client.get("/shifts").get_json()["items"] == []
    assert client.delete(f"/shifts/{their_shift.id}").status_code == 404
    session.expire_all()
    assert len(session.scalars(select(Shift)).all()) == 1


def test_a_shift_is_deleted_once(app: Flask, session: Session, clock: FrozenClock) -> None:
    client, territory = _setup(app, session, clock)
    volunteer_id = _volunteer(client, territory)
    morning = {"starts_at": "2026-12-01T09:00:00+01:00", "ends_at": "2026-12-01T13:00:00+01:00"}
    shift = client.post("/shifts", {"volunteer_id": volunteer_id, **morning}).get_json()

    assert client.delete(f"/shifts/{shift['id']}").status_code == 204
    assert client.delete(f"/shifts/{shift['id']}").status_code == 404
    assert client.delete("/shifts/99999999999999999999").status_code == 404
    assert client.get("/shifts").get_json()["items"] == []
