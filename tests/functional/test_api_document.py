"""The generated OpenAPI document and the code agree on the five operations schemathesis found apart (issue 15)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from tests import factories
from tests.functional.api_client import anonymous, api


def _parameter(document: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    found = [p for p in document["paths"][path]["get"]["parameters"] if p["name"] == name]
    assert len(found) == 1, (path, name)
    return found[0]


@pytest.fixture
def document(app: Flask) -> dict[str, Any]:
    response = anonymous(app).get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


@pytest.mark.parametrize("path", ["/directory", "/rota", "/rota/on-duty", "/rota/gaps", "/rota/load"])
def test_a_territory_id_the_code_requires_is_required_by_the_document(
    document: dict[str, Any], app: Flask, session: Session, clock: FrozenClock, path: str
) -> None:
    assert _parameter(document, path, "territory_id")["required"] is True
    response = api(app, session, clock(), name="admin").get(path)
    assert response.status_code == 422
    assert "territory_id" in response.get_json()["errors"]


def test_a_territory_token_may_still_leave_its_territory_out(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    session.commit()
    response = api(app, session, clock(), territory_id=territory.id).get("/rota")
    assert response.status_code == 200
    assert response.get_json()["territory_id"] == territory.id


@pytest.mark.parametrize(("path", "name"), [("/patterns", "volunteer_id"), ("/shifts", "volunteer_id")])
def test_ids_the_code_refuses_are_outside_the_documented_bounds(
    document: dict[str, Any], app: Flask, session: Session, clock: FrozenClock, path: str, name: str
) -> None:
    assert _parameter(document, path, name)["schema"]["minimum"] == 1
    assert api(app, session, clock()).get(path, {name: 0}).status_code == 422


def test_the_postcode_filter_is_documented_as_the_five_digits_it_must_be(
    document: dict[str, Any], app: Flask, session: Session, clock: FrozenClock
) -> None:
    assert _parameter(document, "/requests", "postcode")["schema"]["pattern"] == "^[0-9]{5}$"
    client = api(app, session, clock())
    assert client.get("/requests", {"postcode": "75011"}).status_code == 200
    assert client.get("/requests", {"postcode": "7501"}).get_json()["errors"].keys() == {"postcode"}


@pytest.mark.parametrize("path", ["/requests", "/audit"])
def test_a_cursor_is_documented_as_the_decimal_id_it_is(
    document: dict[str, Any], app: Flask, session: Session, clock: FrozenClock, path: str
) -> None:
    assert _parameter(document, path, "cursor")["schema"]["pattern"] == "^[1-9][0-9]{0,9}$"
    client = api(app, session, clock())
    assert client.get(path, {"cursor": "12"}).status_code == 200
    assert client.get(path, {"cursor": "MTI"}).get_json()["errors"].keys() == {"cursor"}


@pytest.mark.parametrize("path", ["/requests", "/audit", "/stats"])
def test_an_empty_until_is_not_a_date_time_and_is_refused(
    document: dict[str, Any], app: Flask, session: Session, clock: FrozenClock, path: str
) -> None:
    assert _parameter(document, path, "until")["schema"]["format"] == "date-time"
    response = api(app, session, clock()).get(path, {"until": ""})
    assert response.status_code == 422
    assert response.get_json() == {"errors": {"until": "an ISO 8601 date-time with its offset is expected"}}


def test_a_method_the_url_does_not_take_is_a_405_that_lists_those_it_takes(app: Flask) -> None:
    response = app.test_client().open("/api/v1/territories", method="TRACE")
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert "error" in response.get_json()


def test_answers_and_inputs_are_components_generated_from_the_models(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert {"TerritoryIn", "TerritoryPatch", "Territory", "RequestPage", "Pattern", "DirectoryEntry"} <= set(schemas)
    # A field that may be absent but never null says so: no null in its schema.
    assert schemas["TerritoryPatch"]["properties"]["name"].get("type") == "string"
    assert "anyOf" not in schemas["TerritoryPatch"]["properties"]["name"]
    answer = document["paths"]["/territories/{territory_id}"]["get"]["responses"]["200"]
    assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Territory"}


def test_an_unknown_query_parameter_is_refused_rather_than_ignored(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    client = api(app, session, clock())
    # ?territory=3 for ?territory_id=3 would have listed every territory's requests.
    assert client.get("/requests", {"territory": 3}).get_json() == {"errors": {"territory": "unknown parameter"}}
    assert client.get("/stats", {"": "x"}).get_json() == {"errors": {"query": "unknown parameter"}}
