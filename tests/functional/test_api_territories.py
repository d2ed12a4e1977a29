"""The JSON API's territories, its bearer tokens, its refusals of bad bodies and its OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import ApiToken, Territory
from tests import factories
from tests.functional.api_client import anonymous, api, other_territory

PARIS_20: dict[str, Any] = {
    "name": "CPTS Paris 20",
    "phone_numbers": ["+33 1 23 45 67 89"],
    "postcodes": ["75020"],
    "opening_hours": "Mo-Fr 08:00-20:00; Sa 08:00-12:00; PH off",
}


def test_an_administrator_creates_a_territory_and_gets_its_id_and_e164_numbers(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    client = api(app, session, clock())

    response = client.post("/territories", PARIS_20)

    assert response.status_code == 201
    body = response.get_json()
    assert isinstance(body["id"], int)
    assert body["name"] == "CPTS Paris 20"
    assert body["phone_numbers"] == ["+33123456789"]
    assert body["postcodes"] == ["75020"]
    assert body["opening_hours"] == "Mo-Fr 08:00-20:00; Sa 08:00-12:00; PH off"
    assert client.get(f"/territories/{body['id']}").get_json()["name"] == "CPTS Paris 20"
    assert [t["id"] for t in client.get("/territories").get_json()["items"]] == [body["id"]]


def test_a_territory_is_24_7_when_no_opening_hours_are_given(app: Flask, session: Session, clock: FrozenClock) -> None:
    response = api(app, session, clock()).post("/territories", {"name": "CPTS Nuit", "phone_numbers": ["0199000002"]})

    assert response.status_code == 201
    assert response.get_json()["opening_hours"] == "24/7"
    assert response.get_json()["phone_numbers"] == ["+33199000002"]


def test_a_number_already_serving_a_line_is_refused_naming_phone_numbers(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    client = api(app, session, clock())
    assert client.post("/territories", PARIS_20).status_code == 201

    response = client.post("/territories", {**PARIS_20, "name": "CPTS Doublon", "phone_numbers": ["01 23 45 67 89"]})

    assert response.status_code == 422
    assert "phone_numbers" in response.get_json()["errors"]
    assert session.scalars(select(Territory)).all()[0].name == "CPTS Paris 20"
    assert len(session.scalars(select(Territory)).all()) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("opening_hours", "tous les jours sauf dimanche"),
        ("postcodes", ["750"]),
        ("phone_numbers", ["not a number"]),
        ("phone_numbers", []),
        ("name", ""),
        ("holiday_subdivision", "XX"),
        ("reference_prefix", "p-20"),
    ],
)
def test_a_bad_territory_field_is_named_in_a_422(
    app: Flask, session: Session, clock: FrozenClock, field: str, value: Any
) -> None:
    response = api(app, session, clock()).post("/territories", {**PARIS_20, field: value})

    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert session.scalars(select(Territory)).first() is None


def test_a_patch_changes_only_the_fields_given(app: Flask, session: Session, clock: FrozenClock) -> None:
    client = api(app, session, clock())
    created = client.post("/territories", PARIS_20).get_json()

    response = client.patch(f"/territories/{created['id']}", {"opening_hours": "24/7", "postcodes": ["75019"]})

    assert response.status_code == 200
    body = response.get_json()
    assert body["opening_hours"] == "24/7"
    assert body["postcodes"] == ["75019"]
    assert body["name"] == "CPTS Paris 20"
    assert body["phone_numbers"] == ["+33123456789"]


def test_a_patch_can_add_a_number_and_keep_the_existing_one(app: Flask, session: Session, clock: FrozenClock) -> None:
    client = api(app, session, clock())
    created = client.post("/territories", PARIS_20).get_json()

    response = client.patch(f"/territories/{created['id']}", {"phone_numbers": ["+33123456789", "+33199000003"]})

    assert response.status_code == 200
    assert response.get_json()["phone_numbers"] == ["+33123456789", "+33199000003"]
    swapped = client.patch(f"/territories/{created['id']}", {"phone_numbers": ["+33199000003", "+33123456789"]})
    assert swapped.status_code == 200
    assert sorted(swapped.get_json()["phone_numbers"]) == ["+33123456789", "+33199000003"]


def test_an_unknown_territory_is_a_404(app: Flask, session: Session, clock: FrozenClock) -> None:
    client = api(app, session, clock())

    assert client.get("/territories/999").status_code == 404
    assert client.patch("/territories/999", {"name": "X"}).status_code == 404


# ---------------------------------------------------------------------------------------------- tokens


@pytest.mark.parametrize("header", [None, "Bearer ", "Bearer ori_not-a-real-token", "Basic dXNlcjpwYXNz", "ori_x"])
def test_a_call_without_a_valid_bearer_token_is_a_401(
    app: Flask, session: Session, clock: FrozenClock, header: str | None
) -> None:
    factories.territory(session, clock())
    headers = {"Authorization": header} if header is not None else {}
    client = app.test_client()

    for method, path in (
        ("GET", "/api/v1/territories"),
        ("POST", "/api/v1/territories"),
        ("GET", "/api/v1/volunteers"),
        ("GET", "/api/v1/requests"),
        ("GET", "/api/v1/stats"),
    ):
        response = client.open(path, method=method, headers=headers, json=PARIS_20 if method == "POST" else None)
        assert response.status_code == 401, (method, path)
        assert "error" in response.get_json()
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert len(session.scalars(select(Territory)).all()) == 1


def test_a_revoked_token_is_a_401(app: Flask, session: Session, clock: FrozenClock) -> None:
    client = api(app, session, clock())
    assert client.get("/territories").status_code == 200
    token = session.scalars(select(ApiToken)).one()
    token.revoked_at = clock()
    session.commit()

    assert client.get("/territories").status_code == 401


def test_a_territory_token_sees_only_its_own_territory(app: Flask, session: Session, clock: FrozenClock) -> None:
    mine = factories.territory(session, clock())
    other = other_territory(session, clock())
    client = api(app, session, clock(), name="paris20", territory_id=mine.id)

    assert [t["id"] for t in client.get("/territories").get_json()["items"]] == [mine.id]
    assert client.get(f"/territories/{mine.id}").status_code == 200
    assert client.get(f"/territories/{other.id}").status_code == 404
    assert client.patch(f"/territories/{other.id}", {"name": "Pris"}).status_code == 404
    session.expire_all()
    assert session.get(Territory, other.id) is not None
    assert session.get(Territory, other.id).name == "CPTS Lyon 8"  # type: ignore[union-attr]


def test_a_territory_token_cannot_create_a_territory(app: Flask, session: Session, clock: FrozenClock) -> None:
    mine = factories.territory(session, clock())
    client = api(app, session, clock(), territory_id=mine.id)

    assert client.post("/territories", {**PARIS_20, "phone_numbers": ["+33199000009"]}).status_code == 404
    assert len(session.scalars(select(Territory)).all()) == 1


# ------------------------------------------------------------------------------------------ bad bodies


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("{not json", "application/json"),
        ('{"name": "CPTS"', "application/json"),
        ("name=CPTS", "application/x-www-form-urlencoded"),
        ("", "application/json"),
        ("null", "application/json"),
        (b"\xff\xfe\x00garbage", "application/json"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_422(
    app: Flask, session: Session, clock: FrozenClock, data: str | bytes, content_type: str
) -> None:
    client = api(app, session, clock())

    response = client.raw("POST", "/territories", data, content_type)

    assert response.status_code == 422
    assert "body" in response.get_json()["errors"]


@pytest.mark.parametrize("body", [[PARIS_20], "CPTS", 42, True])
def test_a_json_body_that_is_not_an_object_is_a_422(
    app: Flask, session: Session, clock: FrozenClock, body: Any
) -> None:
    response = api(app, session, clock()).post("/territories", body)

    assert response.status_code == 422
    assert "body" in response.get_json()["errors"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", 42),
        ("name", ["CPTS"]),
        ("phone_numbers", "+33123456789"),
        ("phone_numbers", [33123456789]),
        ("postcodes", "75020"),
        ("opening_hours", {"Mo": "08:00"}),
        ("ring_seconds", "vingt"),
        ("ring_seconds", 3),
        ("neighbours", [{"name": "Voisine"}]),
        ("neighbours", "CPTS Voisine"),
        ("languages", [None]),
    ],
)
def test_a_territory_field_of_the_wrong_type_is_a_422_naming_it(
    app: Flask, session: Session, clock: FrozenClock, field: str, value: Any
) -> None:
    response = api(app, session, clock()).post("/territories", {**PARIS_20, field: value})

    assert response.status_code == 422
    assert any(key.split(".")[0] == field for key in response.get_json()["errors"]), response.get_json()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "C" * 100_000),
        ("phone_numbers", ["0" * 100_000]),
        ("postcodes", ["7" * 100_000]),
        ("opening_hours", "Mo-Fr 08:00-20:00; " * 5_000),
        ("reference_prefix", "P" * 100_000),
        ("holiday_subdivision", "6AE" * 20_000),
        ("coordinator_phone", "06" * 30_000),
        ("neighbours", [{"name": "N" * 100_000, "phone": "+33199000002"}]),
        ("languages", ["fr" * 30_000]),
    ],
)
def test_a_huge_string_is_a_422_not_a_500(
    app: Flask, session: Session, clock: FrozenClock, field: str, value: Any
) -> None:
    response = api(app, session, clock()).post("/territories", {**PARIS_20, field: value})

    assert response.status_code == 422, response.get_json()
    assert any(key.split(".")[0] == field for key in response.get_json()["errors"])


@pytest.mark.parametrize("path", ["/territories/99999999999999999999999", "/territories/4294967296"])
def test_an_out_of_range_territory_id_is_a_404_not_a_500(
    app: Flask, session: Session, clock: FrozenClock, path: str
) -> None:
    assert api(app, session, clock()).get(path).status_code == 404


def test_clearing_a_required_territory_field_is_a_422(app: Flask, session: Session, clock: FrozenClock) -> None:
    client = api(app, session, clock())
    created = client.post("/territories", PARIS_20).get_json()

    for field in ("name", "phone_numbers", "opening_hours", "reference_prefix", "postcodes", "ring_seconds"):
        response = client.patch(f"/territories/{created['id']}", {field: None})
        assert response.status_code == 422, (field, response.status_code)
        assert field in response.get_json()["errors"]


# ------------------------------------------------------------------------------------------- OpenAPI


def test_the_openapi_document_is_served_without_a_token_and_describes_every_route(app: Flask) -> None:
    response = anonymous(app).get("/openapi.json")

    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    paths = document["paths"]
    expected = {
        "/territories": {"get", "post"},
        "/territories/{territory_id}": {"get", "patch"},
        "/volunteers": {"get", "post"},
        "/volunteers/{volunteer_id}": {"get", "patch"},
        "/shifts": {"get", "post"},
        "/shifts/{shift_id}": {"delete"},
        "/requests": {"get"},
        "/requests/{reference}": {"get", "patch"},
        "/stats": {"get"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_every_api_route_of_the_app_is_in_the_openapi_document(app: Flask) -> None:
    paths = anonymous(app).get("/openapi.json").get_json()["paths"]
    documented = {
        ("/api/v1" + path.replace("{", "<").replace("}", ">"), method.upper())
        for path, operations in paths.items()
        for method in operations
        if method != "parameters"
    }
    routes = {
        (rule.rule.replace("<int:", "<"), method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi"
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }

    assert routes - documented == set()


# ------------------------------------------------------------------- bad bodies on every write route


def _write_routes(session: Session, clock: FrozenClock) -> list[tuple[str, str]]:
    territory = factories.territory(session, clock())
    volunteer = factories.volunteer(session, territory, clock())
    return [
        ("POST", "/territories"),
        ("PATCH", f"/territories/{territory.id}"),
        ("POST", "/volunteers"),
        ("PATCH", f"/volunteers/{volunteer.id}"),
        ("POST", "/shifts"),
    ]


@pytest.mark.parametrize(
    "data",
    [
        "{not json",
        "[]",
        '[{"name": "CPTS"}]',
        '"CPTS"',
        "1" * 5000,
        "[" * 100_000 + "]" * 100_000,
        "[" * 950 + "]" * 950,
        '{"name": ' + "[" * 950 + "]" * 950 + "}",
        '{"a":' * 20_000 + "1" + "}" * 20_000,
    ],
)
def test_every_write_route_answers_a_body_that_is_not_a_json_object_with_a_422(
    app: Flask, session: Session, clock: FrozenClock, data: str
) -> None:
    client = api(app, session, clock())

    for method, path in _write_routes(session, clock):
        response = client.raw(method, path, data)
        assert response.status_code == 422, (method, path, response.get_json())
        assert "errors" in response.get_json()


def test_a_body_of_megabytes_is_refused_without_a_500(app: Flask, session: Session, clock: FrozenClock) -> None:
    response = api(app, session, clock()).post("/territories", {**PARIS_20, "name": "C" * 2_000_000})

    assert response.status_code in (413, 422)
    assert response.is_json
    assert session.scalars(select(Territory)).first() is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**PARIS_20, "name": "CPTS\u0000Paris"}, "name"),
        ({**PARIS_20, "opening_hours": "24/7\u0000"}, "opening_hours"),
        ({**PARIS_20, "neighbours": [{"name": "\u0000", "phone": "+33199000002"}]}, "neighbours.0.name"),
        ({**PARIS_20, "extra\u0000": "ignored"}, "extra\u0000"),
    ],
)
def test_a_nul_character_in_a_string_is_a_422_naming_the_field(
    app: Flask, session: Session, clock: FrozenClock, body: dict[str, Any], field: str
) -> None:
    response = api(app, session, clock()).post("/territories", body)

    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert session.scalars(select(Territory)).first() is None
